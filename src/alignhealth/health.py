"""The health score (rules.md): the share of goals no finding of medium or above names."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

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
    return next(name for floor, name in BANDS if score >= floor)


def score(healthy: int, checked: int) -> int | None:
    """round(100 x healthy / checked); None when nothing was checked."""
    return round(100 * healthy / checked) if checked else None


def _drags(counts: dict[str, int]) -> list[FamilyDrag]:
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

    def entry(goal_ids: list[str], kind: type[E], **about: Any) -> E:
        # One pass over the goals: an entry is made for every owner and level.
        unhealthy = found = 0
        families: dict[str, int] = {}
        for goal_id in goal_ids:
            found += findings_on.get(goal_id, 0)
            dragged = unhealthy_by.get(goal_id)
            if dragged:
                unhealthy += 1
                for family in dragged:
                    families[family] = families.get(family, 0) + 1
        value = score(len(goal_ids) - unhealthy, len(goal_ids))
        return kind(
            score=value,
            band=band(value),
            checked=len(goal_ids),
            findings=found,
            drags=_drags(families),
            **about,
        )

    overall = entry(list(graph.goals), ScoreEntry)
    summary.health_score = overall.score
    summary.band = overall.band
    summary.checked = overall.checked
    summary.drags = overall.drags

    owned: dict[str, list[str]] = defaultdict(list)
    for goal in graph.goals.values():
        for ref in dict.fromkeys(goal.owners):
            match = graph.resolve(ref) if graph.has_people else None
            owner_id = match.person_id if match and match.person_id else ref
            owned[owner_id].append(goal.id)
    summary.by_owner = sorted(
        (
            entry(
                goal_ids,
                OwnerScore,
                id=owner_id,
                name=graph.people[owner_id].name if owner_id in graph.people else None,
            )
            for owner_id, goal_ids in owned.items()
        ),
        key=lambda e: (e.score if e.score is not None else 101, e.id),
    )

    by_rank: dict[int, list[str]] = defaultdict(list)
    names: dict[int, str] = {}
    for goal in graph.goals.values():
        rank = graph.levels.rank(goal.level)
        if rank is not None and goal.level:
            by_rank[rank].append(goal.id)
            names.setdefault(rank, goal.level)
    summary.by_level = [
        entry(by_rank[rank], LevelScore, level=names[rank], rank=rank) for rank in sorted(by_rank)
    ]
    return summary
