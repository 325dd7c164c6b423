"""What a loader hands the engine: the records of a workbook and what went wrong reading it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from alignhealth.findings import EntityRef, Notice, SourceLocation
from alignhealth.links import GoalLinks
from alignhealth.loaders.schema import SheetKind
from alignhealth.model import Goal, LevelDef, Person, Project, Review

ProblemKind = Literal["duplicate-id", "invalid-value", "missing-required"]


@dataclass(slots=True)
class LoadProblem:
    """A cell or row the loader could not use; rules AH001-AH003 report these."""

    kind: ProblemKind
    entity: EntityRef
    location: SourceLocation
    field: str
    message: str
    value: str | None = None
    related: list[EntityRef] = dataclasses.field(default_factory=list)
    first_location: SourceLocation | None = None


@dataclass(slots=True)
class ColumnUse:
    """A header cell and what it was read as: a field (by mapping or synonym), or nothing."""

    letter: str
    header: str
    field: str | None
    how: Literal["mapping", "synonym"] | None


@dataclass(slots=True)
class SheetLayout:
    """How one sheet was understood: its header row, its columns, the rows it gave."""

    sheet: str
    header_row: int
    columns: list[ColumnUse]
    rows: int
    blank_rows: int = 0


@dataclass(slots=True)
class LoadedWorkbook:
    """Everything read from one workbook.

    A sheet kind that the workbook lacks is ``None`` (not an empty list), so rules can
    tell "no People sheet" from "a People sheet with no rows".
    """

    path: str
    name: str
    sha256: str
    goals: list[Goal]
    people: list[Person] | None = None
    projects: list[Project] | None = None
    reviews: list[Review] | None = None
    levels: list[LevelDef] | None = None
    sheets: dict[SheetKind, str] = dataclasses.field(default_factory=dict)
    columns: dict[SheetKind, frozenset[str]] = dataclasses.field(default_factory=dict)
    problems: list[LoadProblem] = dataclasses.field(default_factory=list)
    notices: list[Notice] = dataclasses.field(default_factory=list)
    #: The order of levels, top first, where the source format defines it (a loader for a
    #: tool's export); a Levels sheet or the ruleset's ``levels`` take precedence.
    level_order: list[str] | None = None
    #: How each sheet read was understood, for ``alignhealth inspect``.
    layout: dict[SheetKind, SheetLayout] = dataclasses.field(default_factory=dict)
    #: Sheets that were not read: (name, hidden).
    unread_sheets: list[tuple[str, bool]] = dataclasses.field(default_factory=list)
    #: The goals, people and projects by id, in row order, where the loader indexed them
    #: as it read them (the graph takes them rather than indexing a million records again).
    #: A loader may leave it empty; an index that does not match its list is not used.
    by_id: dict[SheetKind, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: The goals' parent and child links, made as the goals were read (the graph finishes
    #: them rather than linking a million goals again). Used only with the goals' index
    #: above, and only where it covers every goal in it.
    goal_links: GoalLinks | None = None

    def has_field(self, kind: SheetKind, name: str) -> bool:
        """Whether the workbook has a column for ``name`` on its ``kind`` sheet."""
        return name in self.columns.get(kind, frozenset())
