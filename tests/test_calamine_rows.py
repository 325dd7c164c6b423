"""The rows python-calamine gives are cleaned a column of a chunk at a time: the result is
what cleaning each cell in turn gives, and equal text and dates become one object; a
sheet streamed by python-calamine-plus gives what python-calamine loads."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignhealth.loaders import calamine
from alignhealth.loaders.raw import CellError

# What calamine gives for a cell: "" for an empty one, text, a float, an int, a bool, a
# date or a datetime.
cells = st.one_of(
    st.sampled_from(["", "", "G1", "G2", "High", " ", "é", 0.0, -0.0, 1.0, 1, True, False]),
    st.text(max_size=3),
    st.floats(allow_nan=False),
    st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 1, 3)),
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 1, 1, 0, 0, 2)),
)


@st.composite
def sheets(draw: st.DrawFn) -> list[list[object]]:
    """Rectangular rows, as calamine gives them, with runs of repeated columns and of
    empty rows (which a chunk boundary may cut)."""
    width = draw(st.integers(0, 4))
    row = st.lists(cells, min_size=width, max_size=width)
    blank = st.just([""] * width)
    return draw(st.lists(st.one_of(row, row, blank), max_size=20))


def given_rows(rows: list[list[object]]) -> list[list[object]]:
    return [list(row) for row in rows]  # calamine gives a fresh list per row


def cell_by_cell(
    rows: list[list[object]], marks: dict[int, list[tuple[int, object]]]
) -> list[tuple[int, list[object]]]:
    """The plain loop: every "" None, marks in place of what the cell holds (a streamed
    error cell holds its text), no trailing empties, no empty rows before the first that
    holds something."""
    out: list[tuple[int, list[object]]] = []
    for index, values in enumerate(rows, start=1):
        row = [None if v == "" else v for v in values]
        for col, value in marks.get(index, ()):
            row.extend([None] * (col + 1 - len(row)))
            row[col] = value
        while row and row[-1] is None:
            row.pop()
        if row or out:
            out.append((index, row))
    return out


def typed(rows: Sequence[tuple[int, Sequence[object]]]) -> list[object]:
    """Rows with each value's type and sign beside it: True, 1 and 1.0 are equal in
    Python, as are 0.0 and -0.0, but a reader must keep them apart."""
    return [
        (
            index,
            [(type(v), v, math.copysign(1, v) if isinstance(v, float) else None) for v in values],
        )
        for index, values in rows
    ]


@given(
    sheets(),
    st.dictionaries(
        st.integers(1, 45),
        st.lists(st.tuples(st.integers(0, 6), st.just(CellError("#REF!"))), max_size=2),
        max_size=5,
    ),
)
def test_cleaning_by_columns_gives_what_cleaning_each_cell_gives(
    rows: list[list[object]], marks: dict[int, list[tuple[int, object]]]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        # chunks of three rows, so that the examples cross many chunk boundaries
        patch.setattr(calamine, "CLEAN_ROWS", 3)
        got = list(calamine._marked(given_rows(rows), marks))
    assert typed(got) == typed(cell_by_cell(rows, marks))


@given(
    st.lists(
        st.tuples(st.lists(cells, max_size=6), st.integers(0, 40)),
        max_size=12,
    )
)
def test_rows_padded_after_a_wide_one_are_cleaned_as_cell_by_cell(
    padded: list[tuple[list[object], int]],
) -> None:
    """A stream pads each row with empty cells to the widest row before it (a stray value
    far to the right pads the rest of the sheet): the rows cleaned are the same."""
    rows = [values + [""] * padding for values, padding in padded]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(calamine, "CLEAN_ROWS", 3)
        patch.setattr(calamine, "PADDED_FROM", 2)  # trim every row wider than two cells
        got = list(calamine._marked(given_rows(rows), {}))
    assert typed(got) == typed(cell_by_cell(rows, {}))


@given(st.lists(cells, max_size=30), st.integers(0, 5000))
def test_a_row_is_trimmed_of_its_empty_end_and_nothing_else(
    values: list[object], padding: int
) -> None:
    row = values + [""] * padding
    expected = list(row)
    while expected and expected[-1] == "":
        expected.pop()
    calamine._trim(row)
    assert typed([(0, row)]) == typed([(0, expected)])


def fresh(text: str) -> str:
    """A new string object (as calamine makes one per cell), not an interned literal."""
    return "".join(list(text))


def test_equal_text_and_dates_become_one_object() -> None:
    rows = [["Id", "Parent", "Due", "Progress"]] + [
        [fresh(f"G{n}"), fresh("G0"), dt.date(2026, 3, 1), 0.5] for n in range(1, 40)
    ]
    got = [values for _, values in calamine._marked(given_rows(rows), {})]
    assert len({id(values[1]) for values in got[1:]}) == 1
    assert len({id(values[2]) for values in got[1:]}) == 1
    assert got[5] == ["G5", "G0", dt.date(2026, 3, 1), 0.5]


def test_a_column_of_unique_values_is_left_alone_after_its_first_chunk() -> None:
    # Titles: every value new in the first chunk (three rows here), so the later repeats
    # are not looked up; the parent column repeats and goes on being shared.
    rows = [[fresh(f"Goal {n}"), fresh("G0")] for n in range(3)]
    rows += [[fresh("Same title"), fresh("G0")] for _ in range(3)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(calamine, "CLEAN_ROWS", 3)
        got = list(calamine._cleaned(rows))
    assert got[3] == got[4] == ["Same title", "G0"]
    assert got[3][0] is not got[4][0]
    assert got[3][1] is got[4][1] is got[0][1]


def test_the_table_of_shared_values_stays_bounded_within_a_wide_chunk() -> None:
    # A row of 40 texts, "Xy" first and last: with room for 4 values the table is
    # emptied part way along the row, so the last "Xy" is not made the first one's object
    # (a sheet thousands of columns wide must not grow the table by a chunk's every cell).
    row = [fresh("Xy"), *(fresh(f"v{n}") for n in range(38)), fresh("Xy")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(calamine, "SAME_LIMIT", 4)
        (got,) = list(calamine._cleaned([row]))
    assert got == row
    assert got[0] is not got[-1]
    (shared,) = list(calamine._cleaned([row]))  # with room for all: one object
    assert shared[0] is shared[-1]


# A cell as Excel writes it: nothing, text, a number, true or false, a date, or an error a
# formula saved.
written = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=4),
    st.sampled_from(["#N/A", "G1", " ", "=1+1"]),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.just(CellError("#DIV/0!")),
)


def write_grid(path: Any, grid: list[list[object]], name: str = "S") -> None:
    """``grid`` written as sheet ``name`` by XlsxWriter, as Excel writes it."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    sheet = book.add_worksheet(name)
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, CellError):
                sheet.write_formula(r, c, "=1/0", None, str(value))
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, day)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    book.close()


def whole_as_int(rows: list[tuple[int, Sequence[object]]]) -> list[object]:
    """The rows with every whole float an int (python-calamine-plus gives 3 where
    python-calamine gives 3.0), typed as ``typed`` does."""

    def cell(v: object) -> object:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    return typed([(index, [cell(v) for v in values]) for index, values in rows])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(written, max_size=5), min_size=1, max_size=8))
def test_a_streamed_sheet_gives_what_python_calamine_loads(grid: list[list[object]]) -> None:
    import tempfile
    from pathlib import Path

    import python_calamine

    from alignhealth.loaders.excel import scan_sheet, sheet_parts

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grid.xlsx"
        write_grid(path, grid)
        raw = calamine.read_calamine(path, xlsx=True)
        try:
            streamed = [(n, list(v)) for n, v in raw.sheets[0].rows()]
        finally:
            raw.close()
        scan = scan_sheet(path, sheet_parts(path)["S"])
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        loaded = list(calamine._values(calamine._from_column_a(book.get_sheet_by_name("S")), scan))
        book.close()
    assert whole_as_int(streamed) == whole_as_int(loaded)
