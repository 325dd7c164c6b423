"""The records a workbook is read into, each carrying the row it came from.

Records are slotted dataclasses, without a ``__dict__`` per row. The loader builds them
from values its parsers have already checked and typed, so they are not validated a
second time on construction (that doubled the cost of reading a hundred thousand goals);
``pydantic.TypeAdapter(Goal)`` validates one where it comes from elsewhere, and the
loader's tests check with it that every record it builds matches its annotations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from alignhealth.findings import SourceLocation


class Status(StrEnum):
    """The status vocabulary every synonym folds into (workbook.md, Values)."""

    NOT_STARTED = "not started"
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    ON_HOLD = "on hold"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Done and cancelled work is no longer active."""
        return self not in _CLOSED


class Kind(StrEnum):
    """What a row of the goal tree is."""

    GOAL = "goal"
    CSF = "csf"
    NC = "nc"
    OBJECTIVE = "objective"
    KEY_RESULT = "key result"
    INITIATIVE = "initiative"


_CLOSED = frozenset({Status.DONE, Status.CANCELLED})

PriorityLabel = Literal["high", "medium", "low", "yes", "no"]


@dataclass(slots=True, frozen=True)
class Priority:
    """A priority cell: a rank (1 is highest) or a label (High/Medium/Low, Yes/No)."""

    rank: int | None = None
    label: PriorityLabel | None = None

    def is_priority(self, priority_rank: int) -> bool:
        """A rank from 1 to ``priority-rank``, High, or Yes (rules.md, priority goal)."""
        if self.rank is not None:
            return 1 <= self.rank <= priority_rank
        return self.label in ("high", "yes")


class Origin:
    """Where a record was read: the sheet, its 1-based row, and each field's column letter.

    ``columns`` is shared by every row of a sheet, so it costs one dict per sheet. A plain
    slotted class: one is made per row, and the values are already checked by the reader.
    """

    __slots__ = ("columns", "row", "sheet", "workbook")

    def __init__(self, workbook: str, sheet: str, row: int, columns: Mapping[str, str]) -> None:
        self.workbook = workbook
        self.sheet = sheet
        self.row = row
        self.columns = columns

    def __repr__(self) -> str:
        return f"Origin({self.sheet!r}, row {self.row})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Origin) and (
            self.workbook,
            self.sheet,
            self.row,
            dict(self.columns),
        ) == (other.workbook, other.sheet, other.row, dict(other.columns))

    def __hash__(self) -> int:
        return hash((self.workbook, self.sheet, self.row))

    def __reduce__(self) -> tuple[object, ...]:
        return (Origin, (self.workbook, self.sheet, self.row, self.columns))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[object], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """pydantic checks an Origin by its type (so ``TypeAdapter(Goal)`` works)."""
        return core_schema.is_instance_schema(cls)

    def cell(self, field: str) -> SourceLocation:
        """The location of ``field`` in this row; the whole row when the sheet lacks it."""
        return SourceLocation.at(self.workbook, self.sheet, self.row, self.columns.get(field))


@dataclass(slots=True)
class Goal:
    """A goal, CSF, necessary condition, objective or key result."""

    id: str
    title: str
    origin: Origin
    parent_ids: tuple[str, ...] = ()
    level: str | None = None
    kind: Kind | None = None
    owners: tuple[str, ...] = ()
    priority: Priority | None = None
    status: Status | None = None
    kpi: str | None = None
    baseline: float | None = None
    target: float | None = None
    actual: float | None = None
    start: dt.date | None = None
    due: dt.date | None = None
    last_reviewed: dt.date | None = None
    unit: str | None = None

    @property
    def active(self) -> bool:
        """Not done or cancelled (a blank status is active)."""
        return self.status is None or self.status not in _CLOSED


@dataclass(slots=True)
class Person:
    """Someone who can own goals, with their level and manager."""

    id: str
    origin: Origin
    name: str | None = None
    email: str | None = None
    role: str | None = None
    level: str | None = None
    manager: str | None = None
    unit: str | None = None
    active: bool = True
    left_on: dt.date | None = None

    @property
    def label(self) -> str:
        return self.name or self.email or self.id


@dataclass(slots=True)
class Project:
    """Work that advances one or more goals, and the assessment of its completion."""

    id: str
    origin: Origin
    name: str | None = None
    goal_ids: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    status: Status | None = None
    progress: float | None = None
    start: dt.date | None = None
    due: dt.date | None = None
    completed_on: dt.date | None = None
    assessed_by: str | None = None
    assessed_on: dt.date | None = None
    assessment: str | None = None

    @property
    def active(self) -> bool:
        return self.status is None or self.status not in _CLOSED


@dataclass(slots=True)
class Review:
    """A dated review of a goal by a leader."""

    goal_id: str
    origin: Origin
    reviewer: str | None = None
    date: dt.date | None = None
    progress: float | None = None
    confidence: str | None = None
    note: str | None = None


@dataclass(slots=True)
class LevelDef:
    """A row of the Levels sheet: a level's name and, optionally, its rank."""

    name: str
    origin: Origin
    rank: float | None = None
