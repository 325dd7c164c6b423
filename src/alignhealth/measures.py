"""The measures rules share (rules.md, Terms): progress and expected pace (a goal's last
review is the graph's: :meth:`OrgGraph.last_review_on`)."""

from __future__ import annotations

import datetime as dt

from alignhealth.model import Goal


def goal_progress(goal: Goal) -> float | None:
    """(actual - baseline) / (target - baseline), baseline 0 when blank; it also serves
    lower-is-better measures. None without a target and an actual, or when the target
    equals the baseline."""
    if goal.target is None or goal.actual is None:
        return None
    baseline = goal.baseline or 0.0
    if goal.target == baseline:
        return None
    return (goal.actual - baseline) / (goal.target - baseline)


def expected_progress(start: dt.date | None, due: dt.date | None, as_of: dt.date) -> float | None:
    """How far along the calendar says a goal should be: (as-of - start) / (due - start),
    clamped to 0..1; None without both dates or when due is not after start."""
    if start is None or due is None or due <= start:
        return None
    share = (as_of - start).days / (due - start).days
    return min(1.0, max(0.0, share))
