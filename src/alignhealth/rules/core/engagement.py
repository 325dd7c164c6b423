"""AH5: engagement and cadence. Leaders review their goals regularly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import Field

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.model import Status
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, entity_of


class StaleReviewOptions(RuleOptions):
    max_days: int = Field(30, ge=1, description="days since the last review before it is stale")


class StaleReview(Rule):
    """What it checks:
    An active goal whose last review (the later of its last-reviewed cell and its latest
    Reviews row, ignoring dates after the as-of date) is more than ``max-days`` (default
    30) days before the as-of date. Exactly ``max-days`` days is not stale. A goal never
    reviewed is AH502. Skipped without review data (no Reviews sheet and no last-reviewed
    column).

    Why it matters:
    A goal nobody looks at drifts: problems surface only when it is too late to act.

    How to fix:
    Review the goal with its owner and record the date.

    Example:
    G-14 was last reviewed on 2026-09-01; as of 2026-11-15 that is 75 days: AH501 at
    G-14's last-reviewed cell.
    """

    code = "AH501"
    name = "stale-review"
    summary = "A goal was last reviewed more than max-days ago"
    default_severity = Severity.MEDIUM
    groups = ("engagement",)
    Options = StaleReviewOptions
    requires = ("review-data",)

    def check(self, ctx: RuleContext[StaleReviewOptions]) -> Iterator[Finding]:
        as_of = ctx.settings.as_of
        try:
            stale_before = as_of - dt.timedelta(days=ctx.options.max_days)
        except OverflowError:  # before the first day a date can name: nothing is older
            return
        for goal in ctx.active_goals():
            own = goal.last_reviewed
            if own is not None and stale_before <= own <= as_of:
                # Its own cell says it was reviewed lately (a Reviews row can only be
                # later): most goals, and no look-up of the goal (at a million goals a
                # table of every goal's last review cost more than the rule).
                continue
            last = ctx.last_review(goal)
            if last is not None and last < stale_before:
                days = (as_of - last).days
                yield ctx.at(
                    goal,
                    "last_reviewed",
                    f"Goal {goal.id} {goal.title!r} was last reviewed {days} days ago "
                    f"({last.isoformat()}); at most {ctx.options.max_days}",
                    evidence={"last_review": last.isoformat(), "max_days": ctx.options.max_days},
                    hint=f"Review {goal.id} with its owner and record the date",
                )


class NeverReviewedOptions(RuleOptions):
    grace_days: int = Field(
        14, ge=0, description="days after its start a new goal may go without a review"
    )


class NeverReviewed(Rule):
    """What it checks:
    An active goal with no review at all (no last-reviewed date, no Reviews row on or
    before the as-of date), whose start is more than ``grace-days`` (default 14) days before
    the as-of date, or blank. Skipped without review data.

    Why it matters:
    A goal that was set and never looked at again was never really adopted.

    How to fix:
    Hold the first review and record it.

    Example:
    G-20 started on 2026-06-01 and has no review: AH502 at G-20's last-reviewed cell.
    """

    code = "AH502"
    name = "never-reviewed"
    summary = "A goal has never been reviewed"
    default_severity = Severity.MEDIUM
    groups = ("engagement",)
    Options = NeverReviewedOptions
    requires = ("review-data",)

    def check(self, ctx: RuleContext[NeverReviewedOptions]) -> Iterator[Finding]:
        as_of = ctx.settings.as_of
        for goal in ctx.active_goals():
            own = goal.last_reviewed
            if (own is not None and own <= as_of) or ctx.last_review(goal) is not None:
                continue  # reviewed, by its own cell (most goals: no look-up) or a row
            if goal.start is not None and (as_of - goal.start).days <= ctx.options.grace_days:
                continue
            yield ctx.at(
                goal,
                "last_reviewed",
                f"Goal {goal.id} {goal.title!r} has never been reviewed",
                evidence={"start": goal.start.isoformat() if goal.start else None},
                hint=f"Hold the first review of {goal.id} and record it",
            )


class LeaderNotReviewingOptions(RuleOptions):
    max_days: int = Field(45, ge=1, description="days within which one of the goals was reviewed")


class LeaderNotReviewing(Rule):
    """What it checks:
    A leader who owns active goals none of which was reviewed (by anyone) within
    ``max-days`` (default 45) days of the as-of date. Skipped without a People sheet or
    without review data.

    Why it matters:
    Leaders who do not review their own goals signal that the goals do not matter, and
    their teams stop reviewing too.

    How to fix:
    Put a regular review of the leader's goals in their calendar.

    Example:
    P-04 owns G-05 and G-06, last reviewed 60 and 90 days ago: AH503 at P-04's id cell.
    """

    code = "AH503"
    name = "leader-not-reviewing"
    summary = "A leader's goals have none reviewed within max-days"
    default_severity = Severity.HIGH
    groups = ("engagement",)
    Options = LeaderNotReviewingOptions
    requires = ("review-data", "people")
    subject = "people"

    def check(self, ctx: RuleContext[LeaderNotReviewingOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        owned = ctx.owned_goals()
        leading = ctx.leaders()
        leaders = [p for p in owned if p in leading]
        ctx.checked = len(leaders)
        for person_id in sorted(leaders):
            goals = owned[person_id]
            reviews = [d for g in goals if (d := ctx.last_review(g)) is not None]
            latest = max(reviews) if reviews else None
            if latest is not None and (ctx.settings.as_of - latest).days <= ctx.options.max_days:
                continue
            person = graph.people[person_id]
            when = f"last on {latest.isoformat()}" if latest else "never"
            yield ctx.at(
                person,
                "id",
                f"{person.label} ({person.id}) owns {len(goals)} active goal(s), none reviewed "
                f"in {ctx.options.max_days} days ({when})",
                related=[entity_of(g) for g in goals],
                evidence={
                    "goals": len(goals),
                    "last_review": latest.isoformat() if latest else None,
                },
                hint="Put a regular review of these goals in the leader's calendar",
            )


class NotStartedOptions(RuleOptions):
    grace_days: int = Field(7, ge=0, description="days after its start a goal may be not started")


class NotStarted(Rule):
    """What it checks:
    A goal whose status is not started more than ``grace-days`` (default 7) days after its
    start date.

    Why it matters:
    A goal past its start that nobody has begun is either blocked or abandoned; either way
    its owner should say so.

    How to fix:
    Start it, mark it on hold with a reason, or move its start date.

    Example:
    G-33 started on 2026-09-01 and is still Not Started on 2026-11-15: AH504 at G-33's
    status cell.
    """

    code = "AH504"
    name = "not-started"
    summary = "A goal is still not started past its start date"
    default_severity = Severity.LOW
    groups = ("engagement",)
    Options = NotStartedOptions

    def check(self, ctx: RuleContext[NotStartedOptions]) -> Iterator[Finding]:
        as_of = ctx.settings.as_of
        for goal in ctx.graph.goals.values():
            if goal.status is not Status.NOT_STARTED or goal.start is None:
                continue
            late = (as_of - goal.start).days
            if late > ctx.options.grace_days:
                yield ctx.at(
                    goal,
                    "status",
                    f"Goal {goal.id} {goal.title!r} is not started, {late} days after its start "
                    f"({goal.start.isoformat()})",
                    evidence={"start": goal.start.isoformat(), "days": late},
                    hint="Start it, put it on hold with a reason, or move its start date",
                )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [StaleReview, NeverReviewed, LeaderNotReviewing, NotStarted]
