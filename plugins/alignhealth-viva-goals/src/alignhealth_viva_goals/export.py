"""Turn a Viva Goals export into alignhealth's records, keeping the export's cells."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Sequence
from itertools import chain, islice
from pathlib import Path

from alignhealth.errors import InputError
from alignhealth.findings import Notice
from alignhealth.loaders.mapping import InputMapping, SheetMapping
from alignhealth.loaders.raw import RawSheet, RawWorkbook, RowStream
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.loaders.schema import fold_header
from alignhealth.loaders.values import DateOrder
from alignhealth.loaders.workbook import file_sha256, load_raw, read_raw

ALIGNED_TO = "Aligned To (weight, Objective ID)"
LEVELS = ["Organization", "Team", "Individual"]
OWNERS_SHEET = "(owners)"
#: The export's header for each alignhealth goal field.
COLUMNS = {
    "id": "Id",
    "title": "Title",
    "parent": ALIGNED_TO,
    "level": "OKR type",
    "kind": "Object Type",
    "owner": "Owner",
    "kpi": "Metric Name",
    "target": "Target",
    "start": "Start Date",
    "due": "End Date",
    "last_reviewed": "Last Check-in",
    "status": "Status",
}
_MARKERS = {fold_header(ALIGNED_TO), fold_header("OKR type"), fold_header("Object Type")}
# One entry's tail: "(weight: 14.29%, Id: 2295776)". Titles come before it and may hold
# anything, parentheses included, so only the tails are matched.
_ENTRY = re.compile(r"\(\s*weight\s*:\s*[^,()]*,\s*Id\s*:\s*(\d+)\s*\)", re.IGNORECASE)


def aligned_ids(text: str) -> list[str]:
    """The objective ids of an "Aligned To" cell, in order."""
    return [m[1] for m in _ENTRY.finditer(text)]


def split_owners(text: str) -> list[str]:
    """Owner names, separated by commas (or semicolons, or new lines)."""
    return [name.strip() for name in re.split(r"[,;\n]+", text) if name.strip()]


def _header(sheet: RawSheet) -> tuple[int, Sequence[object]] | None:
    for number, values in islice(sheet.rows(), 10):
        folded = {fold_header(v) for v in values if isinstance(v, str)}
        if len(_MARKERS & folded) >= 2:
            return number, values
    return None


# Any one of the export's marker headers, in the bytes of a package part (lower-cased).
_MARKER_BYTES = re.compile(rb"okr[\s_]*type|object[\s_]*type|aligned[\s_]*to")
_PEEK = 1 << 20


def may_be_export(path: Path) -> bool:
    """Whether an .xlsx could hold the export's headers, by a look at the first MiB of its
    shared strings and sheets (headers come first in both).

    Without it, every workbook checked with the plugin installed would be read twice: once
    here to look at its headers, once by alignhealth's loader. A package that cannot be
    looked into is left to the full read to judge.
    """
    if path.suffix.lower() != ".xlsx":
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename.lower().replace("\\", "/")
                if not name.endswith(".xml") or not (
                    name.endswith("sharedstrings.xml") or "/worksheets/" in name
                ):
                    continue
                with archive.open(info) as stream:
                    if _MARKER_BYTES.search(stream.read(_PEEK).lower()):
                        return True
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error):
        return True
    return False


def read_export(path: Path, date_order: DateOrder) -> LoadedWorkbook | None:
    """Read ``path`` if it is a Viva Goals export (CSV or XLSX); None otherwise."""
    if path.suffix.lower() not in (".csv", ".xlsx", ".txt") or not may_be_export(path):
        return None
    try:
        raw = read_raw(path)
    except InputError:
        return None  # not readable as a spreadsheet: alignhealth's loader says why
    try:
        return _read(raw, path, date_order)
    finally:
        raw.close()  # the reader's process holds the whole workbook


def _read(raw: RawWorkbook, path: Path, date_order: DateOrder) -> LoadedWorkbook | None:
    found = next(((s, h) for s in raw.sheets if not s.hidden and (h := _header(s))), None)
    if found is None:
        return None
    sheet, (header_row, headers) = found
    folded = [fold_header(h) if isinstance(h, str) else "" for h in headers]
    aligned_col = (
        folded.index(fold_header(ALIGNED_TO)) if fold_header(ALIGNED_TO) in folded else None
    )
    owner_col = folded.index("owner") if "owner" in folded else None
    owners: dict[str, None] = {}

    def rewrite(values: Sequence[object]) -> list[object]:
        out = list(values)
        if aligned_col is not None and aligned_col < len(out) and isinstance(out[aligned_col], str):
            text = str(out[aligned_col])
            ids = aligned_ids(text)
            # An entry the pattern cannot read is left as written: it shows up as an
            # unknown parent (AH103) with its text, rather than vanishing.
            out[aligned_col] = "; ".join(ids) if ids else text
        if owner_col is not None and owner_col < len(out) and isinstance(out[owner_col], str):
            names = split_owners(str(out[owner_col]))
            owners.update(dict.fromkeys(names))
            out[owner_col] = "; ".join(names)
        return out

    rows = [
        (number, rewrite(values) if number > header_row else list(values))
        for number, values in sheet.rows()
    ]

    def goal_rows() -> RowStream:
        return iter(rows)

    def owner_rows() -> RowStream:
        return chain([(1, ["Name"])], ((n, [name]) for n, name in enumerate(owners, start=2)))

    present = {fold_header(h) for h in headers if isinstance(h, str)}
    columns = {
        field: header
        for field, header in COLUMNS.items()
        if field != "id" and fold_header(header) in present
    }
    mapping = InputMapping(
        goals=SheetMapping(sheet=sheet.name, header_row=header_row, columns=columns),
        people=SheetMapping(sheet=OWNERS_SHEET),
    )
    workbook = RawWorkbook(
        path=str(path),
        sheets=[RawSheet(sheet.name, False, goal_rows), RawSheet(OWNERS_SHEET, False, owner_rows)],
        notices=list(raw.notices),
        date_epoch_1904=raw.date_epoch_1904,
    )
    loaded = load_raw(
        workbook, path.name, mapping, date_order, path=str(path), sha256=file_sha256(path)
    )
    loaded.level_order = list(LEVELS)
    loaded.notices.insert(
        0,
        Notice(
            code="viva-goals-export",
            message=f"read as a Viva Goals export (sheet {sheet.name!r}, headers on row "
            f"{header_row}); {len(owners)} people created from the Owner column",
        ),
    )
    return loaded
