"""What a rule is: explicit metadata, a pydantic ``Options`` model and one ``check`` method."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from alignhealth import measures
from alignhealth.findings import EntityRef, Finding, Severity, SourceLocation, make_fingerprint
from alignhealth.model import Goal, Person, Project
from alignhealth.settings import Settings

if TYPE_CHECKING:
    from alignhealth.graph import OrgGraph, PersonMatch

Phase = Literal["check", "report"]
Requirement = Literal["people", "projects", "reviews", "managers", "levels", "review-data"]
Subject = Literal["goals", "people", "projects", "workbook"]

DOC_SECTIONS = ("What it checks", "Why it matters", "How to fix", "Example")


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class RuleOptions(BaseModel):
    """Base of every rule's options. Fields are written kebab-case in rulesets
    (``max-days``) and must each have a default and a description."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=_kebab, populate_by_name=True, frozen=True
    )


class SkipRule(Exception):
    """Raised by ``check`` when the data the rule needs is absent; the reason is reported."""


class Rule:
    """Base class of every rule, built-in or from a plugin.

    Subclasses set the class attributes below and implement :meth:`check`. The docstring
    has four sections: What it checks / Why it matters / How to fix / Example.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    default_severity: ClassVar[Severity | str]
    groups: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[RuleOptions]] = RuleOptions
    #: Data without which the rule is skipped (with the reason) rather than run.
    requires: ClassVar[tuple[Requirement, ...]] = ()
    #: What ``checked`` counts in the rule's outcome.
    subject: ClassVar[Subject] = "goals"
    #: ``report`` rules run after every ``check`` rule and after suppressions, and read
    #: ``ctx.run`` (crashes, suppression use): the AH9 family.
    phase: ClassVar[Phase] = "check"

    def check(self, ctx: RuleContext[Any]) -> Iterable[Finding]:
        """Yield a finding for each problem; build them with ``ctx.finding``."""
        raise NotImplementedError

    @classmethod
    def severity(cls) -> Severity:
        return Severity.parse(cls.default_severity)

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring's sections, by heading."""
        return split_doc(cls.__doc__ or "")


def split_doc(doc: str) -> dict[str, str]:
    """Split a rule docstring into its ``Heading:`` sections."""
    import inspect

    text = inspect.cleandoc(doc)
    pattern = re.compile(rf"^({'|'.join(DOC_SECTIONS)}):?\s*$", re.MULTILINE)
    parts = pattern.split(text)
    sections = {}
    for i in range(1, len(parts) - 1, 2):
        sections[parts[i]] = parts[i + 1].strip()
    return sections


@dataclass(frozen=True)
class Crash:
    """A rule that raised, as report-phase rules see it."""

    code: str
    name: str
    plugin: str
    exception: str
    message: str
    traceback: str


@dataclass
class RunState:
    """What happened in the run so far, for ``report`` rules."""

    crashes: list[Crash] = field(default_factory=list)
    suppression_uses: list[Any] = field(default_factory=list)
    rules_run: int = 0


OptionsT = TypeVar("OptionsT", bound=RuleOptions)


class RuleContext(Generic[OptionsT]):
    """What ``check`` receives: the graph, the rule's validated options, the shared
    settings, and helpers that fill in the rule's code, severity and the entity's cell."""

    def __init__(
        self,
        rule: Rule,
        graph: OrgGraph,
        options: OptionsT,
        settings: Settings,
        severity: Severity,
        plugin: str,
        run: RunState | None = None,
    ) -> None:
        self.rule = rule
        self.run = run or RunState()
        self.graph = graph
        self.options = options
        self.settings = settings
        self.severity = severity
        self.plugin = plugin
        #: Overrides the default count of entities checked, when the rule sets it.
        self.checked: int | None = None
        # Goals share a handful of start and due dates: the calendar's share of each pair
        # is worked out once.
        self._expected: dict[tuple[dt.date | None, dt.date | None], float | None] = {}
        self._last_reviews: Mapping[str, dt.date | None] | None = None

    @property
    def as_of(self) -> Any:
        return self.settings.as_of

    def finding(
        self,
        entity: EntityRef,
        message: str,
        *,
        location: SourceLocation | None = None,
        related: Sequence[EntityRef] = (),
        evidence: dict[str, Any] | None = None,
        hint: str | None = None,
        discriminator: str = "",
    ) -> Finding:
        """A finding of this rule, at its effective severity."""
        code = self.rule.code
        return Finding(
            code=code,
            name=self.rule.name,
            severity=self.severity,
            message=message,
            entity=entity,
            location=location,
            related=list(related),
            evidence=evidence or {},
            hint=hint,
            plugin=self.plugin,
            # Given, not set after: pydantic's assignment costs a finding 0.9 us more.
            fingerprint=make_fingerprint(code, entity, discriminator),
            discriminator=discriminator,
        )

    def at(
        self, record: Goal | Person | Project, field: str, message: str, **kwargs: Any
    ) -> Finding:
        """A finding about a goal, person or project, located at one of its cells."""
        return self.finding(
            entity_of(record), message, location=record.origin.cell(field), **kwargs
        )

    # -- the shared terms of rules.md ------------------------------------------------------

    def is_priority(self, goal: Goal) -> bool:
        """An active-or-not goal whose priority makes it a priority goal."""
        return goal.priority is not None and goal.priority.is_priority(self.settings.priority_rank)

    def priority_goals(self) -> Sequence[Goal]:
        """Active priority goals, in row order (worked out once per run and shared)."""
        return self.graph.priority_goals(self.settings.priority_rank)

    def active_goals(self) -> Iterable[Goal]:
        """Goals that are not done or cancelled (rules.md, Terms)."""
        return self.graph.active_goals

    def progress(self, goal: Goal) -> float | None:
        """The goal's progress (rules.md): one helper for every rule that needs it."""
        return measures.goal_progress(goal)

    def expected(self, start: dt.date | None, due: dt.date | None) -> float | None:
        """Where the calendar says work should be, as of the run's date."""
        try:
            return self._expected[start, due]
        except KeyError:
            share = self._expected[start, due] = measures.expected_progress(
                start, due, self.settings.as_of
            )
            return share

    def last_reviews(self) -> Mapping[str, dt.date | None]:
        """Every goal's last review on or before the as-of date, by goal id: the later of
        its last-reviewed cell and its latest Reviews row (a table of every goal, made
        once per run for the rules that want the mapping; :meth:`last_review` of a goal
        is as cheap, and makes no table)."""
        if self._last_reviews is None:
            self._last_reviews = (
                self.graph.last_reviews
                if self.settings.as_of == self.graph.as_of
                else self.graph.last_reviews_on(self.settings.as_of)
            )
        return self._last_reviews

    def last_review(self, goal: Goal) -> dt.date | None:
        """The goal's last review on or before the as-of date: its own cell and one look-up
        among the Reviews sheet's goals, so a rule may ask it of every goal it visits."""
        return self.graph.last_review_on(goal, self.settings.as_of)

    def is_leader(self, person_id: str) -> bool:
        """An active person at or above ``leader-max-rank`` (or, without a level, a manager)."""
        return self.graph.is_leader(person_id, self.settings.leader_max_rank)

    def leaders(self) -> frozenset[str]:
        """Every person :meth:`is_leader` accepts (worked out once per run)."""
        return self.graph.leaders(self.settings.leader_max_rank)

    def owned_goals(self) -> dict[str, list[Goal]]:
        """Active goals by owner: the person's id where the owner resolves, else the
        owner's name as written. A goal counts once for each of its owners."""
        return self.graph.owned_goals

    def owner_matches(
        self, keep: Callable[[PersonMatch], bool]
    ) -> Iterator[tuple[Goal, PersonMatch]]:
        """Each active goal with each of its resolved owners that ``keep`` accepts, in row
        order. ``keep`` is asked once per distinct owner cell, not once per goal: cells
        repeat down the sheet, and a rule that looks at every owner of every goal would
        otherwise spend its time resolving the same few thousand cells."""
        graph = self.graph
        found: list[tuple[int, PersonMatch]] = []
        for cell, positions in graph.active_owner_cells.items():
            matches = [m for m in graph.matches_of(cell) if keep(m)]
            if matches:
                found.extend((position, m) for position in positions for m in matches)
        # Back in row order; a goal's owners stay in their cell's order (the sort is stable).
        found.sort(key=itemgetter(0))
        active = graph.active_goals
        for position, match in found:
            yield active[position], match

    def owner_label(self, owner: str) -> str:
        """``Ann Archer (P-01)`` for a person, the name as written otherwise."""
        person = self.graph.people.get(owner)
        return f"{person.label} ({person.id})" if person else repr(owner)

    def owner_finding(
        self, owner: str, goals: Sequence[Goal], message: str, **kwargs: Any
    ) -> Finding:
        """A finding about an owner: at their People row where they have one, else at the
        owner cell of the first goal that names them."""
        person = self.graph.people.get(owner)
        if person is not None:
            return self.at(person, "id", message, **kwargs)
        return self.finding(
            EntityRef(kind="person", id=owner, label=owner),
            message,
            location=goals[0].origin.cell("owner"),
            **kwargs,
        )


def entity_of(record: Goal | Person | Project) -> EntityRef:
    """The entity reference of a record: its kind, id and label."""
    if isinstance(record, Goal):
        return EntityRef(kind="goal", id=record.id, label=record.title or None)
    if isinstance(record, Person):
        return EntityRef(kind="person", id=record.id, label=record.label)
    return EntityRef(kind="project", id=record.id, label=record.name)


def goal_ref(goal_id: str) -> EntityRef:
    return EntityRef(kind="goal", id=goal_id)
