"""Cell value parsers: each accepts what clients write and refuses the rest with a reason."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from alignhealth.loaders import values as v
from alignhealth.model import Kind, Priority, Status


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(12.0, "12"), (12, "12"), ("  G-1 ", "G-1"), ("Cafe\u0301", "Café"), (1.5, "1.5")],
)
def test_parse_id_normalises(raw: object, expected: str) -> None:
    assert v.parse_id(raw) == expected


def test_parse_id_refuses_blank() -> None:
    with pytest.raises(v.ValueProblem):
        v.parse_id("   ")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("G1; G2,G3\nG4", ("G1", "G2", "G3", "G4")),
        ("G1;;G1", ("G1",)),
        (7.0, ("7",)),
    ],
)
def test_parse_id_list_splits(raw: object, expected: tuple[str, ...]) -> None:
    assert v.parse_id_list(raw) == expected


def test_owner_list_keeps_commas_inside_names() -> None:
    assert v.parse_owner_list("Smith, Ann; bob@x.example") == ("Smith, Ann", "bob@x.example")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(3, 3.0), ("45%", 0.45), ("1,250", 1250.0), (" 3.5 ", 3.5), ("-2", -2.0), ("1e3", 1000.0)],
)
def test_parse_number(raw: object, expected: float) -> None:
    assert v.parse_number(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["lots", "1,2,3", "%", True, dt.date(2026, 1, 1), float("nan")])
def test_parse_number_refuses(raw: object) -> None:
    with pytest.raises(v.ValueProblem):
        v.parse_number(raw)


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        (dt.datetime(2026, 11, 15, 9, 30), None, dt.date(2026, 11, 15)),
        ("2026-11-15", None, dt.date(2026, 11, 15)),
        ("2026-11-15T08:00:00", None, dt.date(2026, 11, 15)),
        ("13/04/2026", None, dt.date(2026, 4, 13)),
        ("04/13/2026", None, dt.date(2026, 4, 13)),
        ("03/04/2026", "day-first", dt.date(2026, 4, 3)),
        ("03/04/2026", "month-first", dt.date(2026, 3, 4)),
        ("05.05.2026", None, dt.date(2026, 5, 5)),
        ("15 Nov 2026", None, dt.date(2026, 11, 15)),
        ("November 15, 2026", None, dt.date(2026, 11, 15)),
        (46341, None, dt.date(2026, 11, 15)),
    ],
)
def test_parse_date(raw: object, order: v.DateOrder | None, expected: dt.date) -> None:
    assert v.parse_date(raw, date_order=order) == expected


def test_parse_date_1904_serials() -> None:
    assert v.parse_date(44879, epoch=CALENDAR_MAC_1904) == dt.date(2026, 11, 15)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("03/04/2026", "ambiguous"),
        ("2026-02-30", "not a real date"),
        ("next week", "expected a date"),
        (0, "expected a date"),
        (True, "expected a date"),
    ],
)
def test_parse_date_refuses(raw: object, reason: str) -> None:
    with pytest.raises(v.ValueProblem, match=reason):
        v.parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Green", Status.ON_TRACK),
        ("in progress", Status.ON_TRACK),
        ("AMBER", Status.AT_RISK),
        ("Behind", Status.AT_RISK),
        ("Red", Status.OFF_TRACK),
        ("Blocked", Status.OFF_TRACK),
        ("Planned", Status.NOT_STARTED),
        ("Paused", Status.ON_HOLD),
        ("Achieved", Status.DONE),
        ("Canceled", Status.CANCELLED),
        ("not_started", Status.NOT_STARTED),
    ],
)
def test_parse_status_folds_synonyms(raw: str, expected: Status) -> None:
    assert v.parse_status(raw) is expected


def test_parse_status_refuses_unknown_words() -> None:
    with pytest.raises(v.ValueProblem, match="Purple"):
        v.parse_status("Purple")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, Priority(rank=1)),
        (2.0, Priority(rank=2)),
        ("P3", Priority(rank=3)),
        ("High", Priority(label="high")),
        ("med", Priority(label="medium")),
        ("x", Priority(label="yes")),
        ("N", Priority(label="no")),
        (True, Priority(label="yes")),
    ],
)
def test_parse_priority(raw: object, expected: Priority) -> None:
    assert v.parse_priority(raw) == expected


@pytest.mark.parametrize("raw", [0, 1.5, "urgent", -1])
def test_parse_priority_refuses(raw: object) -> None:
    with pytest.raises(v.ValueProblem):
        v.parse_priority(raw)


def test_priority_semantics() -> None:
    assert Priority(rank=3).is_priority(3)
    assert not Priority(rank=4).is_priority(3)
    assert Priority(label="high").is_priority(3)
    assert Priority(label="yes").is_priority(3)
    assert not Priority(label="medium").is_priority(3)
    assert not Priority(label="no").is_priority(3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CSF", Kind.CSF),
        ("Critical Success Factor", Kind.CSF),
        ("necessary-condition", Kind.NC),
        ("KR", Kind.KEY_RESULT),
        ("Key Results", Kind.KEY_RESULT),
        ("OKR", Kind.OBJECTIVE),
        ("Deliverable", Kind.INITIATIVE),
    ],
)
def test_parse_kind(raw: str, expected: Kind) -> None:
    assert v.parse_kind(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Yes", True), ("on leave", True), ("Left", False), ("Terminated", False), (False, False)],
)
def test_parse_active(raw: object, expected: bool) -> None:
    assert v.parse_active(raw) is expected


def test_fold_name_ignores_case_spacing_and_accents() -> None:
    assert v.fold_name("  Zoë   LÓPEZ ") == v.fold_name("zoe lopez")


# -- properties ----------------------------------------------------------------------------

CELL_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.dates(),
    st.datetimes(),
)
PARSERS = [
    v.parse_number,
    v.parse_date,
    v.parse_status,
    v.parse_priority,
    v.parse_kind,
    v.parse_active,
    v.parse_id_list,
    v.parse_owner_list,
    v.parse_text,
]


@given(value=CELL_VALUES, parser=st.sampled_from(PARSERS))
def test_parsers_return_a_value_or_a_value_problem(value: object, parser: object) -> None:
    """Whatever a cell holds, a parser answers or refuses with a reason: never crashes."""
    try:
        parser(value)  # type: ignore[operator]
    except v.ValueProblem as problem:
        assert str(problem)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_iso_dates_round_trip(day: dt.date) -> None:
    assert v.parse_date(day.isoformat()) == day


@given(st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["day-first", "month-first"]))
def test_numeric_dates_read_in_the_declared_order(day: dt.date, order: v.DateOrder) -> None:
    if order == "day-first":
        text = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    else:
        text = f"{day.month:02d}/{day.day:02d}/{day.year:04d}"
    assert v.parse_date(text, date_order=order) == day


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_numbers_written_as_text_read_back(number: float) -> None:
    assert v.parse_number(repr(number)) == pytest.approx(number)


@given(st.lists(st.text(alphabet="ABCG-0123456789", min_size=1, max_size=6), max_size=6))
def test_id_lists_split_and_keep_order(ids: list[str]) -> None:
    assert v.parse_id_list(";".join(ids)) == tuple(dict.fromkeys(i for i in ids))


@given(
    st.lists(st.text(alphabet="AB G-1\u00a0\u3000\t", min_size=0, max_size=5), max_size=4),
    st.lists(st.sampled_from([";", ",", "\n", "\r\n", " ; "]), min_size=4, max_size=4),
)
def test_list_parsers_drop_blanks_and_never_keep_a_separator(
    parts: list[str], separators: list[str]
) -> None:
    """One entry or several, padded or blank: no entry is empty, padded or holds a
    separator, and every non-blank entry written is kept (a single entry takes a shorter
    path than several)."""
    between = [*separators[: max(len(parts) - 1, 0)], ""]
    text = "".join(part + sep for part, sep in zip(parts, between, strict=False))
    for parser, seps in ((v.parse_id_list, ";,\n\r"), (v.parse_owner_list, ";\n\r")):
        result = parser(text)
        assert all(r and r == r.strip() and not set(r) & set(seps) for r in result)
        written = [chunk.strip() for chunk in re.split(f"[{re.escape(seps)}]+", v.parse_text(text))]
        assert result == tuple(dict.fromkeys(c for c in written if c))
