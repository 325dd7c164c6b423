"""Read an .xlsx workbook with openpyxl in read-only mode.

openpyxl's read-only mode trusts the sheet's declared size and cannot see merged ranges;
so the declared size is reset (rows past it are still read, and rows are never padded to
16,384 columns) and merged ranges are taken from the sheet's XML, then filled with their
top-left value.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import defusedxml.ElementTree as SafeET
import openpyxl
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from alignhealth.errors import InputError
from alignhealth.loaders.raw import (
    CellError,
    RawSheet,
    RawWorkbook,
    RowStream,
    UncalculatedFormula,
)

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_CHUNK = 1 << 20


def read_xlsx(path: Path) -> RawWorkbook:
    """Open ``path`` for reading only; the file is never written to."""
    name = str(path)
    handle: IO[bytes] = path.open("rb")
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
    except InputError:
        handle.close()
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged package
        handle.close()
        raise InputError(
            f"{name}: the workbook cannot be opened ({type(exc).__name__}: {exc}); "
            "re-save it from Excel as .xlsx",
            code="corrupt",
            location=name,
        ) from None
    parts = sheet_parts(path)
    sheets: list[RawSheet] = []
    for ws in book.worksheets:
        if not hasattr(ws, "reset_dimensions"):
            continue  # a chart sheet holds no cells
        scan = scan_sheet(path, parts.get(ws.title))
        sheets.append(
            RawSheet(
                name=ws.title,
                hidden=ws.sheet_state != "visible",
                rows=_row_reader(ws, scan),
                merged=scan.merged,
                hidden_rows=scan.hidden_rows,
            )
        )
    return RawWorkbook(
        path=name,
        sheets=sheets,
        date_epoch_1904=book.epoch == CALENDAR_MAC_1904,
    )


def _row_reader(ws: Any, scan: SheetScan) -> Any:
    def rows() -> RowStream:
        ws.reset_dimensions()
        stream = _iter_values(ws, scan.bare_formulas)
        return fill_merged(stream, scan.merged) if scan.merged else stream

    return rows


def _iter_values(ws: Any, bare_formulas: set[tuple[int, int]]) -> RowStream:
    for number, row in enumerate(ws.iter_rows(), start=1):
        if not row:
            continue
        values: list[object] = []
        for cell in row:
            value = cell.value
            if value is not None and cell.data_type == "e":
                value = CellError(value)
            values.append(value)
        if bare_formulas:
            for index in range(len(values)):
                if values[index] is None and (number, index) in bare_formulas:
                    values[index] = UncalculatedFormula("formula without a saved value")
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if values:
            yield number, values


def fill_merged(stream: RowStream, merged: Sequence[str]) -> RowStream:
    """Give every cell of a merged range its top-left value."""
    ranges = []
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        ranges.append((min_row, max_row, min_col - 1, max_col - 1))
    # The top-left value of each range, captured as its first row passes.
    anchors: dict[tuple[int, int], object] = {}
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    for rng in ranges:
        for r in range(rng[0], rng[1] + 1):
            by_row.setdefault(r, []).append(rng)
    pending = sorted(by_row)
    index = 0

    def filled(number: int, values: Sequence[object]) -> list[object]:
        out = list(values)
        for rng in by_row.get(number, ()):
            min_row, _, first, last = rng
            if number == min_row:
                anchors[(min_row, first)] = out[first] if first < len(out) else None
            value = anchors.get((min_row, first))
            if value is None:
                continue
            if len(out) <= last:
                out.extend([None] * (last + 1 - len(out)))
            for col in range(first, last + 1):
                if out[col] is None:
                    out[col] = value
        return out

    for number, values in stream:
        # Rows that hold nothing but lie inside a merged range still receive its value.
        while index < len(pending) and pending[index] < number:
            blank = filled(pending[index], [])
            if any(v is not None for v in blank):
                yield pending[index], blank
            index += 1
        if index < len(pending) and pending[index] == number:
            index += 1
            yield number, filled(number, values)
        else:
            yield number, values
    while index < len(pending):
        blank = filled(pending[index], [])
        if any(v is not None for v in blank):
            yield pending[index], blank
        index += 1


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML, from the workbook's relationships."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = SafeET.fromstring(archive.read("xl/workbook.xml"))
            rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, zipfile.BadZipFile, SafeET.ParseError, OSError):
        return {}
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_NS_PKG_REL}Relationship")
    }
    parts: dict[str, str] = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"))
        if not target:
            continue
        member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        parts[sheet.get("name", "")] = posixpath.normpath(member)
    return parts


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?[0-9]*(?::([A-Z]+)[0-9]*)?"')
#: How much of a sheet's XML is searched for its ``<dimension>``, which comes before
#: the cells (after the sheet's properties).
_HEAD = 1 << 16


def declared_width(path: Path, member: str) -> int | None:
    """How many columns the sheet's ``<dimension>`` declares (None where it declares
    none): from the head of its XML, without reading the cells."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
            head = stream.read(_HEAD)
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return 0
    match = _DIMENSION.search(head)
    if match is None:
        return None
    last = match[2] or match[1]
    return column_index_from_string(last.decode("ascii")) if last else 0


def sheet_sizes(path: Path, parts: dict[str, str]) -> dict[str, int]:
    """Sheet name -> the unpacked size of its XML (bytes), for the sheets of ``parts``."""
    if not parts:
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError):
        return {}
    return {sheet: sizes.get(member, 0) for sheet, member in parts.items()}


_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
# A cell whose only content is a formula: no <v> saved beside it.
_BARE_FORMULA = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*>\s*'
    rb"<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


_ERROR_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*?\bt="e"[^>]*>'
    rb"(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>",
    re.DOTALL,
)


@dataclass
class SheetScan:
    """What a byte scan of a sheet's XML finds that a reader may not see: merged ranges
    and hidden rows (openpyxl's read-only mode), formulas without a saved value (both
    readers), and error values (which python-calamine turns into blanks)."""

    merged: list[str] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    bare_formulas: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    #: The widest column any cell names, where it is past column ZZ and was asked for
    #: (a sheet with no ``<dimension>`` to say how wide it is); else 0.
    widest: int = 0


# A cell named by a column of three letters (AAA, the 703rd, onwards). Only a cell's r
# attribute starts with a letter (a row's is its number): matched as a literal, the
# pattern costs half a plain scan (0.04 s for the 50 MB of 100,000 goals), where one
# that matched the cell's tag first cost six times as much.
_FAR_CELL = re.compile(rb' r="([A-Z]{3})[0-9]')


def scan_sheet(
    path: Path, member: str | None, merged_ranges: bool = True, width: bool = False
) -> SheetScan:
    """Merged ranges, hidden rows and formulas without a saved value, by a byte scan.

    A scan rather than a parse: these sit among or after the cell data, and a second full
    XML parse of a large sheet would cost as much as reading it. ``merged_ranges=False``
    skips looking for merged ranges, for a reader that gives them itself; ``width``
    measures the widest column a cell names past ZZ (``SheetScan.widest``).
    """
    scan = SheetScan()
    if member is None:
        return scan
    merged: list[str] = []
    hidden: list[int] = []
    formulas: list[tuple[bytes, bytes]] = []
    errors: list[tuple[bytes, bytes, bytes]] = []
    far: set[bytes] = set()
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
            tail = b""
            for chunk in _chunks(stream):
                data = tail + chunk
                # A substring test is several times cheaper than a regex pass over a
                # window that (as in most sheets) holds no such element, and a test for
                # one byte (memchr) several times cheaper again: the cells of a sheet of
                # shared strings and numbers hold none of g, h, f or e.
                if merged_ranges and b"g" in data and b"mergeCell" in data:
                    merged.extend(m.decode("ascii") for m in _MERGE.findall(data))
                if b"h" in data and b"hidden=" in data:
                    for match in _HIDDEN_ROW.finditer(data):
                        number = _ROW_NUMBER.search(match.group())
                        if number:
                            hidden.append(int(number[1]))
                if b"f" in data and b"<f" in data:
                    formulas.extend(_BARE_FORMULA.findall(data))
                if b"e" in data and b't="e"' in data:
                    errors.extend(_ERROR_CELL.findall(data))
                if width:
                    far.update(_FAR_CELL.findall(data))
                # An element cut by the chunk boundary is whole in the next window.
                tail = data[-4096:]
    except (KeyError, zipfile.BadZipFile, OSError):
        return scan
    # The overlapping windows may find a thing twice.
    scan.merged = [r for r in dict.fromkeys(merged) if ":" in r]
    scan.hidden_rows = sorted(set(hidden))
    scan.bare_formulas = {
        (int(row), column_index_from_string(col.decode("ascii")) - 1) for col, row in formulas
    }
    scan.errors = {
        (int(row), column_index_from_string(col.decode("ascii")) - 1): text.decode("utf-8")
        for col, row, text in errors
    }
    scan.widest = max((column_index_from_string(c.decode("ascii")) for c in far), default=0)
    return scan


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk
