"""``alignhealth template``, ``init`` and ``inspect``: a consultant's first hour."""

from __future__ import annotations

from pathlib import Path

import click

from alignhealth.cli.common import (
    CONFIG_NAME,
    Ui,
    fail,
    plugin_host,
    plugin_options,
)
from alignhealth.engine import (
    CheckRequest,
    load,
    make_host,
    prepare,
    presets,
)
from alignhealth.errors import AlignhealthError, UsageError, did_you_mean
from alignhealth.graph import OrgGraph
from alignhealth.inspection import describe, mapping_toml
from alignhealth.outfiles import write_whole
from alignhealth.starter import starter_ruleset
from alignhealth.template import write_template


@click.command(name="init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option(
    "--extends",
    "preset",
    default="default",
    show_default=True,
    help="The preset the ruleset builds on (default, strict, goal-tree, okr).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing alignhealth.toml.")
def init_command(folder: Path, preset: str, force: bool) -> None:
    """Write FOLDER/alignhealth.toml, a starter ruleset for one client.

    `alignhealth check` uses it when it sits beside the workbook (or in the current folder)
    and no --ruleset is given.
    """
    target = folder / CONFIG_NAME
    if target.exists() and not force:
        fail(f"{target} exists; edit it, or pass --force to start again")
    known = presets(make_host())
    if preset not in known:
        fail(
            f"unknown preset {preset!r}{did_you_mean(preset, known)}; "
            f"use one of {', '.join(sorted(known))}"
        )
    try:
        write_whole(target, starter_ruleset(preset))
    except UsageError as exc:
        fail(exc.message)
    click.echo(f"wrote {target}; edit it, then: alignhealth check WORKBOOK")


@click.command(name="template")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--example",
    is_flag=True,
    help="Fill it with the example company instead of one example row per sheet.",
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def template_command(path: Path, example: bool, force: bool) -> None:
    """Write a blank workbook in the canonical layout to PATH (.xlsx), to hand a client.

    Every sheet with its headers and a row of example data, dropdowns for level, status,
    priority and type, date columns as dates, and an Instructions sheet explaining each
    column and the rules that use it.
    """
    if path.suffix.lower() != ".xlsx":
        fail(f"{path}: the template is an Excel workbook; give a path ending in .xlsx")
    if path.exists() and not force:
        fail(f"{path} exists; choose another name or pass --force to overwrite it")
    try:
        write_template(path, example=example)
    except UsageError as exc:
        fail(exc.message)
    click.echo(f"wrote {path}; fill it in, then: alignhealth check {path}")


@click.command(name="inspect")
@click.argument("workbook", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--ruleset",
    "-r",
    metavar="FILE|NAME",
    help="A ruleset whose [input] mapping and settings apply.",
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A TOML file of [input.<sheet>] tables.",
)
@click.option(
    "--emit-mapping",
    is_flag=True,
    help="Print only the TOML of the mapping that was understood, to edit and pass to --mapping.",
)
@plugin_options
def inspect_command(
    workbook: Path,
    ruleset: str | None,
    mapping: Path | None,
    emit_mapping: bool,
    plugin_modules: tuple[str, ...],
    no_plugins: bool,
) -> None:
    """Show how WORKBOOK is understood, before any rule runs.

    Each sheet and what it was taken for, the header row, every column and the field it
    maps to (and how), columns left unread, counts, levels, and the values that could not
    be read. Exits 2 when the workbook cannot be used, with what to do.
    """
    ui = Ui(quiet=emit_mapping)
    try:
        host = plugin_host(no_plugins, plugin_modules)
        ruleset = ruleset or ui.discover_ruleset(workbook.parent)
        session = prepare(CheckRequest(ruleset=ruleset, mapping=mapping), host)
        loaded = load(session, workbook)
    except AlignhealthError as exc:
        fail(exc.message)
    if emit_mapping:
        click.echo(mapping_toml(loaded), nl=False)
        return
    graph = OrgGraph(
        loaded, as_of=session.config.settings.as_of, levels=session.config.settings.levels
    )
    click.echo(describe(loaded, graph), nl=False)
