"""The health score (rules.md): the share of goals no finding of medium or above names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

from alignhealth.collector import gc_paused
from alignhealth.findings import Finding, Severity
from alignhealth.graph import OrgGraph
from alignhealth.runresult import FamilyDrag, LevelScore, OwnerScore, ScoreEntry, Summary

E = TypeVar("E", bound=ScoreEntry)

UNHEALTHY_FROM = Severity.MEDIUM
BANDS = ((80, "excellent"), (60, "good"), (40, "fair"), (0, "poor"))


def band(score: int | None) -> str | None:
    """poor (0-39), fair (40-59), good (60-79) or excellent (80-100)."""
    if score is None:
        return None
    for floor, name in BANDS:
        if score >= floor:
            return name
    return BANDS[-1][1]


_ALL_HEALTHY = band(100)


def score(healthy: int, checked: int) -> int | None:
    """round(100 x healthy / checked); None when nothing was checked."""
    return round(100 * healthy / checked) if checked else None


def _drags(counts: dict[str, int]) -> list[FamilyDrag]:
    if not counts:  # most owners: nothing drags their score down
        return []
    if len(counts) == 1:  # most of the rest: one family
        ((group, n),) = counts.items()
        return [FamilyDrag(group=group, goals=n)]
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FamilyDrag(group=group, goals=n) for group, n in ranked[:3]]


@dataclass(slots=True)
class Census:
    """What a summary of a graph holds whatever the findings: each owner's score entry as
    it stands while none of its goals has a finding (by owner id), and the goals of each
    level (by rank: the level as first written, and its goals).

    A large check's parent process takes it while the rules run (it does not depend on
    their findings), and the summary only replaces the entries of the owners found.
    """

    owners: dict[str, OwnerScore]
    levels: dict[int, tuple[str, int]]


def take_census(graph: OrgGraph) -> Census:
    """Count every goal once for each of its owners and for its level."""
    with gc_paused():  # a large workbook has a quarter of a million owners, none in a cycle
        # Goals share their owner and level cells (the reader makes equal cells one
        # object): the goals are counted per distinct cell in C, and each cell is
        # resolved to its owners once (by the graph).
        goals = graph.goals.values()
        per_owner: dict[str, int] = {}
        owner_keys = graph.owner_keys
        for cell, count in Counter(map(attrgetter("owners"), goals)).items():
            for owner_id in owner_keys(cell):
                per_owner[owner_id] = per_owner.get(owner_id, 0) + count
        people = graph.people
        owners = {
            owner_id: OwnerScore(
                score=100,
                band=_ALL_HEALTHY,
                checked=per_owner[owner_id],
                id=owner_id,
                name=person.name if (person := people.get(owner_id)) is not None else None,
            )
            for owner_id in sorted(per_owner)
        }
        levels: dict[int, tuple[str, int]] = {}
        for level, count in Counter(map(attrgetter("level"), goals)).items():
            rank = graph.levels.rank(level) if level else None
            if rank is not None:
                name, before = levels.get(rank, (level, 0))
                levels[rank] = (name, before + count)
    return Census(owners=owners, levels=levels)


def summarize(
    graph: OrgGraph | None,
    findings: Sequence[Finding],
    groups_of: dict[str, tuple[str, ...]],
    incomplete: bool,
    census: Census | None = None,
) -> Summary:
    """Counts by severity, and the health score overall, per owner and per level.
    ``census`` is the graph's, when it was taken before (:func:`take_census`)."""
    active = [f for f in findings if not f.suppressed]
    by_severity = {s.value: 0 for s in Severity}
    for finding in active:
        by_severity[finding.severity.value] += 1
    summary = Summary(
        by_severity=by_severity,
        suppressed=len(findings) - len(active),
        incomplete=incomplete,
    )
    if graph is None:
        return summary
    if census is None:
        census = take_census(graph)

    # A goal's set of families is made for each goal with a finding (a million, where
    # every goal has one): the collector, let in, walked them over and over.
    with gc_paused():
        goals = graph.goals
        unhealthy = frozenset(s for s in Severity if s.weight >= UNHEALTHY_FROM.weight)
        # goal id -> the rule families that make it unhealthy; and all findings per goal.
        unhealthy_by: dict[str, set[str]] = {}
        findings_on: dict[str, int] = {}
        for finding in active:
            entity = finding.entity
            if entity.kind != "goal":
                continue
            goal_id = entity.id
            before = findings_on.get(goal_id)
            if before is None:
                if goal_id not in goals:
                    continue
                before = 0
            findings_on[goal_id] = before + 1
            if finding.severity in unhealthy:
                family = (groups_of.get(finding.code) or (finding.code,))[0]
                dragged = unhealthy_by.get(goal_id)
                if dragged is None:
                    unhealthy_by[goal_id] = {family}
                else:
                    dragged.add(family)

        # Only the goals with findings are looked at: every goal was counted for its
        # owners and its level by the census, whose entries stand for the owners none of
        # whose goals has a finding (most of them).
        clean = census.owners
        overall = _Tally(len(goals))
        found_owners: dict[str, _Tally] = {}
        by_rank = {rank: _Tally(count) for rank, (_, count) in census.levels.items()}
        owner_keys = graph.owner_keys
        rank_of = graph.levels.rank
        for goal_id, found in findings_on.items():
            goal = goals[goal_id]
            dragged = unhealthy_by.get(goal_id)
            overall.add(found, dragged)
            for owner_id in owner_keys(goal.owners):
                tally = found_owners.get(owner_id)
                if tally is None:
                    tally = found_owners[owner_id] = _Tally(clean[owner_id].checked)
                tally.add(found, dragged)
            rank = rank_of(goal.level) if goal.level else None
            if rank is not None:
                by_rank[rank].add(found, dragged)

        whole = overall.entry(ScoreEntry)
        summary.health_score = whole.score
        summary.band = whole.band
        summary.checked = whole.checked
        summary.drags = whole.drags
        entries = dict(clean)  # by id
        for owner_id, tally in found_owners.items():
            entries[owner_id] = tally.entry(OwnerScore, id=owner_id, name=clean[owner_id].name)
        # Lowest score first, then by id: a stable sort of the entries in id order (every
        # owner in the census owns a goal, so every entry has a score).
        summary.by_owner = sorted(entries.values(), key=attrgetter("score"))
        summary.by_level = [
            by_rank[rank].entry(LevelScore, level=census.levels[rank][0], rank=rank)
            for rank in sorted(by_rank)
        ]
    return summary


class _Tally:
    """The goals of one owner, one level, or the whole tree, as a score is made of them."""

    __slots__ = ("checked", "families", "found", "unhealthy")

    def __init__(self, checked: int = 0) -> None:
        self.checked = checked
        self.unhealthy = 0
        self.found = 0
        self.families: dict[str, int] = {}

    def add(self, found: int, dragged: set[str] | None) -> None:
        """A goal with ``found`` findings, made unhealthy by the ``dragged`` families."""
        self.found += found
        if dragged:
            self.unhealthy += 1
            for family in dragged:
                self.families[family] = self.families.get(family, 0) + 1

    def entry(self, kind: type[E], **about: Any) -> E:
        value: int | None
        if not self.unhealthy and self.checked:  # most owners: every goal healthy
            value, named, drags = 100, _ALL_HEALTHY, []
        else:
            value = score(self.checked - self.unhealthy, self.checked)
            named, drags = band(value), _drags(self.families)
        return kind(
            score=value, band=named, checked=self.checked, findings=self.found, drags=drags, **about
        )
