"""``--annotate FILE``: a copy of the client's workbook with every flagged cell marked.

Each flagged cell is filled by the severity of its worst finding and carries a comment
naming the findings (added to any comment already there); an "alignhealth" sheet lists
them with links. The original file is only ever read. openpyxl carries over values,
formulas, styles, merged ranges, widths, data validations and comments; what it cannot
carry (charts, images, pivot tables, macros, slicers) is named in the warnings returned.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from alignhealth.errors import InputError, UsageError
from alignhealth.findings import Finding, quote_sheet
from alignhealth.loaders.sniff import FileKind, sniff
from alignhealth.outfiles import Inputs, save_whole
from alignhealth.reporters.xlsx import HEADER_FILL, MAX_LINKS, SEVERITY_FILLS, text

#: Parts of a package that openpyxl drops when it saves a copy.
DROPPED_PARTS = {
    "xl/charts/": "charts",
    "xl/media/": "images",
    "xl/pivotTables/": "pivot tables",
    "xl/pivotCache/": "pivot caches",
    "xl/slicers/": "slicers",
    "xl/timelines/": "timelines",
    "xl/vbaProject.bin": "macros",
}
AUTHOR = "alignhealth"


def dropped_parts(path: Path) -> list[str]:
    """What the workbook holds that a copy made with openpyxl will lack."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    found = []
    for prefix, what in DROPPED_PARTS.items():
        count = sum(1 for n in names if n.startswith(prefix) and not n.endswith("/"))
        if count:
            found.append(f"{what} ({count})")
    return found


#: openpyxl's memory for a workbook it loads whole, per byte of its worksheets' and shared
#: strings' XML: the 100,000-goal benchmark workbook (79 MB of sheet XML) took 1.2 GB.
MEMORY_PER_XML_BYTE = 16


def memory_needed(path: Path) -> int:
    """About how many bytes openpyxl holds to load and save ``path`` whole."""
    with zipfile.ZipFile(path) as archive:
        xml = sum(
            info.file_size
            for info in archive.infolist()
            if info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml"
        )
    return xml * MEMORY_PER_XML_BYTE


def memory_available() -> int | None:
    """The memory the system can give without swapping (Linux's MemAvailable), in
    bytes; None where it does not say."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _put(sheet: Worksheet, row: int, column: int, value: object) -> None:
    """Write a value; text is stored as text (a leading ``=`` is not a formula)."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = text(value)
        cell.data_type = "s"
    else:
        cell.value = value


def _index_header(sheet: Worksheet, titles: list[str], widths: list[int]) -> None:
    for index, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        _put(sheet, 1, index, title)
        cell = sheet.cell(row=1, column=index)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.font = Font(bold=True, color="FFFFFF")
        sheet.column_dimensions[get_column_letter(index)].width = width


def _target(sheet: openpyxl.worksheet.worksheet.Worksheet, row: int, column: str) -> object:
    """The cell to mark: the anchor of a merged range the cell belongs to."""
    coordinate = f"{column}{row}"
    cell = sheet[coordinate]
    if isinstance(cell, MergedCell):
        for merged in sheet.merged_cells.ranges:
            if coordinate in merged:
                min_col, min_row, _, _ = range_boundaries(str(merged))
                return sheet.cell(row=min_row, column=min_col)
    return cell


def annotate_copy(source: Path, findings: Sequence[Finding], destination: Path) -> list[str]:
    """Write a marked copy of ``source`` to ``destination``; return warnings."""
    Inputs([source]).refuse(destination, "--annotate")
    if sniff(source) is not FileKind.XLSX:
        raise UsageError(
            f"--annotate: {source} is not an .xlsx workbook; only workbooks can be annotated"
        )
    # openpyxl holds every cell: a workbook of a million goals needs some 14 GB, which
    # would push a laptop into swap for many minutes, or its other programs out.
    needed, available = memory_needed(source), memory_available()
    if available is not None and needed > available:
        raise UsageError(
            f"--annotate: a marked copy of {source} needs about {needed / 2**30:.1f} GiB of "
            f"memory (openpyxl holds every cell), more than the {available / 2**30:.1f} GiB "
            "available; the Excel report (--format xlsx) lists the same findings, each with "
            "a link to its cell"
        )
    warnings = []
    lost = dropped_parts(source)
    if lost:
        warnings.append(
            f"{source} holds parts the annotated copy cannot carry over: {', '.join(lost)}; "
            "annotate a copy without them, or use the Excel report (--format xlsx)"
        )
    try:
        book = openpyxl.load_workbook(source, keep_vba=False, keep_links=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged package
        raise InputError(
            f"{source}: cannot be opened for annotation ({exc})", code="corrupt"
        ) from None
    by_cell: dict[tuple[str, int, str], list[Finding]] = {}
    for finding in findings:
        location = finding.location
        if finding.suppressed or location is None or location.sheet is None or not location.row:
            continue
        if location.sheet not in book.sheetnames:
            continue
        by_cell.setdefault((location.sheet, location.row, location.column or "A"), []).append(
            finding
        )
    for (sheet_name, row, column), marks in by_cell.items():
        cell = _target(book[sheet_name], row, column)
        worst = max(marks, key=lambda f: f.severity.weight)
        cell.fill = PatternFill("solid", fgColor=SEVERITY_FILLS[worst.severity])  # type: ignore[attr-defined]
        note = "\n".join(
            f"{f.code} {f.name} ({f.severity.value}): {f.message}"
            + (f" Hint: {f.hint}" if f.hint else "")
            for f in marks
        )
        existing = cell.comment  # type: ignore[attr-defined]
        note_text = f"{existing.text}\n\n{AUTHOR}:\n{note}" if existing else f"{AUTHOR}:\n{note}"
        comment = Comment(text(note_text)[:32000], existing.author if existing else AUTHOR)
        comment.width, comment.height = 420, 160
        cell.comment = comment  # type: ignore[attr-defined]
    index = book.create_sheet("alignhealth")
    _index_header(index, ["Severity", "Code", "Rule", "Cell", "Finding"], [11, 9, 26, 20, 90])
    line = 2
    links = 0
    for finding in findings:
        if finding.suppressed:
            continue
        location = finding.location
        cell_ref = location.cell if location and location.cell else ""
        values = [finding.severity.value, finding.code, finding.name, cell_ref, finding.message]
        for number, value in enumerate(values, start=1):
            _put(index, line, number, value)
        index.cell(row=line, column=1).fill = PatternFill(
            "solid", fgColor=SEVERITY_FILLS[finding.severity]
        )
        if (
            location
            and location.sheet
            and location.sheet in book.sheetnames
            and location.row
            # Excel drops every link of a sheet holding more than it keeps.
            and links < MAX_LINKS
        ):
            links += 1
            link = index.cell(row=line, column=4)
            link.hyperlink = Hyperlink(
                ref=link.coordinate,
                location=f"{quote_sheet(location.sheet)}!{location.column or 'A'}{location.row}",
            )
            link.font = Font(color="0563C1", underline="single")
        line += 1
    index.freeze_panes = "A2"
    save_whole(destination, book.save)
    return warnings
