"""The compiled row loop does what the plain loop over a sheet's fields would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from alignhealth.loaders import values as v
from alignhealth.loaders.rowcode import BLANK, EXCEL_TEXT_LIMIT, FieldStep, compile_fill

STEPS = [
    FieldStep("title", 1, 0, text=True, progress=False),
    FieldStep("parent", 2, 1, text=False, progress=False, split=v.LIST_SPLIT),
    FieldStep("progress", 4, 2, text=False, progress=True),
    FieldStep("due", 5, 3, text=False, progress=False, same=dt.date),
    FieldStep("kpi", 6, 4, text=False, progress=False),
]

cells = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["  G1 ", "é", "50%", " ", "", "x" * (EXCEL_TEXT_LIMIT + 1), "G1; G2", "G3\n"]),
    st.floats(allow_nan=False),
    st.integers(-2, 2),
    st.booleans(),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2020, 1, 5)),
    # fold=1 is equal to fold=0 (one memo key) but has another repr
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2020, 1, 2)).map(
        lambda d: d.replace(fold=0)
    ),
    st.lists(st.integers(), max_size=1),  # unhashable, as a plugin's reader may give
)
rows = st.lists(st.lists(cells, max_size=8), min_size=1, max_size=30)


def parsed(raw: object) -> Any:
    """A stand-in parser: blank text is nothing; anything else is tagged with its type."""
    if isinstance(raw, str) and not raw.strip():
        return BLANK
    return ("parsed", type(raw).__name__, repr(raw))


def expected_row(values: list[object]) -> tuple[list[Any], list[tuple[int, str]]]:
    """The plain loop: every cell parsed, plain ASCII text of a text field trimmed."""
    args: list[Any] = [None] * len(STEPS)
    percents: list[tuple[int, str]] = []
    for step in STEPS:
        raw = values[step.col] if step.col < len(values) else None
        if raw is None:
            continue
        if step.same and type(raw) is step.same:
            args[step.slot] = raw  # its own value, without the parser
            continue
        plain = type(raw) is str and raw.isascii() and len(raw) <= EXCEL_TEXT_LIMIT
        if step.text and plain:
            if raw.strip():
                args[step.slot] = raw.strip()
            continue
        if step.split and plain and raw.strip() and not step.split.search(raw):
            args[step.slot] = (raw.strip(),)  # a list of one, without the parser
            continue
        value = parsed(raw)
        if value is BLANK:
            continue
        args[step.slot] = value
        if step.progress and type(raw) is str and "%" in raw:
            percents.append((7, step.name))
    return args, percents


@given(rows)
def test_the_compiled_loop_fills_what_the_plain_loop_does(table: list[list[object]]) -> None:
    memos: list[dict[object, Any]] = [{} for _ in STEPS]
    asked: list[tuple[int, object, object]] = []
    percents: list[tuple[int, str]] = []

    def first(index: int, raw: object, key: object, number: int, rid: str, count: int) -> Any:
        asked.append((index, raw, key))
        value = parsed(raw)
        if key is not None:
            memos[index][key] = value
        return value

    fill = compile_fill(STEPS, memos, first, percents.append)
    for values in table:
        args: list[Any] = [None] * len(STEPS)
        fill(values, len(values), args, 7, "G1", 1)
        want, want_percents = expected_row(values)
        assert args == want
        assert percents == want_percents
        percents.clear()
    # Each distinct value of a field is worked out once: True, 1 and 1.0 apart; an
    # unhashable value every time, without a key.
    keys = [(index, key) for index, _, key in asked if key is not None]
    assert len(keys) == len(set(keys))
    for _, raw, key in asked:
        if isinstance(raw, list):
            assert key is None
        elif type(raw) in (bool, int, dt.datetime):
            assert key == (type(raw), raw)
        else:
            assert key == raw


def test_a_sheet_with_no_fields_but_its_id_compiles_to_a_loop_that_fills_nothing() -> None:
    fill = compile_fill([], [], lambda *a: None, lambda cell: None)
    args: list[Any] = [None]
    fill(["G1", "x"], 2, args, 2, "G1", 1)
    assert args == [None]


list_cells = st.one_of(
    st.text(alphabet=" ;,\n\rG1-é", max_size=8),
    st.text(max_size=4),
    st.sampled_from(["G1", " G1 ", "Smith, Ann", "a;b", "x" * (EXCEL_TEXT_LIMIT + 1)]),
)


@given(st.lists(st.tuples(list_cells, list_cells), min_size=1, max_size=20))
def test_a_list_of_one_made_in_the_loop_is_what_the_parser_makes(
    table: list[tuple[str, str]],
) -> None:
    steps = [
        FieldStep("parent", 0, 0, text=False, progress=False, split=v.LIST_SPLIT),
        FieldStep("owner", 1, 1, text=False, progress=False, split=v.OWNER_SPLIT),
    ]
    parsers = [v.parse_id_list, v.parse_owner_list]
    memos: list[dict[object, Any]] = [{}, {}]

    def first(index: int, raw: object, key: object, number: int, rid: str, count: int) -> Any:
        assert isinstance(raw, str)
        value = parsers[index](raw) if raw.strip() else BLANK
        if key is not None:
            memos[index][key] = value
        return value

    fill = compile_fill(steps, memos, first, lambda cell: None)
    for count, row in enumerate(table, start=1):
        args: list[Any] = [None, None]
        fill(row, 2, args, 7, "G1", count)
        for index, raw in enumerate(row):
            want = parsers[index](raw) if raw.strip() else None
            assert args[index] == want
