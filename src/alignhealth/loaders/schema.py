"""What each sheet of a client workbook may be called and which columns it may hold.

The vocabulary of ``workbook.md``: sheet synonyms, and for every field its header
synonyms and the kind of value it holds. Headers and sheet names are compared folded
(:func:`fold_header`), so the synonyms below are written folded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class SheetKind(StrEnum):
    """The five kinds of sheet a workbook may hold."""

    GOALS = "goals"
    PEOPLE = "people"
    PROJECTS = "projects"
    REVIEWS = "reviews"
    LEVELS = "levels"


class ValueType(StrEnum):
    """How a field's cells are parsed (see :mod:`alignhealth.loaders.values`)."""

    ID = "id"
    ID_LIST = "id list"
    OWNER_LIST = "owner list"
    TEXT = "text"
    NUMBER = "number"
    PROGRESS = "progress"
    DATE = "date"
    STATUS = "status"
    PRIORITY = "priority"
    KIND = "kind"
    ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field of a sheet: its name, value type and the headers that name it."""

    name: str
    type: ValueType
    synonyms: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A kind of sheet: the names it goes by and its fields."""

    kind: SheetKind
    synonyms: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    id_field: str
    required: tuple[str, ...]

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def fold_header(text: str) -> str:
    """A header or sheet name as compared: camelCase split (``parentId`` is ``parent id``),
    NFC, case-folded, trimmed, runs of space, ``_``, ``-`` and ``.`` as one space, a trailing
    ``(s)`` dropped; ``#`` and ``%`` kept."""
    text = _CAMEL.sub(" ", unicodedata.normalize("NFC", text)).casefold()
    text = re.sub(r"[\s_\-.]+", " ", text).strip()
    text = re.sub(r"\s*\(s\)$", "", text)
    return text


def _f(name: str, type_: ValueType, description: str, *synonyms: str) -> FieldSpec:
    return FieldSpec(name, type_, tuple(fold_header(s) for s in synonyms), description)


V = ValueType

GOALS = SheetSpec(
    SheetKind.GOALS,
    (
        "goals",
        "goal",
        "objectives",
        "okrs",
        "okr",
        "goal tree",
        "strategy",
        "goals & objectives",
        "goals and objectives",
        "strategic goals",
    ),
    (
        _f(
            "id",
            V.ID,
            "the goal's id, unique in the sheet",
            "id",
            "goal id",
            "ref",
            "key",
            "code",
            "#",
            "goal #",
            "ref #",
            "goal ref",
        ),
        _f(
            "title",
            V.TEXT,
            "what the goal is",
            "title",
            "goal",
            "objective",
            "name",
            "statement",
            "goal title",
            "goal name",
        ),
        _f(
            "parent",
            V.ID_LIST,
            "the id(s) of the goal(s) it supports",
            "parent",
            "parent id",
            "parent goal",
            "supports",
            "aligned to",
            "contributes to",
            "parent goal id",
        ),
        _f(
            "level",
            V.TEXT,
            "the organisational level, by name or rank",
            "level",
            "tier",
            "org level",
            "layer",
        ),
        _f(
            "kind",
            V.KIND,
            "goal, csf, nc, objective, key result or initiative",
            "type",
            "kind",
            "object type",
            "goal type",
        ),
        _f(
            "owner",
            V.OWNER_LIST,
            "the accountable person (id, e-mail or name; several split on ;)",
            "owner",
            "accountable",
            "responsible",
            "lead",
            "sponsor",
            "owner id",
            "goal owner",
        ),
        _f(
            "priority",
            V.PRIORITY,
            "a rank (1 is highest), High/Medium/Low or Yes/No",
            "priority",
            "rank",
            "is priority",
        ),
        _f(
            "status",
            V.STATUS,
            "not started, on track, at risk, off track, on hold, done, cancelled (or RAG)",
            "status",
            "state",
            "rag",
        ),
        _f(
            "kpi",
            V.TEXT,
            "how progress is measured",
            "kpi",
            "measure",
            "metric",
            "key result",
            "indicator",
        ),
        _f("baseline", V.NUMBER, "the measure's starting value", "baseline", "start value"),
        _f("target", V.NUMBER, "the measure's target value", "target", "target value"),
        _f("actual", V.NUMBER, "the measure's current value", "actual", "current", "current value"),
        _f("start", V.DATE, "when work on the goal starts", "start", "start date"),
        _f(
            "due",
            V.DATE,
            "when the goal is due",
            "due",
            "due date",
            "deadline",
            "target date",
            "end date",
        ),
        _f(
            "last_reviewed",
            V.DATE,
            "when the goal was last reviewed",
            "last reviewed",
            "last review",
            "last check in",
            "last checkin",
            "last update",
            "last reviewed on",
        ),
        _f(
            "unit",
            V.TEXT,
            "the department or team",
            "department",
            "unit",
            "team",
            "function",
            "business unit",
        ),
    ),
    id_field="id",
    required=("id", "title"),
)

PEOPLE = SheetSpec(
    SheetKind.PEOPLE,
    (
        "people",
        "owners",
        "leaders",
        "org chart",
        "orgchart",
        "employees",
        "staff",
        "persons",
        "team members",
    ),
    (
        _f(
            "id",
            V.ID,
            "the person's id; the e-mail serves where there is none",
            "id",
            "employee id",
            "person id",
            "staff id",
            "employee #",
            "employee number",
        ),
        _f(
            "name", V.TEXT, "the person's name", "name", "full name", "person", "employee", "leader"
        ),
        _f(
            "email",
            V.TEXT,
            "the person's e-mail",
            "e mail",
            "email",
            "mail",
            "email address",
            "e mail address",
        ),
        _f("role", V.TEXT, "their job title", "title", "role", "position", "job title"),
        _f("level", V.TEXT, "their organisational level", "level", "tier", "org level", "grade"),
        _f(
            "manager",
            V.TEXT,
            "their manager (id, e-mail or name)",
            "manager",
            "reports to",
            "line manager",
            "manager id",
            "manager email",
        ),
        _f("unit", V.TEXT, "their department or team", "unit", "department", "team", "function"),
        _f(
            "active",
            V.ACTIVE,
            "Yes/No, active, on leave, left, terminated",
            "active",
            "status",
            "employment status",
        ),
        _f(
            "left_on",
            V.DATE,
            "the date they left",
            "end date",
            "left on",
            "leaving date",
            "termination date",
        ),
    ),
    id_field="id",
    required=(),
)

PROJECTS = SheetSpec(
    SheetKind.PROJECTS,
    (
        "projects",
        "initiatives",
        "opportunities",
        "programmes",
        "programs",
        "actions",
        "project list",
        "workstreams",
    ),
    (
        _f("id", V.ID, "the project's id", "id", "project id", "initiative id", "ref", "project #"),
        _f(
            "name",
            V.TEXT,
            "what the project is",
            "name",
            "project",
            "initiative",
            "title",
            "project name",
        ),
        _f(
            "goal",
            V.ID_LIST,
            "the goal(s) it advances",
            "goal",
            "goal id",
            "supports",
            "linked goal",
            "objective",
            "goal ids",
            "linked goals",
        ),
        _f(
            "owner",
            V.OWNER_LIST,
            "the accountable person",
            "owner",
            "accountable",
            "sponsor",
            "lead",
            "project owner",
            "project lead",
        ),
        _f("status", V.STATUS, "the project's status", "status", "state", "rag"),
        _f(
            "progress",
            V.PROGRESS,
            "how complete it is (45% or 0.45)",
            "% complete",
            "percent complete",
            "progress",
            "% done",
            "completion %",
        ),
        _f("start", V.DATE, "when it starts", "start", "start date"),
        _f("due", V.DATE, "when it is due", "due", "due date", "deadline", "end date"),
        _f(
            "completed_on",
            V.DATE,
            "when it was completed",
            "completed on",
            "completion date",
            "completed",
            "date completed",
        ),
        _f(
            "assessed_by",
            V.TEXT,
            "who assessed the completion",
            "assessed by",
            "reviewed by",
            "signed off by",
            "assessor",
        ),
        _f(
            "assessed_on",
            V.DATE,
            "when the completion was assessed",
            "assessed on",
            "assessment date",
            "signed off on",
            "date assessed",
        ),
        _f(
            "assessment",
            V.TEXT,
            "the leader's assessment",
            "assessment",
            "outcome",
            "leader assessment",
            "score",
        ),
    ),
    id_field="id",
    required=("id",),
)

REVIEWS = SheetSpec(
    SheetKind.REVIEWS,
    ("reviews", "check ins", "checkins", "check in", "updates", "review log", "goal reviews"),
    (
        _f("goal", V.ID, "the goal reviewed", "goal", "goal id", "objective"),
        _f("reviewer", V.TEXT, "who reviewed it", "reviewer", "reviewed by", "leader"),
        _f("date", V.DATE, "when", "date", "review date", "check in date", "checkin date"),
        _f("progress", V.PROGRESS, "progress at the review", "progress", "% complete"),
        _f("confidence", V.TEXT, "the reviewer's confidence", "confidence"),
        _f("note", V.TEXT, "what was said", "note", "comment", "notes", "comments"),
    ),
    id_field="goal",
    required=("goal",),
)

LEVELS = SheetSpec(
    SheetKind.LEVELS,
    ("levels", "tiers", "org levels", "level"),
    (
        _f("name", V.TEXT, "the level's name", "name", "level", "level name"),
        _f(
            "rank",
            V.NUMBER,
            "its position from the top (smallest is the top)",
            "rank",
            "order",
            "tier",
            "position",
        ),
    ),
    id_field="name",
    required=("name",),
)

SHEETS: dict[SheetKind, SheetSpec] = {
    spec.kind: spec for spec in (GOALS, PEOPLE, PROJECTS, REVIEWS, LEVELS)
}
