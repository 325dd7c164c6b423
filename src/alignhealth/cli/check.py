"""``alignhealth check``: formats, several workbooks, parallel jobs, exit codes."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from alignhealth.annotate import annotate_copy
from alignhealth.cli.common import (
    Ui,
    fail,
    finish,
    jobs_option,
    output_options,
    plugin_host,
    plugin_options,
)
from alignhealth.engine import (
    EXIT_CRASH,
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    CheckRequest,
    Session,
    available_reporters,
    check_workbook,
    prepare,
    unchecked,
)
from alignhealth.errors import AlignhealthError, UsageError, did_you_mean
from alignhealth.findings import Severity
from alignhealth.loaders.csvfile import is_csv_dataset
from alignhealth.loaders.sniff import WORKBOOK_SUFFIXES, skipped_as_report
from alignhealth.outfiles import Inputs
from alignhealth.pool import in_input_order, map_workbooks, worker_died
from alignhealth.portfolio import combine, file_stems
from alignhealth.progress import PortfolioProgress
from alignhealth.reporters.base import Reporter
from alignhealth.runresult import RunResult


def _split(values: Sequence[str]) -> list[str]:
    """Selectors given repeatedly and/or comma-separated."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


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
                "contain {stem} (the workbook's name without its extension; for workbooks "
                "that share a name, its path: clients-acme-goals)"
            )
    return targets


@click.command()
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
@jobs_option
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
    folder is a set of workbooks. Several workbooks are checked in parallel (--jobs), each
    reported on its own, then summed up together: every workbook, worst first, and the
    totals.

    Without --ruleset, an alignhealth.toml beside the first workbook (or in the current
    folder) is used, and named on standard error.

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad
    arguments, ruleset, input, or a plugin that failed to load; 3 a rule crashed; 130
    interrupted (Ctrl-C); 143 stopped (SIGTERM).
    """
    ui = Ui(quiet=quiet, verbose=verbose)
    try:
        workbooks = tuple(expand_inputs(workbooks, ui))
    except AlignhealthError as exc:
        fail(exc.message)
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
    cores = jobs or os.cpu_count() or 1
    workers = min(cores, len(workbooks))
    # Cores no workbook of its own needs share out the rules of the workbooks.
    request.jobs = max(1, cores // workers)
    try:
        host = plugin_host(no_plugins, plugin_modules)
        available = available_reporters(host)
        targets = parse_formats(formats, output, available, several=len(workbooks) > 1)
        if annotate and len(workbooks) > 1 and "{stem}" not in annotate:
            raise UsageError("--annotate: with several workbooks the FILE must contain {stem}")
        check_destinations(workbooks, targets, annotate)
        session = prepare(request, host)
        ui.describe_session(session)
        if workers > 1:
            # Each workbook's own files are written by the worker that checked it; what
            # goes to standard output is written here once every workbook is done.
            files = [t for t in targets if t.path is not None]
            targets = [t for t in targets if t.path is None]
            with ui.progress() as progress:
                results = check_in_parallel(
                    workbooks,
                    request,
                    workers,
                    no_plugins,
                    plugin_modules,
                    debug,
                    progress,
                    files=files,
                    quiet=ui.quiet,
                    keep_graph=any(available[t.name].uses_graph for t in targets),
                    annotate=annotate,
                    say=lambda said: tell(said, ui),
                )
        else:
            with ui.progress() as progress:
                session.config.progress = progress
                results = [_check_one(session, path, request, debug) for path in workbooks]
        code = overall_exit_code([r.exit_code for r in results])
        render(results, targets, available, code, ui)
        if annotate and workers == 1:
            annotate_all(results, annotate, ui)
    except AlignhealthError as exc:
        fail(exc.message)
    finish(code)


def expand_inputs(paths: Sequence[Path], ui: Ui) -> list[Path]:
    """Folders of workbooks become their workbooks (a CSV dataset folder stays one input);
    Office lock files and alignhealth's own reports in a folder are skipped with a
    note, and so is a workbook named a second time (``book.xlsx folder/``, with book.xlsx
    in the folder): each is checked once."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir() or is_csv_dataset(path):
            out.append(path)
            continue
        found = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
        )
        kept = 0
        for file in found:
            if file.name.startswith("~$"):
                ui.note(f"skipped {file}: an Office lock file (the workbook is open in Excel)")
            elif (note := skipped_as_report(file)) is not None:
                ui.note(note)
            else:
                out.append(file)
                kept += 1
        if not kept:
            raise UsageError(
                f"{path}: no workbooks in this folder (.xlsx, .xlsm, .xls, .xlsb, "
                f".ods or .csv), and no goals.csv{_in_subfolders(path)}"
            )
    once: dict[Path, Path] = {}
    for path in out:
        first = once.setdefault(path.resolve(), path)
        if first is not path:
            again = "named twice" if first == path else f"it is {first}, named already"
            ui.note(f"skipped {path}: {again}")
    return list(once.values())


#: What writing an annotated copy has to say: ("warning" or "note", the text).
Said = list[tuple[str, str]]


def _in_subfolders(folder: Path) -> str:
    """Where a folder's subfolders hold workbooks, how to name them (a folder's workbooks
    are its own files, not its subfolders': a report folder beside them is not read)."""
    try:
        holding = sorted(
            sub.name
            for sub in folder.iterdir()
            if sub.is_dir()
            and (
                is_csv_dataset(sub)
                or any(f.suffix.lower() in WORKBOOK_SUFFIXES for f in sub.iterdir())
            )
        )
    except OSError:
        return ""
    if not holding:
        return ""
    shown = ", ".join(holding[:3]) + (", ..." if len(holding) > 3 else "")
    return (
        f"; {len(holding)} of its subfolders hold workbooks ({shown}): name them, "
        f"as in: alignhealth check {shlex.quote(folder.as_posix())}/*/"
    )


def _checker(
    request: CheckRequest,
    no_plugins: bool,
    modules: tuple[str, ...],
    debug: bool,
    files: Sequence[FormatTarget],
    quiet: bool,
    keep_graph: bool,
    stems: dict[str, str],
    annotate: str | None,
) -> Callable[[Path], tuple[RunResult, Said]]:
    """A worker's check of one workbook, with plugins, rules and ruleset resolved once per
    worker, not once per workbook (a portfolio of small workbooks spent a quarter of its
    time there). Its reports to files are written in the worker, beside the other
    workers' (rendering a report is part of a workbook's work); its graph goes back only
    where a report still to be written reads it. So is its annotated copy (``annotate``),
    of which what there is to say goes back with the result."""
    host = plugin_host(no_plugins, modules)
    session = prepare(request, host)
    available = available_reporters(host)

    def check_one(path: Path) -> tuple[RunResult, Said]:
        result = _check_one(session, path, request, debug)
        for target in files:
            _write_report(
                result, target, stem_path(target.path, stems[str(path)]), available, quiet
            )
        said = annotate_one(result, annotate, stems[str(path)]) if annotate else []
        if not keep_graph:
            result.graph = None
        return result, said

    return check_one


def check_in_parallel(
    workbooks: Sequence[Path],
    request: CheckRequest,
    workers: int,
    no_plugins: bool,
    modules: tuple[str, ...],
    debug: bool,
    progress: PortfolioProgress | None = None,
    files: Sequence[FormatTarget] = (),
    quiet: bool = False,
    keep_graph: bool = True,
    annotate: str | None = None,
    say: Callable[[Said], None] | None = None,
) -> list[RunResult]:
    """Check workbooks in ``workers`` processes; results come back in input order, and a
    workbook that fails does not stop the others. ``progress`` is told of each workbook as
    it is done, in whatever order they end. Each workbook's reports to ``files`` (paths
    with ``{stem}``) are written by the worker that checked it. Without ``keep_graph`` the
    results come back without their graphs (``result.graph`` is None): no report still to
    be written reads them, and a graph costs more to send than the rest of its result.
    With ``annotate``, each worker writes its workbook's annotated copy too, and ``say``
    is given what there is to say of each, in input order."""
    stems = stems_of(workbooks)
    args = (request, no_plugins, modules, debug, tuple(files), quiet, keep_graph, stems, annotate)

    def died(path: Path) -> tuple[RunResult, Said]:
        """The result, and its reports, of a workbook whose worker died, made here."""
        host = plugin_host(no_plugins, modules)
        result = unchecked(prepare(request, host), path, worker_died(path), EXIT_CRASH)
        available = available_reporters(host)
        for target in files:
            _write_report(
                result, target, stem_path(target.path, stems[str(path)]), available, quiet
            )
        return result, []

    results = []
    found = map_workbooks(workbooks, _checker, args, workers, progress, died)
    for result, said in in_input_order(found):
        if say is not None:
            say(said)
        results.append(result)
    return results


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


#: From this many rows a workbook's annotated copy is said to take a while before it is
#: written: openpyxl reads and writes every cell (100,000 goals, 221,941 rows: 51 s).
SLOW_ANNOTATION_ROWS = 50_000


def annotate_all(results: Sequence[RunResult], pattern: str, ui: Ui) -> None:
    """Write the annotated copy of each workbook that could be read."""
    stems = stems_of([Path(r.source.path) for r in results])
    for result in results:
        rows = sum(result.source.counts.values())
        if result.source.sha256 is not None and rows >= SLOW_ANNOTATION_ROWS:
            ui.note(
                f"marking the flagged cells in a copy of {result.source.path}: openpyxl reads "
                f"and writes each of its {rows:,} rows, which takes a while (the reports "
                "are written already)"
            )
        tell(annotate_one(result, pattern, stems[result.source.path]), ui)


def annotate_one(result: RunResult, pattern: str, stem: str) -> Said:
    """Write the annotated copy of a workbook that could be read (to ``pattern``, its
    ``{stem}`` ``stem``); what there is to say of it, for the main process to tell."""
    if result.source.sha256 is None:
        return []
    source = Path(result.source.path)
    target = stem_path(pattern, stem)
    said = [("warning", w) for w in annotate_copy(source, result.findings, target)]
    return [*said, ("note", f"wrote {target}, a copy of {source} with the flagged cells marked")]


def tell(said: Said, ui: Ui) -> None:
    for kind, text in said:
        if kind == "warning":
            click.echo(click.style("warning: ", fg="yellow") + text, err=True)
        else:
            ui.note(text)


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
    stdout_is_machine = any(not available[t.name].human for t in to_stdout)
    for result in results:
        ui.describe_result(result)
    stems = stems_of([Path(r.source.path) for r in results])
    # Files first, each named on the terminal as it is written (a large report takes a
    # while, after the check's progress is gone), then what goes to standard output.
    with ui.progress() as progress:
        for target in targets:
            if target.path is None:
                continue
            for result in results:
                path = stem_path(target.path, stems[result.source.path])
                if progress is not None:
                    progress.writing(str(path), len(result.findings))
                _write_report(result, target, path, available, ui.quiet)
    for target in to_stdout:
        human = available[target.name].human
        reporter = available[target.name](color=human and sys.stdout.isatty(), quiet=ui.quiet)
        # Machine output, piped on (the JSON of a million findings is a gigabyte), is
        # written as the format writes a file: in pieces where it can, never held whole.
        stream = None if human else getattr(sys.stdout, "buffer", None)
        if len(results) > 1:
            click.echo(reporter.render_many(results, exit_code), nl=False)
        elif stream is None:
            click.echo(reporter.render(results[0]), nl=False)
        else:
            sys.stdout.flush()
            reporter.write(results[0], stream)
            stream.flush()
    if (stdout_is_machine or not to_stdout) and not ui.quiet:
        # Machine output (or files) on stdout: the short human summary goes to stderr.
        for result in results:
            click.echo(_short_summary(result), err=True)
        if len(results) > 1:
            click.echo(combine(results).headline(), err=True)


def stem_path(pattern: str | None, stem: str) -> Path:
    """The file a report's or an annotated copy's ``pattern`` names for one workbook: its
    ``{stem}``, if any, ``stem`` (the workbook's, from :func:`stems_of`)."""
    assert pattern is not None
    return Path(pattern.replace("{stem}", stem))


def _write_report(
    result: RunResult,
    target: FormatTarget,
    path: Path,
    available: dict[str, type[Reporter]],
    quiet: bool,
) -> None:
    """One workbook's report in ``target``'s format to ``path`` (:func:`stem_path`)."""
    available[target.name](quiet=quiet, destination=path).save(result, path)


def check_destinations(
    workbooks: Sequence[Path], targets: Sequence[FormatTarget], annotate: str | None
) -> None:
    """Before any workbook is checked (a large one takes a while): every report and
    annotated copy can be written where it is to go. None may be written over a workbook
    of the run (:class:`~alignhealth.outfiles.Inputs`), nor be a folder."""
    inputs = Inputs(workbooks)
    stems = stems_of(workbooks)
    files = [(f"the {t.name} report", t.path) for t in targets if t.path is not None]
    if annotate:
        files.append(("--annotate", annotate))
    for what, pattern in files:
        for workbook in workbooks:
            destination = stem_path(pattern, stems[str(workbook)])
            inputs.refuse(destination, what)
            if destination.is_dir():
                raise UsageError(f"{what} {destination}: that is a folder; name a file in it")


def stems_of(workbooks: Sequence[Path]) -> dict[str, str]:
    """What ``{stem}`` stands for in each workbook's file names, by the workbook's path as
    given: its file name without the suffix, or, where two workbooks share that, its path
    (``clients/acme/goals.xlsx`` -> ``clients-acme-goals``)."""
    return {str(w): stem for w, stem in file_stems(workbooks, lambda w: w.as_posix()).items()}


def _short_summary(result: RunResult) -> str:
    if result.errors and not result.findings:
        path = result.source.path
        # An input error names its file already; a plugin's may not.
        return "; ".join(
            e.message if e.message.startswith(path) else f"{path}: {e.message}"
            for e in result.errors
        )
    counts = ", ".join(f"{n:,} {s}" for s, n in result.summary.by_severity.items() if n)
    score = result.summary.health_score
    text = f"{result.source.path}: {len(result.active_findings()):,} finding(s)"
    if counts:
        text += f" ({counts})"
    if score is not None:
        text += f", health score {score}/100 ({result.summary.band})"
    return text
