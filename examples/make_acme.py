"""Generate ``examples/acme-goals.xlsx``: the goal tree of a fictional company.

The data (and the list of problems planted in it) is ``alignhealth.sample``; this script
writes it the way a client's workbook looks: a title block above the header row, styled
headers, frozen panes. Run ``python examples/make_acme.py`` to regenerate the workbook.
The as-of date is pinned in ``examples/acme.toml``, so its findings never change.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from alignhealth.sample import RULESET_FINDINGS, TITLE_ROWS, Example, build

__all__ = ["RULESET_FINDINGS", "Example", "build", "write"]

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "acme-goals.xlsx"


def write(path: Path = OUTPUT) -> Path:
    """Write the workbook, styled as a client's would be."""
    sheets = build().sheets
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        if name == "Goals":
            sheet.append(["Acme Outdoor Ltd: strategy and goal tree, FY2026"])
            sheet["A1"].font = Font(bold=True, size=14)
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
            sheet.append([])
        for row in rows:
            sheet.append(row)
        header_row = TITLE_ROWS + 1 if name == "Goals" else 1
        for cell in sheet[header_row]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="305496")
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for index, _ in enumerate(rows[0], start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 18
        for row in sheet.iter_rows(min_row=header_row + 1):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    print(f"wrote {write(target)}")
