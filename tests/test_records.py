"""The loader builds records without validating them a second time, so it must build
only what their annotations promise: a property test over random cells, checked by
pydantic in strict mode (no coercion), field by field."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import typing
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from alignhealth.loaders.raw import CellError, RawSheet, RawWorkbook
from alignhealth.loaders.schema import SHEETS, SheetKind
from alignhealth.loaders.workbook import load_raw
from alignhealth.model import Goal, Origin, Priority

cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["G1", "G2", "G1, G2", "On track", "done", "High", "2", "50%", "yes"]),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.booleans(),
    st.sampled_from([CellError("#REF!"), CellError("#N/A")]),
)


@functools.cache
def _adapter(cls: type[Any], name: str) -> TypeAdapter[object]:
    return TypeAdapter(typing.get_type_hints(cls)[name])


def assert_typed(record: Any) -> None:
    """Every field of ``record`` passes strict validation against its annotation."""
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        try:
            _adapter(record.__class__, field.name).validate_python(value, strict=True)
        except ValidationError as exc:
            raise AssertionError(
                f"{type(record).__name__}.{field.name} = {value!r}: {exc}"
            ) from None


def _sheet(kind: SheetKind, rows: Sequence[Sequence[object]]) -> RawSheet:
    spec = SHEETS[kind]
    header = [f.synonyms[0] for f in spec.fields]
    numbered: list[tuple[int, Sequence[object]]] = [(1, header)]
    numbered += ((n, list(row)) for n, row in enumerate(rows, start=2))
    return RawSheet(name=spec.synonyms[0], hidden=False, rows=lambda: iter(numbered))


def _rows(kind: SheetKind) -> st.SearchStrategy[list[list[object]]]:
    width = len(SHEETS[kind].fields)
    return st.lists(st.lists(cells, min_size=width, max_size=width), max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    goals=_rows(SheetKind.GOALS),
    people=_rows(SheetKind.PEOPLE),
    projects=_rows(SheetKind.PROJECTS),
    reviews=_rows(SheetKind.REVIEWS),
    levels=_rows(SheetKind.LEVELS),
)
def test_every_record_the_loader_builds_matches_its_annotations(
    goals: list[list[object]],
    people: list[list[object]],
    projects: list[list[object]],
    reviews: list[list[object]],
    levels: list[list[object]],
) -> None:
    raw = RawWorkbook(
        path="random.xlsx",
        sheets=[
            _sheet(SheetKind.GOALS, goals),
            _sheet(SheetKind.PEOPLE, people),
            _sheet(SheetKind.PROJECTS, projects),
            _sheet(SheetKind.REVIEWS, reviews),
            _sheet(SheetKind.LEVELS, levels),
        ],
    )
    loaded = load_raw(raw, "random.xlsx")
    for records in (loaded.goals, loaded.people, loaded.projects, loaded.reviews, loaded.levels):
        for record in records or ():
            assert_typed(record)


def test_the_strict_check_catches_an_untyped_value() -> None:
    goal = Goal(id="G1", title="A goal", origin=Origin("w.xlsx", "Goals", 2, {}))
    assert_typed(goal)
    goal.due = "2026-01-01"  # type: ignore[assignment]
    with pytest.raises(AssertionError, match="due"):
        assert_typed(goal)
    goal.due = None
    goal.priority = {"rank": 1}  # type: ignore[assignment]
    with pytest.raises(AssertionError, match="priority"):
        assert_typed(goal)
    goal.priority = Priority(rank=1)
    assert_typed(goal)


def test_a_record_from_elsewhere_is_validated_by_a_type_adapter() -> None:
    origin = Origin("w.xlsx", "Goals", 2, {"id": "A"})
    adapter = TypeAdapter(Goal)
    goal = adapter.validate_python(
        {"id": "G1", "title": "A goal", "origin": origin, "parent_ids": ["G0"], "due": "2026-01-31"}
    )
    assert goal.parent_ids == ("G0",)
    assert goal.due == dt.date(2026, 1, 31)
    with pytest.raises(ValidationError, match="origin"):
        adapter.validate_python({"id": "G1", "title": "A goal", "origin": "row 2"})
