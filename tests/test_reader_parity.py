"""Both .xlsx readers (calamine, the fast default, and openpyxl, the fallback) give the
same entities, values and cell locations; and calamine gives the same whether it streams
a sheet (python-calamine-plus) or loads it whole (a sheet too wide to stream)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignhealth.loaders.raw import CellError
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.loaders.workbook import load_workbook
from alignhealth.template import write_template
from tests.hostile import build as b
from tests.hostile import test_hostile as h
from tests.test_calamine_rows import write_grid

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme-goals.xlsx"

WORKBOOKS: dict[str, Callable[[Path], Path]] = {
    "the example": lambda d: EXAMPLE,
    "the template, filled": lambda d: write_template(d / "t.xlsx", example=True),
    "error values": lambda d: b.book_with(d, "e.xlsx", [h.HEADER, *h.ROWS], h._error_cells),
    "formula without a value": lambda d: b.book_with(d, "f.xlsx", [h.HEADER, *h.ROWS], h._formula),
    "merged cells": lambda d: b.book_with(d, "m.xlsx", [h.HEADER, *h.ROWS], h._merged),
    "hidden rows": lambda d: b.book_with(d, "hr.xlsx", [h.HEADER, *h.ROWS], h._hidden_rows),
    "1904 dates": lambda d: b.book_with(d, "mac.xlsx", [h.HEADER, *h.ROWS], h._mac),
    "values outside the headers": lambda d: b.book_with(
        d, "o.xlsx", [h.HEADER, *h.ROWS], h._edit_cells(H2="stray", J3=5)
    ),
    "typed #N/A": lambda d: b.book_with(d, "na.xlsx", [h.HEADER, *h.ROWS], h._typed_na),
    "title block": lambda d: b.book_with(d, "tb.xlsx", [["Plan"], [], h.HEADER, *h.ROWS]),
    "saved formula results, rich text, kinds of cell": lambda d: kinds_of_cell(d),
    # calamine loads a sheet from its first column that holds anything
    "a table from column C": lambda d: b.book_with(
        d, "c.xlsx", [[None, None, *row] for row in (h.HEADER, *h.ROWS, ["G3", "Make", "G9"])]
    ),
}


def kinds_of_cell(folder: Path) -> Path:
    """Cells as Excel writes them (XlsxWriter): formulas with their saved results (a
    number, text, true, an error), rich text, a date format on a number, true in a text
    column, whole numbers as floats."""
    import datetime as dt

    import xlsxwriter

    path = folder / "kinds.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Goals")
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["ID", "Title", "Parent", "Level", "Owner", "Progress", "Due"])
    sheet.write_row(1, 0, ["G1", "Grow", None, "Company", "ann", 0.25])
    sheet.write_datetime(1, 6, dt.datetime(2026, 6, 30), day)
    sheet.write(2, 0, "G2")
    sheet.write_rich_string(2, 1, bold, "Sell", " more")
    sheet.write_formula(2, 2, '="G"&"1"', None, "G1")
    sheet.write_formula(2, 3, '="Division"', None, "Division")
    sheet.write_boolean(2, 4, True)
    sheet.write_formula(2, 5, "=1/2", None, 0.5)
    sheet.write_number(2, 6, 46203.0, day)
    sheet.write_row(3, 0, ["G3", "Make", "G1", "Division", "ann"])
    sheet.write_formula(3, 6, "=1/0", None, "#DIV/0!")
    sheet.write_row(4, 0, [7.0, "Seven", "G1", "Division", "ann", 1.0])
    sheet.write_number(4, 6, 46203.0)  # a date without a date format
    book.close()
    return path


def snapshot(loaded: LoadedWorkbook) -> dict[str, Any]:
    def records(items: list[Any] | None) -> list[Any] | None:
        if items is None:
            return None
        return [dataclasses.asdict(item) for item in items]

    return {
        "goals": records(loaded.goals),
        "people": records(loaded.people),
        "projects": records(loaded.projects),
        "reviews": records(loaded.reviews),
        "levels": records(loaded.levels),
        "problems": sorted((p.kind, p.location.cell, p.field, p.message) for p in loaded.problems),
        "notices": sorted(
            (n.code, tuple(n.cells)) for n in loaded.notices if n.code != "blank-rows"
        ),
    }


@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_both_readers_agree(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = WORKBOOKS[name](tmp_path)
    fast = snapshot(load_workbook(path))
    monkeypatch.setenv("ALIGNHEALTH_READER", "openpyxl")
    slow = snapshot(load_workbook(path))
    assert fast == slow


@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_streamed_and_loaded_sheets_agree(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.loaders import calamine
    from alignhealth.loaders.workbook import load_raw

    path = WORKBOOKS[name](tmp_path)
    streamed: list[str] = []
    real = calamine._SheetLoader.sheet

    def sheet(self: Any, name: str) -> Any:
        streamed.append(f"{self.streams(name)}")
        return real(self, name)

    monkeypatch.setattr(calamine._SheetLoader, "sheet", sheet)

    def read() -> dict[str, Any]:
        raw = calamine.read_calamine(path, xlsx=True)
        try:
            return snapshot(load_raw(raw, path.name))
        finally:
            raw.close()

    by_stream = read()
    monkeypatch.setattr(calamine, "STREAM_WIDTH", -1)  # no sheet may be streamed
    assert read() == by_stream
    assert "True" in streamed and streamed[-1] == "False"


def test_the_fast_reader_falls_back_where_it_fails(tmp_path: Path) -> None:
    path = b.book_with(tmp_path, "far.xlsx", [h.HEADER, *h.ROWS], h._far_value)
    loaded = load_workbook(path)
    assert [g.id for g in loaded.goals] == ["G1", "G2"]
    assert "reader-fallback" in {n.code for n in loaded.notices}


def test_generated_10k_workbook_same_findings_on_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The benchmark's 10,000-goal workbook: every planted problem found, and the same
    findings through the fast reader as through the slower reference path (openpyxl)."""
    import datetime as dt
    import sys

    from alignhealth.engine import CheckRequest, check, make_host

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    path = tmp_path / "goals-10k.xlsx"
    planted = generate(10_000, path)

    def findings() -> list[tuple[str, str, str | None]]:
        result = check(
            path, CheckRequest(as_of=dt.date(2026, 11, 15)), host=make_host(autoload=False)
        )
        return sorted(
            (f.code, f.fingerprint, f.location.cell if f.location else None)
            for f in result.findings
        )

    fast = findings()
    monkeypatch.setenv("ALIGNHEALTH_READER", "openpyxl")
    assert findings() == fast
    counts: dict[str, int] = {}
    for code, _, _ in fast:
        counts[code] = counts.get(code, 0) + 1
    assert {code: counts.get(code, 0) for code in planted} == planted


# A goal table's cells: ids, names, levels and statuses, numbers, dates, true or false,
# blanks and saved errors, in any column.
plain_cell = st.one_of(
    st.none(),
    st.sampled_from(["G1", "G2", "G3", "ann", "Company", "Team", "Green", "Red", " ", "#N/A"]),
    st.text(alphabet="ab G1,;", max_size=6),
    st.integers(-5, 50_000),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.booleans(),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 1, 1)),
)
table_cell = st.one_of(plain_cell, st.just(CellError("#REF!")))
#: Rows of cells that every writer keeps exactly (numbers to three places), no errors.
exact_rows = st.lists(
    st.lists(
        plain_cell.map(lambda v: round(v, 3) if isinstance(v, float) else v),
        min_size=8,
        max_size=8,
    ),
    min_size=1,
    max_size=5,
)
GOAL_HEADER = ["ID", "Title", "Parent", "Level", "Owner", "Status", "Due", "Progress"]


@settings(max_examples=30, deadline=None)
@given(
    margin=st.integers(0, 2),
    top=st.integers(0, 2),
    rows=st.lists(st.lists(table_cell, min_size=7, max_size=8), min_size=1, max_size=6),
)
def test_any_goal_table_reads_the_same_streamed_loaded_and_with_openpyxl(
    margin: int, top: int, rows: list[list[object]]
) -> None:
    """Random tables under a goal header, written as Excel writes them, ``top`` rows
    down and ``margin`` columns in: the three ways of reading give the same records,
    problems (with their cells) and notices."""
    import tempfile

    from alignhealth.loaders import calamine
    from alignhealth.loaders.excel import read_xlsx
    from alignhealth.loaders.workbook import load_raw

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.xlsx"
        write_grid(path, [[]] * top + [[None] * margin + row for row in [GOAL_HEADER, *rows]])

        def read(raw: Any) -> dict[str, Any]:
            try:
                return snapshot(load_raw(raw, path.name))
            finally:
                raw.close()

        streamed = read(calamine.read_calamine(path, xlsx=True))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(calamine, "STREAM_WIDTH", -1)
            loaded = read(calamine.read_calamine(path, xlsx=True))
        by_openpyxl = read(read_xlsx(path))
    assert streamed == loaded
    assert streamed == by_openpyxl


def write_xls_grid(path: Path, grid: list[list[object]]) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Goals")
    day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))


def write_ods_grid(path: Path, grid: list[list[object]]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Goals")
    for row in grid:
        line = TableRow()
        for value in row:
            if value is None:
                cell = TableCell()
            elif isinstance(value, bool):
                cell = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=repr(float(value)))
            else:
                cell = TableCell(valuetype="string")
            if value is not None:
                cell.addElement(P(text=str(value)))
            line.addElement(cell)
        table.addElement(line)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


LEGACY_WRITERS: dict[str, Callable[[Path, list[list[object]]], None]] = {
    "xls": write_xls_grid,
    "ods": write_ods_grid,
}


@pytest.mark.parametrize("kind", list(LEGACY_WRITERS))
@settings(max_examples=20, deadline=None)
@given(
    margin=st.integers(0, 2),
    top=st.integers(0, 2),
    rows=exact_rows,  # xlwt and odfpy write no saved errors
)
def test_any_goal_table_reads_the_same_from_xls_and_ods_as_from_xlsx(
    kind: str, margin: int, top: int, rows: list[list[object]]
) -> None:
    """Loaded whole by python-calamine (.xls, .ods), a table ``top`` rows down and
    ``margin`` columns in gives the records and problems the same table streamed from an
    .xlsx gives."""
    import tempfile

    from alignhealth.loaders import calamine
    from alignhealth.loaders.workbook import load_raw

    grid = [[]] * top + [[None] * margin + row for row in [GOAL_HEADER, *rows]]
    with tempfile.TemporaryDirectory() as folder:
        xlsx, other = Path(folder) / "t.xlsx", Path(folder) / f"t.{kind}"
        write_grid(xlsx, grid, "Goals")
        LEGACY_WRITERS[kind](other, grid)

        def read(path: Path, is_xlsx: bool) -> dict[str, Any]:
            raw = calamine.read_calamine(path, xlsx=is_xlsx)
            try:
                found = snapshot(load_raw(raw, "t"))
            finally:
                raw.close()
            del found["notices"]  # hidden sheets and the like differ by format
            return found

        assert read(other, False) == read(xlsx, True)


@settings(max_examples=25, deadline=None)
@given(
    margin=st.integers(0, 1),
    rows=exact_rows,
    merges=st.lists(
        st.tuples(st.integers(1, 7), st.integers(1, 9), st.integers(0, 2), st.integers(0, 2)),
        max_size=3,
    ),
    hidden=st.lists(st.integers(1, 7), max_size=2),
)
def test_merged_ranges_and_hidden_rows_read_the_same_three_ways(
    margin: int,
    rows: list[list[object]],
    merges: list[tuple[int, int, int, int]],
    hidden: list[int],
) -> None:
    """Merged ranges (their top-left value fills them, a merged header included) and
    hidden rows, anywhere in a goal table: streamed, loaded and openpyxl agree, errors
    included."""
    import tempfile

    import openpyxl
    from openpyxl.utils import get_column_letter

    from alignhealth.errors import InputError
    from alignhealth.loaders import calamine
    from alignhealth.loaders.excel import read_xlsx
    from alignhealth.loaders.workbook import load_raw

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    for r, row in enumerate([GOAL_HEADER, *rows], start=1):
        for c, value in enumerate(row, start=1 + margin):
            if value is not None:
                sheet.cell(r, c, value)
    taken: set[tuple[int, int]] = set()
    for r0, c0, down, across in merges:
        cells = {(r, c) for r in range(r0, r0 + down + 1) for c in range(c0, c0 + across + 1)}
        if (down or across) and not cells & taken:
            taken |= cells
            last = f"{get_column_letter(c0 + across)}{r0 + down}"
            sheet.merge_cells(f"{get_column_letter(c0)}{r0}:{last}")
    for row_number in hidden:
        sheet.row_dimensions[row_number].hidden = True

    def read(raw: Any) -> Any:
        try:
            return snapshot(load_raw(raw, "m"))
        except InputError as exc:  # a merged header can name a column twice
            return (exc.code, exc.message)
        finally:
            raw.close()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.xlsx"
        book.save(path)
        streamed = read(calamine.read_calamine(path, xlsx=True))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(calamine, "STREAM_WIDTH", -1)
            loaded = read(calamine.read_calamine(path, xlsx=True))
        by_openpyxl = read(read_xlsx(path))
    assert streamed == loaded == by_openpyxl
