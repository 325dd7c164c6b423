"""``alignhealth template``: a blank workbook in the canonical layout, to hand a client.

Every sheet with its headers and one row of example data, dropdowns where a column takes
a fixed vocabulary, dates formatted as dates, widths, frozen headers, and an Instructions
sheet that explains each column and the rules that use it. ``example=True`` fills it with
the example company (``alignhealth.sample``) instead.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from alignhealth.loaders.schema import SHEETS, SheetKind, ValueType, fold_header
from alignhealth.outfiles import save_whole

#: The header each field gets in the template (a synonym the loader knows).
HEADERS: dict[SheetKind, dict[str, str]] = {
    SheetKind.GOALS: {
        "id": "ID",
        "title": "Title",
        "parent": "Parent",
        "level": "Level",
        "kind": "Type",
        "owner": "Owner",
        "priority": "Priority",
        "status": "Status",
        "kpi": "KPI",
        "baseline": "Baseline",
        "target": "Target",
        "actual": "Actual",
        "start": "Start Date",
        "due": "Due Date",
        "last_reviewed": "Last Reviewed",
        "unit": "Department",
    },
    SheetKind.PEOPLE: {
        "id": "ID",
        "name": "Name",
        "email": "Email",
        "role": "Role",
        "level": "Level",
        "manager": "Manager",
        "unit": "Department",
        "active": "Active",
        "left_on": "End Date",
    },
    SheetKind.PROJECTS: {
        "id": "ID",
        "name": "Name",
        "goal": "Goal",
        "owner": "Owner",
        "status": "Status",
        "progress": "% Complete",
        "start": "Start Date",
        "due": "Due Date",
        "completed_on": "Completed On",
        "assessed_by": "Assessed By",
        "assessed_on": "Assessed On",
        "assessment": "Assessment",
    },
    SheetKind.REVIEWS: {
        "goal": "Goal",
        "reviewer": "Reviewer",
        "date": "Date",
        "progress": "Progress",
        "confidence": "Confidence",
        "note": "Note",
    },
    SheetKind.LEVELS: {"name": "Name", "rank": "Rank"},
}

#: The rules that read each field (for the Instructions sheet).
USED_BY: dict[tuple[SheetKind, str], str] = {
    (SheetKind.GOALS, "id"): "all; AH001, AH003",
    (SheetKind.GOALS, "title"): "AH003",
    (SheetKind.GOALS, "parent"): "AH101-AH109, AH301, AH302, AH304, AH405",
    (SheetKind.GOALS, "level"): "AH101, AH104, AH106, AH301-AH306, AH601",
    (SheetKind.GOALS, "kind"): "AH106, AH109, AH601, AH602",
    (SheetKind.GOALS, "owner"): "AH201-AH208, AH303, AH304, AH401, AH402, AH503",
    (SheetKind.GOALS, "priority"): "AH201, AH202, AH401-AH405",
    (SheetKind.GOALS, "status"): "every rule (done and cancelled goals are not active); "
    "AH504, AH604",
    (SheetKind.GOALS, "kpi"): "AH403, AH601, AH602",
    (SheetKind.GOALS, "baseline"): "AH603, AH604",
    (SheetKind.GOALS, "target"): "AH403, AH602, AH603, AH604",
    (SheetKind.GOALS, "actual"): "AH603, AH604",
    (SheetKind.GOALS, "start"): "AH502, AH504, AH603, AH604",
    (SheetKind.GOALS, "due"): "AH603-AH605",
    (SheetKind.GOALS, "last_reviewed"): "AH501-AH503",
    (SheetKind.GOALS, "unit"): "reports only",
    (SheetKind.PEOPLE, "id"): "AH203-AH208, AH801-AH803",
    (SheetKind.PEOPLE, "name"): "owner look-up by name; AH205",
    (SheetKind.PEOPLE, "email"): "owner look-up by e-mail",
    (SheetKind.PEOPLE, "role"): "reports only",
    (SheetKind.PEOPLE, "level"): "AH208, AH303, AH305, AH503",
    (SheetKind.PEOPLE, "manager"): "AH208, AH304, AH704, AH801-AH803",
    (SheetKind.PEOPLE, "unit"): "reports only",
    (SheetKind.PEOPLE, "active"): "AH204, AH208, AH702, AH803",
    (SheetKind.PEOPLE, "left_on"): "AH204, AH208, AH702",
    (SheetKind.PROJECTS, "id"): "AH001, AH701-AH706",
    (SheetKind.PROJECTS, "name"): "reports only",
    (SheetKind.PROJECTS, "goal"): "AH106, AH404, AH701, AH704",
    (SheetKind.PROJECTS, "owner"): "AH208, AH702, AH704",
    (SheetKind.PROJECTS, "status"): "AH106, AH404, AH701-AH706",
    (SheetKind.PROJECTS, "progress"): "AH703, AH706",
    (SheetKind.PROJECTS, "start"): "reports only",
    (SheetKind.PROJECTS, "due"): "AH705",
    (SheetKind.PROJECTS, "completed_on"): "reports only",
    (SheetKind.PROJECTS, "assessed_by"): "AH703, AH704",
    (SheetKind.PROJECTS, "assessed_on"): "AH703",
    (SheetKind.PROJECTS, "assessment"): "reports only",
    (SheetKind.REVIEWS, "goal"): "AH501-AH503",
    (SheetKind.REVIEWS, "reviewer"): "reports only",
    (SheetKind.REVIEWS, "date"): "AH501-AH503",
    (SheetKind.REVIEWS, "progress"): "reports only",
    (SheetKind.REVIEWS, "confidence"): "reports only",
    (SheetKind.REVIEWS, "note"): "reports only",
    (SheetKind.LEVELS, "name"): "AH301-AH306",
    (SheetKind.LEVELS, "rank"): "AH301-AH306",
}

LISTS: dict[tuple[SheetKind, str], str] = {
    (SheetKind.GOALS, "kind"): "Goal,CSF,NC,Objective,Key result,Initiative",
    (SheetKind.GOALS, "priority"): "1,2,3,4,5,High,Medium,Low,Yes,No",
    (SheetKind.GOALS, "status"): "Not started,On track,At risk,Off track,On hold,Done,Cancelled",
    (SheetKind.PROJECTS, "status"): "Not started,On track,At risk,Off track,On hold,Done,Cancelled",
    (SheetKind.PEOPLE, "active"): "Yes,No,On leave,Left",
}
LEVEL_LIST = "=Levels!$A$2:$A$50"
DATA_ROWS = 1000
HEADER_FILL = PatternFill("solid", fgColor="305496")


def example_rows(today: dt.date) -> dict[SheetKind, list[dict[str, Any]]]:
    """One row per sheet that checks cleanly as of ``today``."""
    start, due = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    pace = (today - start).days / (due - start).days
    return {
        SheetKind.GOALS: [
            {
                "id": "G-01",
                "title": "Double revenue by 2028",
                "level": "Company",
                "kind": "Goal",
                "owner": "P-01",
                "priority": 1,
                "status": "On track",
                "kpi": "Revenue (m)",
                "baseline": 40,
                "target": 80,
                "actual": round(40 + 40 * pace, 1),
                "start": start,
                "due": due,
                "last_reviewed": today,
                "unit": "Executive",
            }
        ],
        SheetKind.PEOPLE: [
            {
                "id": "P-01",
                "name": "Alex Example",
                "email": "alex@example.com",
                "role": "Chief Executive",
                "level": "Company",
                "unit": "Executive",
                "active": "Yes",
            }
        ],
        SheetKind.PROJECTS: [
            {
                "id": "PR-01",
                "name": "Open the online store",
                "goal": "G-01",
                "owner": "P-01",
                "status": "On track",
                "progress": 0.5,
                "start": start,
                "due": due,
            }
        ],
        SheetKind.REVIEWS: [
            {
                "goal": "G-01",
                "reviewer": "P-01",
                "date": today,
                "progress": round(pace, 2),
                "confidence": "High",
                "note": "On plan",
            }
        ],
        SheetKind.LEVELS: [{"name": "Company", "rank": 1}],
    }


def _sample_rows() -> dict[SheetKind, list[dict[str, Any]]]:
    """The example company, as rows keyed by field."""
    from alignhealth.sample import build

    sheets = build().sheets
    by_kind = {
        SheetKind.GOALS: "Goals",
        SheetKind.PEOPLE: "People",
        SheetKind.PROJECTS: "Projects",
        SheetKind.REVIEWS: "Reviews",
        SheetKind.LEVELS: "Levels",
    }
    out: dict[SheetKind, list[dict[str, Any]]] = {}
    for kind, name in by_kind.items():
        headers, *rows = sheets[name]
        spec = SHEETS[kind]
        fields = []
        for header in headers:
            folded = fold_header(str(header))
            fields.append(next((f.name for f in spec.fields if folded in f.synonyms), None))
        out[kind] = [
            {f: v for f, v in zip(fields, row, strict=True) if f is not None} for row in rows
        ]
    return out


def _instructions(book: Workbook) -> None:
    sheet = book.create_sheet("Instructions", 0)
    lines = [
        ["alignhealth workbook template"],
        [
            "Fill in one row per goal, person, project, review and level. Replace the example "
            "rows. Only the Goals sheet is required; each other sheet switches on the rules "
            "that need it. Ids link the sheets: a goal's Parent and a project's Goal hold goal "
            "ids; Owner, Manager, Reviewer and Assessed By hold a person's ID, e-mail or name. "
            "Several parents or owners: separate them with ';'."
        ],
        [
            "Check it with: alignhealth check THIS_FILE.xlsx   (alignhealth inspect shows how "
            "it was read)"
        ],
        [],
        ["Sheet", "Column", "Required", "What to write", "Rules that use it"],
    ]
    for kind, headers in HEADERS.items():
        spec = SHEETS[kind]
        for field, header in headers.items():
            required = field in spec.required or (kind is SheetKind.PEOPLE and field == "id")
            lines.append(
                [
                    kind.value.capitalize(),
                    header,
                    "yes" if required else "",
                    spec.field(field).description,
                    USED_BY.get((kind, field), ""),
                ]
            )
    for row in lines:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[5]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    for number in (2, 3):
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=5)
        sheet.cell(row=number, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 75
    for letter, width in zip("ABCDE", (12, 16, 10, 60, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A6"


def _data_sheet(book: Workbook, kind: SheetKind, rows: list[dict[str, Any]]) -> Worksheet:
    sheet = book.create_sheet(kind.value.capitalize())
    headers = HEADERS[kind]
    fields = list(headers)
    sheet.append([headers[f] for f in fields])
    for row in rows:
        sheet.append([row.get(f) for f in fields])
    spec = SHEETS[kind]
    last = max(DATA_ROWS, len(rows) + 1)
    for index, field in enumerate(fields, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = HEADER_FILL
        sheet.column_dimensions[letter].width = max(12, len(headers[field]) + 4)
        cells = f"{letter}2:{letter}{last}"
        value_type = spec.field(field).type
        if value_type is ValueType.DATE:
            rule = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="1",
                allow_blank=True,
                errorStyle="warning",
                error="Write a date (2026-11-15)",
            )
            for column in sheet.iter_cols(min_col=index, max_col=index, min_row=2, max_row=last):
                for cell in column:
                    cell.number_format = "yyyy-mm-dd"
        elif (kind, field) in LISTS:
            rule = DataValidation(
                type="list",
                formula1=f'"{LISTS[(kind, field)]}"',
                allow_blank=True,
                errorStyle="warning",
            )
        elif field == "level" and kind in (SheetKind.GOALS, SheetKind.PEOPLE):
            rule = DataValidation(
                type="list",
                formula1=LEVEL_LIST,
                allow_blank=True,
                errorStyle="warning",
                error="Levels are listed on the Levels sheet",
            )
        else:
            continue
        rule.add(cells)
        sheet.add_data_validation(rule)
    for index, field in enumerate(fields, start=1):
        if headers[field] in ("Title", "Name", "KPI", "Note", "Assessment"):
            sheet.column_dimensions[get_column_letter(index)].width = 36
    sheet.freeze_panes = "A2"
    return sheet


def write_template(path: Path, *, example: bool = False, today: dt.date | None = None) -> Path:
    """Write the template (or the example company in its layout) to ``path``."""
    rows = _sample_rows() if example else example_rows(today or dt.date.today())
    book = Workbook()
    book.remove(book.active)
    _instructions(book)
    for kind in (
        SheetKind.GOALS,
        SheetKind.PEOPLE,
        SheetKind.PROJECTS,
        SheetKind.REVIEWS,
        SheetKind.LEVELS,
    ):
        _data_sheet(book, kind, rows[kind])
    save_whole(path, book.save)
    return path
