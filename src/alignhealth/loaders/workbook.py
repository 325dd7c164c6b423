"""Load a whole workbook: find each kind of sheet, read it, and gather the problems."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

from openpyxl.utils.datetime import CALENDAR_MAC_1904

from alignhealth.collector import gc_paused
from alignhealth.errors import InputError, closest
from alignhealth.findings import Notice, quote_sheet
from alignhealth.loaders.csvfile import is_csv_dataset, read_csv, read_csv_folder
from alignhealth.loaders.guard import check_package
from alignhealth.loaders.isolation import read_isolated
from alignhealth.loaders.mapping import InputMapping
from alignhealth.loaders.raw import RawSheet, RawWorkbook
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.loaders.schema import SHEETS, SheetKind, fold_header
from alignhealth.loaders.sniff import FileKind, sniff
from alignhealth.loaders.tables import (
    HEADER_SEARCH_ROWS,
    ReadContext,
    SheetRead,
    find_header,
    read_sheet,
)
from alignhealth.loaders.values import DateOrder
from alignhealth.progress import Progress


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in blocks; for a folder of CSVs, of its CSV files in
    name order."""
    digest = hashlib.sha256()
    files = (
        sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv") if path.is_dir() else [path]
    )
    for file in files:
        with file.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def read_raw(path: Path, encoding: str = "utf-8-sig") -> RawWorkbook:
    """Open ``path`` with the reader its content calls for.

    CSV is read here; every workbook format is read in an isolated child process, after
    the package passed the guard (no zip bombs, no XML entities). calamine reads
    everything (an .xlsx's sheets streamed by python-calamine-plus, with a byte scan of
    the sheet XML for the error values and formulas without a saved value it cannot see);
    for .xlsx, openpyxl's streaming reader is the fallback where calamine fails, and
    ALIGNHEALTH_READER=openpyxl chooses it.
    """
    if is_csv_dataset(path):
        return read_csv_folder(path, encoding)
    kind = sniff(path)
    if kind is FileKind.CSV:
        return read_csv(path, encoding)
    backend = "calamine"
    if kind in (FileKind.XLSX, FileKind.XLSB, FileKind.ODS):
        facts = check_package(path)
        if kind is FileKind.XLSX and not (facts.strict or facts.backslash_paths):
            backend = os.environ.get("ALIGNHEALTH_READER", "calamine-xlsx")
    if backend != "calamine-xlsx":
        return read_isolated(path, backend)
    try:
        return read_isolated(path, backend)
    except InputError as exc:
        return _fallback(path, exc)


#: How the fast reader fails where openpyxl's streaming reader still can (a file that asks
#: calamine for too much memory, say), whether opening the file or loading a sheet.
_FALLBACK_CODES = ("reader-crashed", "too-large", "corrupt", "timeout")


def _fallback(path: Path, exc: InputError) -> RawWorkbook:
    """The workbook read with openpyxl, after python-calamine failed with ``exc``."""
    if exc.code not in _FALLBACK_CODES:
        raise exc
    raw = read_isolated(path, "openpyxl")
    raw.notices.append(
        Notice(
            code="reader-fallback",
            message=f"the fast reader could not read the file "
            f"({exc.message}); it was read with openpyxl instead",
        )
    )
    return raw


def find_sheets(
    raw: RawWorkbook, mapping: InputMapping, notices: list[Notice]
) -> dict[SheetKind, RawSheet]:
    """Which sheet holds which kind of data: the mapping's names, then synonyms."""
    by_name = {sheet.name: sheet for sheet in raw.sheets}
    by_folded: dict[str, RawSheet] = {}
    for sheet in raw.sheets:
        by_folded.setdefault(fold_header(sheet.name), sheet)
    found: dict[SheetKind, RawSheet] = {}
    claimed: set[str] = set()
    for kind in SHEETS:
        sheet_mapping = mapping.for_kind(kind)
        if sheet_mapping and sheet_mapping.sheet:
            wanted = sheet_mapping.sheet
            mapped = by_name.get(wanted) or by_folded.get(fold_header(wanted))
            if mapped is None:
                near = closest(wanted, by_name)
                hint = f"; the closest is {near!r}" if near else ""
                raise InputError(
                    f"{raw.path}: the mapping names sheet {wanted!r} for {kind.value}, but the "
                    f"workbook has no such sheet{hint} (sheets: "
                    f"{', '.join(repr(n) for n in by_name)})",
                    code="missing-sheet",
                    location=raw.path,
                )
            found[kind] = mapped
            claimed.add(mapped.name)
    # Exact synonyms first ("Goals"), then names that start or end with one ("Goals FY27").
    for matches in (_is_synonym, _contains_synonym):
        for kind, spec in SHEETS.items():
            if kind in found:
                continue
            for sheet in raw.sheets:
                if sheet.name in claimed or not matches(fold_header(sheet.name), spec.synonyms):
                    continue
                if sheet.hidden:
                    notices.append(
                        Notice(
                            code="hidden-sheet-skipped",
                            message=f"sheet {sheet.name!r} looks like the {kind.value} sheet "
                            "but is hidden; it was not read (name it in the mapping to read it)",
                        )
                    )
                    claimed.add(sheet.name)
                    continue
                found[kind] = sheet
                claimed.add(sheet.name)
                break
    if SheetKind.GOALS not in found:
        candidate = _goals_by_headers([s for s in raw.sheets if s.name not in claimed])
        if candidate is None:
            names = ", ".join(repr(s.name) for s in raw.sheets) or "none"
            raise InputError(
                f"{raw.path}: no goals sheet (sheets: {names}); name one 'Goals' (or "
                "'Objectives', 'OKRs', 'Strategy'...), give it ID and Title columns, or map "
                'it: [input.goals] sheet = "..."',
                code="no-goals-sheet",
                location=raw.path,
            )
        found[SheetKind.GOALS] = candidate
        notices.append(
            Notice(
                code="goals-sheet-by-headers",
                message=f"sheet {candidate.name!r} was read as the goals sheet because its "
                "headers hold an id and a title",
            )
        )
    return found


def _is_synonym(name: str, synonyms: tuple[str, ...]) -> bool:
    return name in synonyms


def _contains_synonym(name: str, synonyms: tuple[str, ...]) -> bool:
    words = name.split()
    for synonym in synonyms:
        size = len(synonym.split())
        if size < len(words) and synonym.split() in (words[:size], words[-size:]):
            return True
    return False


def _goals_by_headers(sheets: list[RawSheet]) -> RawSheet | None:
    """The visible sheet whose header row names an id and a title column, if just one does."""
    spec = SHEETS[SheetKind.GOALS]
    fits = []
    for sheet in sheets:
        if sheet.hidden:
            continue
        head = list(islice(sheet.rows(), HEADER_SEARCH_ROWS))
        header = find_header(spec, None, head)
        if header is None:
            continue
        folded = {fold_header(str(v)) for v in header[1] if isinstance(v, str)}
        if all(folded & set(spec.field(name).synonyms) for name in spec.required):
            fits.append(sheet)
    return fits[0] if len(fits) == 1 else None


def _sheet_notices(sheet: RawSheet) -> list[Notice]:
    """Hidden rows and merged ranges (known once the sheet has been read)."""
    notices = []
    if sheet.hidden_rows:
        rows = sheet.hidden_rows
        notices.append(
            Notice(
                code="hidden-rows",
                message=f"sheet {sheet.name!r}: {len(rows):,} hidden row(s) were read like "
                "any other (unhide them in Excel to see what was checked)",
                cells=[f"{quote_sheet(sheet.name)}!{r}:{r}" for r in rows[:20]],
                count=len(rows),
            )
        )
    if sheet.merged:
        notices.append(
            Notice(
                code="merged-cells",
                message=f"sheet {sheet.name!r}: {len(sheet.merged)} merged range(s); each "
                "range's top-left value applies to all its cells",
                cells=[f"{quote_sheet(sheet.name)}!{ref}" for ref in sheet.merged[:20]],
                count=len(sheet.merged),
            )
        )
    return notices


def load_workbook(
    path: Path,
    mapping: InputMapping | None = None,
    date_order: DateOrder | None = None,
    progress: Progress | None = None,
    encoding: str = "utf-8-sig",
) -> LoadedWorkbook:
    """Read ``path`` (a workbook, a goals CSV, or a folder of CSVs) into records.

    Raises :class:`InputError` when the workbook cannot be used at all; cells that cannot
    be used become problems on the result, and the rest is still read.
    """

    def records(raw: RawWorkbook) -> LoadedWorkbook:
        return load_raw(
            raw, path.name, mapping, date_order, path=str(path), sha256=sha256, progress=progress
        )

    # Read first: a path that is no file, or cannot be read, is told as such by the reader.
    raw = read_raw(path, encoding)
    try:
        sha256 = file_sha256(path)
        try:
            return records(raw)
        except InputError as exc:
            # The fast reader loads sheets as they are read, so it can fail part way.
            if raw.reader != "calamine-xlsx":
                raise
            raw.close()
            raw = _fallback(path, exc)
            return records(raw)
    finally:
        raw.close()


#: Seconds a failing or stopped read waits for the thread reading the streamed sheet to
#: end, its stream closed under it (it ends at once; it is not waited on for good).
STOP_WAIT = 5.0


class _Beside:
    """``read(kind)`` in a thread of its own; ``join`` waits for it, and raises what it
    raised other than an input error (which ``read`` keeps)."""

    def __init__(self, read: Callable[[SheetKind], None], kind: SheetKind) -> None:
        self.raised: BaseException | None = None

        def run() -> None:
            try:
                read(kind)
            except BaseException as exc:  # told in the main thread, as if raised there
                self.raised = exc

        self.thread = threading.Thread(target=run, name=f"alignhealth-read-{kind}", daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join()
        if self.raised is not None:
            raise self.raised


def load_raw(
    raw: RawWorkbook,
    name: str,
    mapping: InputMapping | None = None,
    date_order: DateOrder | None = None,
    *,
    path: str | None = None,
    sha256: str = "",
    progress: Progress | None = None,
) -> LoadedWorkbook:
    """Read the sheets of ``raw`` (from any reader) into records."""
    mapping = mapping or InputMapping()
    ctx = ReadContext(
        workbook=name,
        date_order=date_order,
        epoch=CALENDAR_MAC_1904 if raw.date_epoch_1904 else None,
        notices=list(raw.notices),
        progress=progress,
    )
    sheets = find_sheets(raw, mapping, ctx.notices)
    # The largest sheet is read last: a reader that reads sheets ahead (calamine loads the
    # next sheet; a large .xlsx's largest sheet is streamed by a second child from the
    # start) reads it while the others are parsed. What reading finds is still told in
    # the sheets' order.
    order = sorted(sheets, key=lambda kind: sheets[kind].size)
    raw.want([sheets[kind] for kind in order])
    reads: dict[SheetKind, SheetRead] = {}
    found: dict[SheetKind, ReadContext] = {}
    failed: dict[SheetKind, InputError] = {}

    def read(kind: SheetKind) -> None:
        found[kind] = replace(ctx, problems=[], notices=[])
        try:
            reads[kind] = read_sheet(
                sheets[kind], SHEETS[kind], mapping.for_kind(kind), found[kind]
            )
        except InputError as exc:
            failed[kind] = exc

    # A sheet streamed by a process of its own is read by a thread beside the others:
    # whenever the other sheets' rows are late, this process parses the streamed rows
    # that wait for it, rather than leaving them all for the end.
    apart = order[-1] if order and raw.reads_apart(sheets[order[-1]]) else None
    with gc_paused():
        beside = _Beside(read, apart) if apart is not None else None
        try:
            for kind in order:
                if kind is not apart:
                    read(kind)
        except BaseException:
            raw.close()  # the thread's reader stops too, so the thread ends at once
            if beside is not None:
                # Its read fails now as its stream is closed under it, however the
                # connection tells it: that is this failure's consequence, not news. It
                # is a daemon: a stop does not wait on it for long.
                beside.thread.join(STOP_WAIT)
            raise
        if beside is not None:
            beside.join()
    for kind in sheets:
        if kind in failed:
            raise failed[kind]
    for sheet in sheets.values():
        ctx.notices.extend(_sheet_notices(sheet))
    for kind in sheets:
        ctx.notices.extend(found[kind].notices)
        ctx.problems.extend(found[kind].problems)
    for sheet in raw.sheets:
        if sheet.hidden and sheet not in sheets.values():
            ctx.notices.append(
                Notice(code="hidden-sheet", message=f"hidden sheet {sheet.name!r} was not read")
            )

    def records(kind: SheetKind) -> list[Any] | None:
        read = reads.get(kind)
        return None if read is None else read.records

    return LoadedWorkbook(
        path=path or name,
        name=name,
        sha256=sha256,
        goals=reads[SheetKind.GOALS].records,
        people=records(SheetKind.PEOPLE),
        projects=records(SheetKind.PROJECTS),
        reviews=records(SheetKind.REVIEWS),
        levels=records(SheetKind.LEVELS),
        sheets={kind: read.sheet for kind, read in reads.items()},
        columns={kind: frozenset(read.columns.fields) for kind, read in reads.items()},
        problems=ctx.problems,
        notices=ctx.notices,
        layout={kind: read.layout() for kind, read in reads.items()},
        unread_sheets=[(s.name, s.hidden) for s in raw.sheets if s not in sheets.values()],
        by_id={kind: read.by_id for kind, read in reads.items() if read.by_id is not None},
        goal_links=reads[SheetKind.GOALS].links,
    )
