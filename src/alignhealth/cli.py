"""The ``alignhealth`` command. Thin: parse, call the library, render, choose the exit code."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from alignhealth import __version__
from alignhealth.annotate import annotate_copy
from alignhealth.audit.config import load_audit
from alignhealth.audit.history import History, summarize_runs
from alignhealth.audit.run import run_audit
from alignhealth.engine import (
    EXIT_CRASH,
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    CheckRequest,
    Session,
    available_reporters,
    check_workbook,
    load,
    make_host,
    prepare,
    presets,
)
from alignhealth.errors import AlignhealthError, UsageError, did_you_mean
from alignhealth.findings import Severity
from alignhealth.graph import OrgGraph
from alignhealth.inspection import describe, mapping_toml
from alignhealth.inventory import plugin_inventory
from alignhealth.loaders.csvfile import is_csv_dataset
from alignhealth.plugins import PluginHost
from alignhealth.progress import Progress, RichProgress
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.safe import terminal_safe
from alignhealth.rules.registry import RuleRegistry
from alignhealth.runresult import RunResult
from alignhealth.starter import starter_ruleset
from alignhealth.template import write_template

F = TypeVar("F", bound=Callable[..., Any])


def _split(values: Sequence[str]) -> list[str]:
    """Selectors given repeatedly and/or comma-separated."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    click.echo(
        click.style(
            "error: ",
            fg="red",
            bold=True,
        )
        + message,
        err=True,
    )
    sys.exit(code)


def plugin_options(func: F) -> F:
    """``-p MODULE`` and ``--no-plugins``, shared by every command that loads plugins."""
    func = click.option(
        "-p",
        "--plugin",
        "plugin_modules",
        multiple=True,
        metavar="MODULE",
        help="Load a plugin by module name (repeatable).",
    )(func)
    func = click.option(
        "--no-plugins",
        is_flag=True,
        help="Load no third-party plugin (also ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD=1); "
        "the built-ins always load.",
    )(func)
    return func


def output_options(func: F) -> F:
    """``--quiet`` and ``--verbose``."""
    func = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Also say which ruleset files and plugins were used, what the "
        "loader noticed, and how long each rule took (on standard error).",
    )(func)
    func = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="Only the findings: no progress, notes or summaries on standard "
        "error, and no health section in the text report.",
    )(func)
    return func


CONFIG_NAME = "alignhealth.toml"


class Ui:
    """What the CLI tells a person on standard error: notes, progress, verbose detail."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose and not quiet

    def note(self, message: str) -> None:
        if not self.quiet:
            click.echo(click.style("note: ", fg="cyan") + message, err=True)

    def detail(self, message: str) -> None:
        if self.verbose:
            click.echo(message, err=True)

    def discover_ruleset(self, folder: Path) -> str | None:
        """An alignhealth.toml beside the workbook, or in the current folder."""
        for candidate in (folder / CONFIG_NAME, Path.cwd() / CONFIG_NAME):
            if candidate.is_file():
                self.note(f"using ruleset {candidate} (pass --ruleset to choose another)")
                return str(candidate)
        return None

    @contextmanager
    def progress(self) -> Iterator[Progress | None]:
        """A progress display on a terminal; nothing when piped, quiet or verbose."""
        if self.quiet or self.verbose or not sys.stderr.isatty():
            yield None
            return
        display = RichProgress()
        with display.shown():
            yield display

    def describe_session(self, session: Session) -> None:
        if not self.verbose:
            return
        config = session.config
        self.detail(f"ruleset {config.ruleset.name}: {' -> '.join(config.ruleset.sources)}")
        self.detail(f"as of {config.settings.as_of}; {len(config.selected)} rules selected")
        for info in session.host.infos:
            if not info.builtin:
                state = f"error: {info.error}" if info.error else "loaded"
                self.detail(f"plugin {info.name} {info.version or ''} ({info.module}): {state}")

    def describe_result(self, result: RunResult) -> None:
        if not self.verbose:
            return
        for notice in result.notices:
            self.detail(f"notice {notice.code}: {terminal_safe(notice.message)}")
        slow = sorted(result.outcomes, key=lambda o: -o.duration_ms)[:5]
        timing = ", ".join(f"{o.code} {o.duration_ms:.0f} ms" for o in slow)
        self.detail(f"slowest rules: {timing}")


def _host(no_plugins: bool, modules: Sequence[str]) -> PluginHost:
    return make_host(autoload=False if no_plugins else None, modules=modules)


@dataclass
class FormatTarget:
    name: str
    path: str | None


def parse_formats(
    values: Sequence[str], output: str | None, available: dict[str, type[Reporter]], several: bool
) -> list[FormatTarget]:
    """``--format NAME[:PATH]`` as output.md defines it."""
    targets = []
    for value in values or ("text",):
        name, _, path = value.partition(":")
        name = name.strip().lower()
        if name not in available:
            raise UsageError(
                f"--format: unknown format {name!r}{did_you_mean(name, available)}; "
                f"available: {', '.join(sorted(available))}"
            )
        targets.append(FormatTarget(name, path or None))
    bare = [t for t in targets if t.path is None]
    if output is not None:
        if len(bare) != 1:
            raise UsageError("--output names the file of a single format given without a PATH")
        bare[0].path = output
        bare = []
    if len(bare) > 1:
        raise UsageError(
            "at most one format may go to standard output; give the others a PATH "
            "(--format json:out/report.json)"
        )
    for target in targets:
        if target.path is None and available[target.name].binary:
            raise UsageError(f"--format {target.name} writes a binary file; give it a PATH")
        if several and target.path and "{stem}" not in target.path:
            raise UsageError(
                f"--format {target.name}:{target.path}: with several workbooks the PATH must "
                "contain {stem} (the workbook's name without its extension)"
            )
    return targets


def _write(target: FormatTarget, content: str | bytes, stem: str | None = None) -> None:
    assert target.path is not None
    path = Path(target.path.replace("{stem}", stem) if stem else target.path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="alignhealth")
def main() -> None:
    """Alignment health checks for an organisation's goal tree, read from Excel."""


@main.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--ruleset",
    "-r",
    metavar="FILE|NAME",
    help="A ruleset file or preset name (default: the 'default' preset).",
)
@click.option(
    "--select",
    multiple=True,
    metavar="SELECTORS",
    help="Rules to run, replacing the ruleset's selection: codes, prefixes, names, "
    "groups or ALL; repeatable or comma-separated.",
)
@click.option(
    "--extend-select",
    multiple=True,
    metavar="SELECTORS",
    help="Rules to run in addition to the selection.",
)
@click.option("--ignore", multiple=True, metavar="SELECTORS", help="Rules not to run.")
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A TOML file of [input.<sheet>] tables: which sheet, header row and columns "
    "hold each field.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date every date rule measures against (default: today).",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity], case_sensitive=False),
    default="low",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are at --fail-on.")
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    metavar="NAME[:PATH]",
    help="Output format, optionally to a file; repeatable (text, json, ...).",
)
@click.option(
    "--output", "-o", metavar="FILE", help="The file for a single format given without a PATH."
)
@click.option(
    "--annotate",
    metavar="FILE",
    help="Also write a copy of the workbook with each flagged cell filled by severity and "
    "commented (with several workbooks FILE must contain {stem}). The original is never "
    "written to.",
)
@click.option(
    "--encoding",
    metavar="CODEC",
    help="The encoding of CSV input (default: UTF-8, "
    "with or without a byte-order mark), for example cp1252.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    metavar="N",
    help="Check up to N workbooks at once, in separate processes (default: the number of cores).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@output_options
@plugin_options
def check(
    workbooks: tuple[Path, ...],
    ruleset: str | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    mapping: Path | None,
    as_of: dt.datetime | None,
    fail_on: str,
    exit_zero: bool,
    formats: tuple[str, ...],
    output: str | None,
    annotate: str | None,
    encoding: str | None,
    jobs: int | None,
    debug: bool,
    quiet: bool,
    verbose: bool,
    plugin_modules: tuple[str, ...],
    no_plugins: bool,
) -> None:
    """Check WORKBOOK(S) and report what is out of alignment.

    A workbook is an .xlsx, .xlsm, .xls, .xlsb or .ods file, a goals .csv, or a folder
    holding goals.csv (and people.csv, projects.csv, reviews.csv, levels.csv). Any other
    folder is a set of workbooks, checked one by one.

    Without --ruleset, an alignhealth.toml beside the first workbook (or in the current
    folder) is used, and named on standard error.

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad
    arguments, ruleset, input, or a plugin that failed to load; 3 a rule crashed.
    """
    ui = Ui(quiet=quiet, verbose=verbose)
    try:
        workbooks = tuple(expand_inputs(workbooks, ui))
    except AlignhealthError as exc:
        _fail(exc.message)
    request = CheckRequest(
        ruleset=ruleset or ui.discover_ruleset(workbooks[0].parent),
        select=_split(select) if select else None,
        extend_select=_split(extend_select),
        ignore=_split(ignore),
        mapping=mapping,
        as_of=as_of.date() if as_of else None,
        fail_on=Severity.parse(fail_on),
        exit_zero=exit_zero,
        settings={"csv_encoding": encoding} if encoding else {},
    )
    try:
        host = _host(no_plugins, plugin_modules)
        available = available_reporters(host)
        targets = parse_formats(formats, output, available, several=len(workbooks) > 1)
        session = prepare(request, host)
        ui.describe_session(session)
        workers = min(jobs or os.cpu_count() or 1, len(workbooks))
        if workers > 1:
            results = check_in_parallel(
                workbooks, request, workers, no_plugins, plugin_modules, debug
            )
        else:
            with ui.progress() as progress:
                session.config.progress = progress
                results = [_check_one(session, path, request, debug) for path in workbooks]
        code = overall_exit_code([r.exit_code for r in results])
        render(results, targets, available, code, ui)
        if annotate:
            annotate_all(results, annotate, ui)
    except AlignhealthError as exc:
        _fail(exc.message)
    sys.exit(code)


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv")


def expand_inputs(paths: Sequence[Path], ui: Ui) -> list[Path]:
    """Folders of workbooks become their workbooks (a CSV dataset folder stays one input);
    Office lock files are skipped with a note."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir() or is_csv_dataset(path):
            out.append(path)
            continue
        found = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
        )
        for file in found:
            if file.name.startswith("~$"):
                ui.note(f"skipped {file}: an Office lock file (the workbook is open in Excel)")
            else:
                out.append(file)
        if not any(not f.name.startswith("~$") for f in found):
            raise UsageError(
                f"{path}: no workbooks in this folder (.xlsx, .xlsm, .xls, .xlsb, "
                ".ods or .csv), and no goals.csv"
            )
    return out


def _check_in_worker(
    path: Path, request: CheckRequest, no_plugins: bool, modules: tuple[str, ...], debug: bool
) -> RunResult:
    """One workbook in a worker process, with a session of its own."""
    session = prepare(request, _host(no_plugins, modules))
    return _check_one(session, path, request, debug)


def check_in_parallel(
    workbooks: Sequence[Path],
    request: CheckRequest,
    workers: int,
    no_plugins: bool,
    modules: tuple[str, ...],
    debug: bool,
) -> list[RunResult]:
    """Check workbooks in ``workers`` processes; results come back in input order, and a
    workbook that fails does not stop the others."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            pool.submit(_check_in_worker, path, request, no_plugins, modules, debug)
            for path in workbooks
        ]
        return [future.result() for future in futures]


def _check_one(session: Session, path: Path, request: CheckRequest, debug: bool) -> RunResult:
    try:
        return check_workbook(session, path, request)
    except AlignhealthError:
        raise
    except Exception:
        if debug:
            traceback.print_exc()
        else:
            click.echo(
                "internal error: alignhealth itself failed on "
                f"{path}; run again with --debug and report the traceback",
                err=True,
            )
        sys.exit(EXIT_CRASH)


def annotate_all(results: Sequence[RunResult], pattern: str, ui: Ui) -> None:
    """Write the annotated copy of each workbook that could be read."""
    if len(results) > 1 and "{stem}" not in pattern:
        raise UsageError("--annotate: with several workbooks the FILE must contain {stem}")
    for result in results:
        if result.source.sha256 is None:
            continue
        source = Path(result.source.path)
        target = Path(pattern.replace("{stem}", source.stem))
        for warning in annotate_copy(source, result.findings, target):
            click.echo(click.style("warning: ", fg="yellow") + warning, err=True)
        ui.note(f"wrote {target}, a copy of {source} with the flagged cells marked")


_PRECEDENCE = {EXIT_INPUT: 3, EXIT_CRASH: 2, EXIT_FINDINGS: 1, EXIT_OK: 0}


def overall_exit_code(codes: Sequence[int]) -> int:
    """The highest-precedence code of any workbook: 2, then 3, then 1, then 0."""
    return max(codes, key=lambda c: _PRECEDENCE.get(c, 3), default=EXIT_OK)


def render(
    results: Sequence[RunResult],
    targets: Sequence[FormatTarget],
    available: dict[str, type[Reporter]],
    exit_code: int,
    ui: Ui,
) -> None:
    to_stdout = [t for t in targets if t.path is None]
    stdout_is_machine = any(t.name != "text" for t in to_stdout)
    for result in results:
        ui.describe_result(result)
    for target in targets:
        color = target.path is None and target.name == "text" and sys.stdout.isatty()
        destination = Path(target.path) if target.path else None
        reporter = available[target.name](color=color, quiet=ui.quiet, destination=destination)
        if target.path is None:
            if len(results) == 1:
                content = reporter.render(results[0])
            else:
                content = reporter.render_many(results, exit_code)
            click.echo(content, nl=False)
        elif len(results) == 1 and "{stem}" not in target.path:
            _write(target, reporter.render(results[0]))
        else:
            for result in results:
                _write(target, reporter.render(result), Path(result.source.path).stem)
    if (stdout_is_machine or not to_stdout) and not ui.quiet:
        # Machine output (or files) on stdout: the short human summary goes to stderr.
        for result in results:
            click.echo(_short_summary(result), err=True)


def _short_summary(result: RunResult) -> str:
    if result.errors and not result.findings:
        return f"{result.source.path}: " + "; ".join(e.message for e in result.errors)
    counts = ", ".join(f"{n} {s}" for s, n in result.summary.by_severity.items() if n)
    score = result.summary.health_score
    text = f"{result.source.path}: {len(result.active_findings())} finding(s)"
    if counts:
        text += f" ({counts})"
    if score is not None:
        text += f", health score {score}/100 ({result.summary.band})"
    return text


@main.command(name="rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown prints the full rule reference (docs/rules.md).",
)
@plugin_options
def rules_command(fmt: str, plugin_modules: tuple[str, ...], no_plugins: bool) -> None:
    """List every rule: code, name, severity, groups, plugin and summary."""
    host = _host(no_plugins, plugin_modules)
    registry = RuleRegistry.from_host(host)
    _report_load_errors(host, registry)
    if fmt == "json":
        click.echo(json.dumps([rule_info(registry, c) for c in registry.sorted_codes()], indent=2))
        return
    if fmt == "markdown":
        click.echo(rules_reference(registry), nl=False)
        return
    rows = [
        (c, r.rule.name, r.rule.severity().value, ",".join(r.rule.groups), r.plugin, r.rule.summary)
        for c in registry.sorted_codes()
        for r in [registry.rules[c]]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)] if rows else [0] * 5
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5]
        )


def _report_load_errors(host: PluginHost, registry: RuleRegistry) -> None:
    for error in [*host.errors, *registry.errors]:
        click.echo(click.style("error: ", fg="red", bold=True) + error.message, err=True)


def rule_info(registry: RuleRegistry, code: str) -> dict[str, Any]:
    """A rule as ``alignhealth rules --format json`` lists it."""
    registered = registry.rules[code]
    rule = registered.rule
    return {
        "code": code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity().value,
        "groups": list(rule.groups),
        "plugin": registered.plugin,
        "status": "stable",
        "options": option_rows(rule.Options),
    }


def type_name(annotation: object) -> str:
    """``int``, ``list[str] or None``: readable, and safe inside a Markdown table."""
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace(" | ", " or ")


def option_rows(options: type[Any]) -> list[dict[str, Any]]:
    rows = []
    for name, info in options.model_fields.items():
        annotation = info.annotation
        rows.append(
            {
                "name": info.alias or name,
                "type": type_name(annotation),
                "default": info.get_default(call_default_factory=True),
                "description": info.description or "",
            }
        )
    return rows


@main.command(name="init")
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
        _fail(f"{target} exists; edit it, or pass --force to start again")
    known = presets(make_host())
    if preset not in known:
        _fail(
            f"unknown preset {preset!r}{did_you_mean(preset, known)}; "
            f"use one of {', '.join(sorted(known))}"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(starter_ruleset(preset), encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror}")
    click.echo(f"wrote {target}; edit it, then: alignhealth check WORKBOOK")


@main.command(name="template")
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
        _fail(f"{path}: the template is an Excel workbook; give a path ending in .xlsx")
    if path.exists() and not force:
        _fail(f"{path} exists; choose another name or pass --force to overwrite it")
    try:
        write_template(path, example=example)
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}")
    click.echo(f"wrote {path}; fill it in, then: alignhealth check {path}")


@main.command(name="inspect")
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
        host = _host(no_plugins, plugin_modules)
        ruleset = ruleset or ui.discover_ruleset(workbook.parent)
        session = prepare(CheckRequest(ruleset=ruleset, mapping=mapping), host)
        loaded = load(session, workbook)
    except AlignhealthError as exc:
        _fail(exc.message)
    if emit_mapping:
        click.echo(mapping_toml(loaded), nl=False)
        return
    graph = OrgGraph(
        loaded, as_of=session.config.settings.as_of, levels=session.config.settings.levels
    )
    click.echo(describe(loaded, graph), nl=False)


@main.command(name="audit")
@click.argument("config", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write the mail as .eml files to the outbox "
    "instead of sending it; the run is still recorded.",
)
@click.option(
    "--no-history",
    is_flag=True,
    help="Record nothing (changes are still measured against the last recorded run).",
)
@output_options
@plugin_options
def audit_command(
    config: Path,
    dry_run: bool,
    no_history: bool,
    quiet: bool,
    verbose: bool,
    plugin_modules: tuple[str, ...],
    no_plugins: bool,
) -> None:
    """Run the scheduled audit CONFIG.toml: check its workbooks, remember the run, and
    mail what is new, what was fixed and what persists.

    Exit codes: 0 nothing at or above fail-on; 1 findings at or above it; 2 a config or
    input problem; 3 a rule or plugin crashed; 4 mail could not be delivered (the run is
    still recorded).
    """
    ui = Ui(quiet=quiet, verbose=verbose)
    try:
        audit = load_audit(config)
        outcome = run_audit(
            audit, dry_run=dry_run, no_history=no_history, host=_host(no_plugins, plugin_modules)
        )
    except AlignhealthError as exc:
        _fail(exc.message)
    for digest in outcome.digests:
        changes = digest.changes
        score = digest.result.summary.health_score
        click.echo(
            f"{digest.workbook}: run {digest.run_id or '(not recorded)'}, health "
            f"{score if score is not None else '-'}/100; {len(changes.new)} new, "
            f"{len(changes.resolved)} resolved, {len(changes.persisting)} persisting"
        )
        for error in digest.result.errors:
            click.echo(click.style("  error: ", fg="red") + error.message)
    if outcome.outbox:
        ui.note(f"--dry-run: wrote {len(outcome.outbox)} message(s) to {outcome.outbox[0].parent}")
    if outcome.sent:
        ui.note(f"sent {outcome.sent} message(s)")
    for workbook in outcome.skipped_mail:
        ui.note(f"{workbook}: nothing changed, no mail (skip-when-unchanged)")
    if outcome.delivery_error:
        click.echo(
            click.style("error: ", fg="red", bold=True)
            + outcome.delivery_error
            + "; the run is recorded",
            err=True,
        )
    sys.exit(outcome.exit_code)


@main.command(name="history")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="An audit config: its history database.",
)
@click.option(
    "--db", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="A history database."
)
@click.option("--workbook", help="Only runs of this workbook (its path, or a part of it).")
@click.option(
    "--diff",
    nargs=2,
    type=int,
    metavar="RUN_A RUN_B",
    help="What is new, resolved and persisting from RUN_A to RUN_B.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def history_command(
    config_path: Path | None,
    db: Path | None,
    workbook: str | None,
    diff: tuple[int, int] | None,
    fmt: str,
) -> None:
    """List recorded audit runs and the health-score trend, or compare two runs."""
    try:
        if (config_path is None) == (db is None):
            raise UsageError("give --config FILE or --db FILE (one of them)")
        path = load_audit(config_path).database if config_path else db
        assert path is not None
        if not path.exists():
            raise UsageError(f"{path}: no history yet; run `alignhealth audit` first")
        history = History(path)
    except AlignhealthError as exc:
        _fail(exc.message)
    try:
        if diff:
            try:
                first, second = history.run(diff[0]), history.run(diff[1])
            except AlignhealthError as exc:
                _fail(exc.message)
            changes = history.compare(first.id, second.id)
            if fmt == "json":
                click.echo(
                    json.dumps(
                        {
                            "from": first.id,
                            "to": second.id,
                            "new": [vars(f) for f in changes.new],
                            "resolved": [vars(f) for f in changes.resolved],
                            "persisting": [vars(f) for f in changes.persisting],
                        },
                        indent=2,
                    )
                )
                return
            click.echo(
                f"run {first.id} ({first.as_of}, score {first.health_score}) -> "
                f"run {second.id} ({second.as_of}, score {second.health_score})"
            )
            for title, items in (
                ("new", changes.new),
                ("resolved", changes.resolved),
                ("persisting", changes.persisting),
            ):
                click.echo(f"{title} ({len(items)}):")
                for f in items:
                    click.echo(
                        f"  [{f.severity}] {f.code} {f.cell or f.entity_id}: "
                        f"{terminal_safe(f.message)}"
                    )
            return
        runs = [r for r in history.runs() if workbook is None or workbook in r.workbook]
        if fmt == "json":
            click.echo(json.dumps([vars(r) for r in runs], indent=2))
            return
        if not runs:
            click.echo("no runs recorded")
            return
        click.echo(summarize_runs(runs))
        for name in dict.fromkeys(r.workbook for r in runs):
            scores = [r.health_score for r in runs if r.workbook == name]
            trend = " -> ".join("-" if s is None else str(s) for s in scores[-8:])
            click.echo(f"trend {Path(name).name}: {trend}")
    finally:
        history.close()


@main.command(name="plugins")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@plugin_options
def plugins_command(fmt: str, plugin_modules: tuple[str, ...], no_plugins: bool) -> None:
    """List every plugin: its distribution, hooks, rules, presets, reporters and errors.

    Exits 2 when a plugin failed to load or broke the contract.
    """
    host = _host(no_plugins, plugin_modules)
    registry = RuleRegistry.from_host(host)
    entries = plugin_inventory(host, registry)
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2))
    else:
        for entry in entries:
            version = f" {entry['version']}" if entry["version"] else ""
            label = " (built-in)" if entry["builtin"] else ""
            click.echo(click.style(f"{entry['name']}{version}{label}", bold=True))
            if entry["distribution"] and entry["distribution"] != entry["name"]:
                click.echo(f"  distribution: {entry['distribution']}")
            click.echo(f"  module: {entry['module']}")
            click.echo(f"  hooks: {', '.join(entry['hooks']) or '-'}")
            if entry["rules"]:
                click.echo(f"  rules: {len(entry['rules'])} ({', '.join(entry['prefixes'])})")
            for key in ("presets", "reporters"):
                if entry[key]:
                    click.echo(f"  {key}: {', '.join(entry[key])}")
            if entry["error"]:
                click.echo(click.style(f"  error: {entry['error']}", fg="red"))
    if any(entry["error"] for entry in entries):
        sys.exit(EXIT_INPUT)


@main.command(name="rule")
@click.argument("code")
@plugin_options
def rule_command(code: str, plugin_modules: tuple[str, ...], no_plugins: bool) -> None:
    """Show a rule's documentation and options (by code or name)."""
    host = _host(no_plugins, plugin_modules)
    registry = RuleRegistry.from_host(host)
    registered = registry.get(code)
    if registered is None:
        known = [*registry.rules, *registry.by_name]
        _fail(f"no rule {code!r}{did_you_mean(code, known)}; `alignhealth rules` lists them")
    click.echo(rule_doc(registry, registered.code))


GROUP_TITLES = {
    "data": "AH0: the workbook itself",
    "structure": "AH1: the structure of the goal tree",
    "ownership": "AH2: ownership and accountability",
    "levels": "AH3: alignment across levels",
    "priorities": "AH4: priorities",
    "engagement": "AH5: engagement and cadence",
    "measurement": "AH6: measurement and progress",
    "execution": "AH7: execution and completion",
    "orgchart": "AH8: the organisation chart",
    "run": "AH9: the run itself",
}


def rules_reference(registry: RuleRegistry) -> str:
    """The rule reference page (docs/rules.md), generated from the registry."""
    lines = [
        "# Rule reference",
        "",
        "<!-- Generated by `alignhealth rules --format markdown --no-plugins`; do not edit. -->",
        "",
        "Every rule alignhealth ships, by code. Codes are stable: rulesets, suppressions and",
        "audit history refer to them. Options are set in a ruleset under",
        "`[rules.options.CODE]`, written as shown (kebab-case).",
        "",
        "| code | name | severity | summary |",
        "|---|---|---|---|",
    ]
    codes = registry.sorted_codes()
    for code in codes:
        rule = registry.rules[code].rule
        lines.append(
            f"| [{code}](#{code.lower()}-{rule.name}) | {rule.name} | "
            f"{rule.severity().value} | {rule.summary} |"
        )
    current = None
    for code in codes:
        group = (registry.rules[code].rule.groups or ("other",))[0]
        if group != current:
            current = group
            lines += ["", f"# {GROUP_TITLES.get(group, group)}"]
        lines += ["", rule_doc(registry, code).rstrip("\n")]
    return "\n".join(lines) + "\n"


def rule_doc(registry: RuleRegistry, code: str) -> str:
    """A rule's documentation as Markdown: the same text for the CLI and docs/rules.md."""
    info = rule_info(registry, code)
    rule = registry.rules[code].rule
    lines = [
        f"## {code} {info['name']}",
        "",
        f"{info['summary']}.",
        "",
        f"- severity: {info['severity']}",
        f"- groups: {', '.join(info['groups']) or '-'}",
        f"- plugin: {info['plugin']}",
    ]
    for heading, text in rule.doc_sections().items():
        lines += ["", f"### {heading}", "", text]
    lines += ["", "### Options", ""]
    if info["options"]:
        lines.append("| option | type | default | description |")
        lines.append("|---|---|---|---|")
        for option in info["options"]:
            lines.append(
                f"| `{option['name']}` | {option['type']} | `{json.dumps(option['default'])}` | "
                f"{option['description']} |"
            )
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"
