"""``alignhealth audit`` and ``history``: scheduled audits."""

from __future__ import annotations

import json
from pathlib import Path

import click

from alignhealth.audit.config import load_audit
from alignhealth.audit.history import History, summarize_runs
from alignhealth.audit.run import run_audit
from alignhealth.cli.common import (
    Ui,
    fail,
    finish,
    jobs_option,
    output_options,
    plugin_host,
    plugin_options,
)
from alignhealth.errors import AlignhealthError, UsageError
from alignhealth.portfolio import display_names
from alignhealth.reporters.safe import terminal_safe


@click.command(name="audit")
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
@jobs_option
@output_options
@plugin_options
def audit_command(
    config: Path,
    dry_run: bool,
    no_history: bool,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
    plugin_modules: tuple[str, ...],
    no_plugins: bool,
) -> None:
    """Run the scheduled audit CONFIG.toml: check its workbooks, remember the run, and
    mail what is new, what was fixed and what persists.

    Several workbooks are checked at once (--jobs); their runs are recorded and their
    mail made in the order the config lists them.

    Exit codes: 0 nothing at or above fail-on; 1 findings at or above it; 2 a config or
    input problem; 3 a rule or plugin crashed; 4 mail could not be delivered (the run is
    still recorded); 130 interrupted (Ctrl-C); 143 stopped (SIGTERM).
    """
    ui = Ui(quiet=quiet, verbose=verbose)
    try:
        audit = load_audit(config)
        with ui.progress() as progress:
            outcome = run_audit(
                audit,
                dry_run=dry_run,
                no_history=no_history,
                host=plugin_host(no_plugins, plugin_modules),
                jobs=jobs,
                progress=progress,
            )
    except AlignhealthError as exc:
        fail(exc.message)
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
    for line in outcome.skipped_files:
        ui.note(line)
    for workbook in outcome.skipped_mail:
        ui.note(f"{workbook}: nothing changed, no mail (skip-when-unchanged)")
    if outcome.delivery_error:
        click.echo(
            click.style("error: ", fg="red", bold=True)
            + outcome.delivery_error
            + "; the run is recorded",
            err=True,
        )
    finish(outcome.exit_code)


@click.command(name="history")
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
        fail(exc.message)
    try:
        if diff:
            try:
                first, second = history.run(diff[0]), history.run(diff[1])
            except AlignhealthError as exc:
                fail(exc.message)
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
        keys = {Path(key): key for key in dict.fromkeys(r.workbook for r in runs)}
        # Named as the audit names them: by file name, or by key where two share one.
        names = display_names(list(keys), keys.__getitem__)
        for path, key in keys.items():
            scores = [r.health_score for r in runs if r.workbook == key]
            trend = " -> ".join("-" if s is None else str(s) for s in scores[-8:])
            click.echo(f"trend {names[path]}: {trend}")
    finally:
        history.close()
