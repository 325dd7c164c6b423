"""Read .xlsx, .xls, .xlsb and .ods with python-calamine.

An .xlsx's sheets are streamed row by row (python-calamine-plus, a fork of
python-calamine that decodes rows straight from the zipped XML), so that the parent
parses the first rows of a sheet while the rest are still being read; other formats, and
a sheet that declares itself too wide to stream, are loaded whole by python-calamine.
calamine turns Excel error cells into empty strings (or their text, streaming) and drops
formulas without a saved value, so for .xlsx a byte scan of the sheet's XML restores them;
for the other formats they cannot be reported. It always runs in the isolated reader
process (:mod:`alignhealth.loaders.isolation`), because a pathological file can make it
abort the whole interpreter.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice, zip_longest
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from alignhealth.errors import InputError
from alignhealth.loaders.excel import (
    SheetScan,
    declared_width,
    fill_merged,
    scan_sheet,
    sheet_parts,
    sheet_sizes,
)
from alignhealth.loaders.raw import (
    CellError,
    RawSheet,
    RawWorkbook,
    RowStream,
    UncalculatedFormula,
    no_rows,
)


def read_calamine(path: Path, xlsx: bool = False) -> RawWorkbook:
    """Open ``path`` with python-calamine, or python-calamine-plus for an .xlsx (read-only).

    For an .xlsx, its sheets are streamed (see the module), and a byte scan of each sheet's
    XML restores what calamine cannot see: error values, formulas without a saved value,
    hidden rows.
    """
    name = str(path)
    parts = sheet_parts(path) if xlsx else {}
    import python_calamine
    import python_calamine_plus

    calamine: Any = python_calamine_plus if parts else python_calamine
    sizes = sheet_sizes(path, parts)
    try:
        book = calamine.CalamineWorkbook.from_path(name)
    except calamine.PasswordError:
        raise InputError(
            f"{name}: the workbook is password-protected; save an unprotected copy",
            code="encrypted",
            location=name,
        ) from None
    except Exception as exc:  # calamine raises a handful of its own types
        raise InputError(
            f"{name}: the workbook cannot be opened ({type(exc).__name__}: {exc}); re-save it "
            "from Excel as .xlsx",
            code="corrupt",
            location=name,
        ) from None
    metas = [m for m in book.sheets_metadata if "ChartSheet" not in str(m.typ)]
    loader = _SheetLoader(book, path, parts)
    sheets = [
        RawSheet(
            name=meta.name,
            hidden=not str(meta.visible).endswith(".Visible"),
            rows=no_rows,
            size=sizes.get(meta.name, 0),
        )
        for meta in metas
    ]
    for sheet in sheets:
        sheet.rows = _rows(loader, sheet)
    return RawWorkbook(
        path=name,
        sheets=sheets,
        date_epoch_1904=xlsx and _is_1904(path),
        closer=loader.close,
        prefetch=lambda indices: loader.want([sheets[i].name for i in indices]),
    )


#: The most columns a streamed sheet may declare (its ``<dimension>``): a stream pads
#: every row to the declared width, so a sheet declaring A1:XFD1 would send 16,384 cells
#: a row. Such a sheet is loaded whole instead, which pads to the cells it really holds.
STREAM_WIDTH = 1024


class _SheetLoader:
    """Gives each sheet's rows, with what the byte scan of its XML found.

    An .xlsx's sheets (``parts`` known) are streamed as they are read, and only their
    scans run ahead, in a thread of their own (zlib lets go of the GIL while it inflates).
    A workbook has one stream at a time, and loading a sheet ends it: a sheet too wide to
    stream is loaded only when it is read (the parent reads one sheet at a time).

    Other formats are loaded whole, in a thread of their own, in the order they are
    wanted, ahead of the rows being sent: calamine lets go of the GIL while it parses a
    sheet, so loading the next sheet overlaps sending this one, and the parent parsing
    it. A sheet nobody reads is never loaded.
    """

    def __init__(self, book: Any, path: Path, parts: dict[str, str]) -> None:
        self.book = book
        self.path = path
        self.parts = parts
        self.loads: dict[str, Future[tuple[Any, SheetScan, list[str]]]] = {}
        self.scanned: dict[str, Future[SheetScan]] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calamine")
        self.scans = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan")
        #: Whether each sheet looked at so far is streamed (or loaded).
        self.streamed: dict[str, bool] = {}
        #: Sheets that declare no width: their scans measure it.
        self.undeclared: set[str] = set()

    def streams(self, name: str) -> bool:
        """Whether the sheet is streamed: an .xlsx's sheet not declaring itself too wide."""
        known = self.streamed.get(name)
        if known is None:
            member = self.parts.get(name)
            width = declared_width(self.path, member) if member is not None else 0
            if width is None:
                # No <dimension>: streamed unless its scan finds a cell past STREAM_WIDTH
                # (a stray value at XFD5 would pad every later row to 16,384 cells).
                self.undeclared.add(name)
            known = member is not None and (width or 0) <= STREAM_WIDTH
            self.streamed[name] = known
        return known

    def want(self, names: list[str]) -> None:
        for name in names:
            if name in self.parts and name not in self.scanned:
                # calamine gives the merged ranges of a loaded sheet itself
                merged = self.streams(name)
                width = name in self.undeclared
                self.scanned[name] = self.scans.submit(
                    scan_sheet, self.path, self.parts[name], merged, width
                )
            if not self.parts and name not in self.loads:
                self.loads[name] = self.pool.submit(self._load, name)

    def close(self) -> None:
        """Stop the loading threads (a load under way finishes first). In the isolated
        reader's process they end with it; a caller that reads in its own process must
        close, or the threads outlive the read (and a process with threads cannot safely
        fork, so rules and readers after it would not share the cores)."""
        for pool in (self.pool, self.scans):
            pool.shutdown(wait=True, cancel_futures=True)

    def sheet(self, name: str) -> tuple[Iterable[list[object]], SheetScan, list[str]]:
        """The sheet's rows (from column A of row 1), its scan and its merged ranges."""
        self.want([name])
        if self.streams(name):
            scan = self.scanned[name].result()
            if scan.widest <= STREAM_WIDTH:
                return self.book.stream_sheet_by_name(name), scan, scan.merged
            self.streamed[name] = False  # too wide after all: loaded, as a declared one
        load = self.loads.get(name)
        sheet, scan, merged = load.result() if load is not None else self._load(name)
        return _from_column_a(sheet), scan, merged

    def _load(self, name: str) -> tuple[Any, SheetScan, list[str]]:
        pending = self.scanned.get(name)
        sheet = self.book.get_sheet_by_name(name)
        merged = [
            f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
            for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
        ]
        return sheet, pending.result() if pending is not None else SheetScan(), merged


def _from_column_a(sheet: Any) -> Iterable[list[object]]:
    """A loaded sheet's rows from column A: calamine gives them from row 1 but from the
    first column that holds anything, so a table that starts in column B would have its
    cells named one column to the left."""
    rows: Iterable[list[object]] = sheet.iter_rows()
    first = (sheet.start or (0, 0))[1]
    if not first:
        return rows
    pad: list[object] = [""] * first
    return (pad + row for row in rows)


def _is_1904(path: Path) -> bool:
    """Whether an .xlsx counts its dates from 1904 (dates calamine does not convert, such
    as bare serial numbers, need it)."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        return False
    return re.search(rb'date1904="(?:1|true)"', book) is not None


def _rows(loader: _SheetLoader, raw: RawSheet) -> Any:
    """The sheet's rows; its merged ranges and hidden rows are known once it is loaded,
    before the first row."""

    def rows() -> RowStream:
        rows, scan, merged = loader.sheet(raw.name)
        raw.merged, raw.hidden_rows = merged, scan.hidden_rows
        stream = _values(rows, scan)
        return fill_merged(stream, merged) if merged else stream

    return rows


def _values(rows: Iterable[list[object]], scan: SheetScan) -> RowStream:
    marks: dict[int, list[tuple[int, object]]] = {}
    for (row, col), text in scan.errors.items():
        marks.setdefault(row, []).append((col, CellError(text)))
    for row, col in scan.bare_formulas:
        marks.setdefault(row, []).append(
            (col, UncalculatedFormula("formula without a saved value"))
        )
    return _marked(rows, marks)


#: Values remembered per sheet so that equal text and dates are one object.
SAME_LIMIT = 1 << 16
#: The cell types made one object per value (floats are left alone: 0.0 == -0.0, and
#: 1.0 == True); None is the padding of a short row.
_SHARED_TYPES = frozenset({str, dt.date, dt.datetime, type(None)})
#: Rows cleaned at a time, a column at a time.
CLEAN_ROWS = 512
#: A streamed row is padded with empty cells to the widest row streamed before it: one
#: stray value far to the right (column XFD) pads every later row to 16,384 cells. Rows
#: wider than this lose their trailing empty cells before the columns are cleaned.
PADDED_FROM = 256
#: A column whose chunk of CLEAN_ROWS values adds more new values than this share of
#: them to the table (titles, descriptions) is not looked up again in this sheet.
UNIQUE_SHARE = 0.9


def _marked(rows: Iterable[list[object]], marks: dict[int, list[tuple[int, object]]]) -> RowStream:
    seen_data = False
    for index, row in enumerate(_cleaned(rows), start=1):
        if marks:
            # What the scan found replaces the reader's value: an error cell reads as
            # empty when loaded and as its text ("#N/A") when streamed.
            for col, value in marks.get(index, ()):
                if col >= len(row):
                    row.extend([None] * (col + 1 - len(row)))
                row[col] = value
        while row and row[-1] is None:
            row.pop()
        if row:
            seen_data = True
            yield index, row
        elif seen_data:
            # calamine reads a cell of spaces as empty; an empty row inside the data
            # is still a row the user may have meant, so it is counted as blank.
            yield index, row


def _trim(row: list[object]) -> None:
    """Drop the row's trailing empty cells ("").

    The empty ends of a row nest (if its last k cells are empty, so are its last k - 1),
    so the longest is found by doubling and then halving k, each test a count in C over
    the cells not yet known to be empty: a row padded to 16,384 cells is trimmed in
    about 60 us, where popping its cells one at a time took about 2 ms.
    """
    width = len(row)
    empty = 0  # the last `empty` cells are known to be empty

    def next_empty(step: int) -> bool:  # whether the `step` cells before those are too
        end = width - empty
        return step <= end and row[end - step : end].count("") == step

    step = 1
    while next_empty(step):
        empty += step
        step *= 2
    while step > 1:
        step //= 2
        if next_empty(step):
            empty += step
    del row[width - empty :]


def _cleaned(rows: Iterable[list[object]]) -> Iterator[list[object]]:
    """The rows with every empty cell (calamine gives "") None, and equal text and dates
    one object.

    calamine makes a new object for every cell, even where a column repeats one value
    down the sheet (a level, a parent id, a date). Making equal values one object lets
    the rows cross to the parent process as back-references (pickle writes an object
    once per message): sending and receiving a sheet takes a fifth of the time. The work
    is done a column of a chunk of rows at a time, in C (``map`` over the table's
    ``setdefault``): cell by cell it cost a third of calamine's load of the sheet (100k
    goals: 0.27 s, by columns 0.20 s, of which 0.10 s is calamine making the rows). A
    column of unique values (titles) is left alone once a chunk shows it.
    """
    same: dict[object, object] = {"": None}
    one = same.setdefault
    unique: set[int] = set()
    shared = _SHARED_TYPES
    rows = iter(rows)
    while chunk := list(islice(rows, CLEAN_ROWS)):
        for row in chunk:
            if len(row) > PADDED_FROM and row[-1] == "":
                _trim(row)
        columns: list[Sequence[object]] = []
        for col, values in enumerate(zip_longest(*chunk)):
            if len(same) > SAME_LIMIT:  # checked per column: a sheet may be very wide
                same.clear()
                same[""] = None
            if col in unique:
                columns.append([None if v == "" else v for v in values] if "" in values else values)
                continue
            before = len(same)
            kinds = set(map(type, values))
            if kinds <= shared:
                columns.append(list(map(one, values, values)))
            elif kinds.isdisjoint(shared):  # numbers, true or false
                columns.append(values)
            else:  # numbers and text (a priority of 1 or "High"): one cell at a time
                columns.append([one(v, v) if v.__class__ in shared else v for v in values])
            if len(same) - before > UNIQUE_SHARE * len(values):
                unique.add(col)
        if columns:
            yield from map(list, zip(*columns, strict=True))
        else:  # rows of no cells
            yield from ([] for _ in chunk)
