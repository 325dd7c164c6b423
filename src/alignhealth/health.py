"""The health score (rules.md): the share of goals no finding of medium or above names."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
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


def score(healthy: int, checked: int) -> int | None:
    """round(100 x healthy / checked); None when nothing was checked."""
    return round(100 * healthy / checked) if checked else None


def _drags(counts: dict[str, int]) -> list[FamilyDrag]:
    if not counts:  # most owners: nothing drags their score down
        return []
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FamilyDrag(group=group, goals=n) for group, n in ranked[:3]]


def summarize(
    graph: OrgGraph | None,
    findings: Sequence[Finding],
    groups_of: dict[str, tuple[str, ...]],
    incomplete: bool,
) -> Summary:
    """Counts by severity, and the health score overall, per owner and per level."""
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

    # goal id -> the rule families that make it unhealthy; and all findings per goal.
    unhealthy_by: dict[str, set[str]] = defaultdict(set)
    findings_on: dict[str, int] = {}
    for finding in active:
        if finding.entity.kind != "goal" or finding.entity.id not in graph.goals:
            continue
        findings_on[finding.entity.id] = findings_on.get(finding.entity.id, 0) + 1
        if finding.severity.weight >= UNHEALTHY_FROM.weight:
            family = groups_of.get(finding.code) or (finding.code,)
            unhealthy_by[finding.entity.id].add(family[0])

    with gc_paused():  # thousands of small score objects, none in a cycle
        # Every goal is counted once for its owners and its level; only the few goals
        # with findings are looked at again. Goals share their owner and level cells
        # (the reader makes equal cells one object): the goals are counted per distinct
        # cell in C, and each cell is resolved to its owners once (by the graph).
        overall = _Tally()
        overall.checked = len(graph.goals)
        by_owner: dict[str, _Tally] = {}
        by_rank: dict[int, _Tally] = {}
        names: dict[int, str] = {}
        goals = graph.goals.values()
        owner_keys = graph.owner_keys
        for cell, count in Counter(map(attrgetter("owners"), goals)).items():
            for owner_id in owner_keys(cell):
                tally = by_owner.get(owner_id)
                if tally is None:
                    tally = by_owner[owner_id] = _Tally()
                tally.checked += count
        for level, count in Counter(map(attrgetter("level"), goals)).items():
            rank = graph.levels.rank(level)
            if rank is not None and level:
                at_level = by_rank.get(rank)
                if at_level is None:
                    at_level = by_rank[rank] = _Tally()
                    names[rank] = level
                at_level.checked += count
        for goal_id, found in findings_on.items():
            goal = graph.goals[goal_id]
            rank = graph.levels.rank(goal.level) if goal.level else None
            tallies = [by_owner[owner_id] for owner_id in owner_keys(goal.owners)]
            tallies.append(overall)
            if rank is not None:
                tallies.append(by_rank[rank])
            for tally in tallies:
                tally.add(found, unhealthy_by.get(goal_id))

        whole = overall.entry(ScoreEntry)
        summary.health_score = whole.score
        summary.band = whole.band
        summary.checked = whole.checked
        summary.drags = whole.drags
        people = graph.people
        owners = [
            tally.entry(
                OwnerScore,
                id=owner_id,
                name=person.name if (person := people.get(owner_id)) is not None else None,
            )
            for owner_id, tally in by_owner.items()
        ]
        # Lowest score first, then by id; an owner with nothing checked last. Two sorts
        # on one attribute each (the second stable) cost less than one on a made key.
        owners.sort(key=attrgetter("id"))
        scored = [entry for entry in owners if entry.score is not None]
        scored.sort(key=attrgetter("score"))
        summary.by_owner = scored + [entry for entry in owners if entry.score is None]
        summary.by_level = [
            by_rank[rank].entry(LevelScore, level=names[rank], rank=rank)
            for rank in sorted(by_rank)
        ]
    return summary


_ALL_HEALTHY = band(100)


class _Tally:
    """The goals of one owner, one level, or the whole tree, as a score is made of them."""

    __slots__ = ("checked", "families", "found", "unhealthy")

    def __init__(self) -> None:
        self.checked = 0
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
