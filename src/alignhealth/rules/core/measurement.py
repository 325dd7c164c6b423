"""AH6: measurement and progress."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, field_validator

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.loaders.values import ValueProblem, parse_kind
from alignhealth.model import Goal, Status
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, entity_of


class _KindFilter(RuleOptions):
    kinds: list[str] | None = Field(
        None, description="only goals of these kinds (default: every goal)"
    )

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        try:
            return [parse_kind(k).value for k in value]
        except ValueProblem as exc:
            raise ValueError(str(exc)) from None

    def wants(self, goal: Goal) -> bool:
        return self.kinds is None or (goal.kind is not None and goal.kind.value in self.kinds)


class MissingKpiOptions(_KindFilter):
    from_rank: int | None = Field(
        None, ge=0, description="only goals at this rank or below (default: every rank)"
    )


class MissingKpi(Rule):
    """What it checks:
    An active goal with no KPI, at or below ``from-rank`` (default: every rank; goals
    without a known level are checked only when no ``from-rank`` is set) and, where
    ``kinds`` is set, of one of those kinds.

    Why it matters:
    A goal with no measure cannot show progress; reviews become opinions.

    How to fix:
    Agree how the goal's progress will be measured and write it in the KPI column.

    Example:
    G-41 "Improve partner experience" has no KPI: AH601 at G-41's KPI cell.
    """

    code = "AH601"
    name = "missing-kpi"
    summary = "A goal has no KPI"
    default_severity = Severity.LOW
    groups = ("measurement",)
    Options = MissingKpiOptions

    def check(self, ctx: RuleContext[MissingKpiOptions]) -> Iterator[Finding]:
        options = ctx.options
        for goal in ctx.active_goals():
            if goal.kpi or not options.wants(goal):
                continue
            if options.from_rank is not None:
                rank = ctx.graph.levels.rank(goal.level)
                if rank is None or rank < options.from_rank:
                    continue
            yield ctx.at(
                goal,
                "kpi",
                f"Goal {goal.id} {goal.title!r} has no KPI",
                hint=f"Agree how {goal.id}'s progress will be measured",
            )


class MissingTarget(Rule):
    """What it checks:
    An active goal with a KPI but no numeric target (where ``kinds`` is set, only goals of
    those kinds). A target cell that is not a number is also AH002.

    Why it matters:
    A measure without a target says which way to go but not how far: nobody can say
    whether the goal has been met.

    How to fix:
    Set the number that means the goal is met.

    Example:
    G-18 has KPI "Net promoter score" and no target: AH602 at G-18's target cell.
    """

    code = "AH602"
    name = "missing-target"
    summary = "A goal has a KPI but no numeric target"
    default_severity = Severity.LOW
    groups = ("measurement",)
    Options = _KindFilter

    def check(self, ctx: RuleContext[_KindFilter]) -> Iterator[Finding]:
        for goal in ctx.active_goals():
            if goal.kpi and goal.target is None and ctx.options.wants(goal):
                yield ctx.at(
                    goal,
                    "target",
                    f"Goal {goal.id} {goal.title!r} measures {goal.kpi!r} but has no target",
                    evidence={"kpi": goal.kpi},
                    hint="Set the number that means the goal is met",
                )


class PaceOptions(RuleOptions):
    tolerance: float = Field(
        0.25, ge=0, le=1, description="how far progress may trail the calendar (0.25 = 25 points)"
    )


def _pace(ctx: RuleContext[PaceOptions], goal: Goal) -> tuple[float, float] | None:
    """(expected, progress) where both are defined."""
    progress = ctx.progress(goal)
    if progress is None:  # no progress to pace: the calendar is not asked
        return None
    expected = ctx.expected(goal.start, goal.due)
    return None if expected is None else (expected, progress)


class BehindPace(Rule):
    """What it checks:
    An active goal whose progress trails the calendar by more than ``tolerance`` (default
    0.25): expected - progress > tolerance, where expected = (as-of - start) / (due - start)
    clamped to 0..1 and progress = (actual - baseline) / (target - baseline). Goals without
    start, due, target and actual are not checked.

    Why it matters:
    A goal three quarters through its time and a quarter of the way to its target will not
    be met unless something changes now.

    How to fix:
    Agree a recovery plan, or reset the target or the date with the leader above.

    Example:
    G-25 is 80% through its time and 30% of the way to target: AH603 at G-25's actual cell.
    """

    code = "AH603"
    name = "behind-pace"
    summary = "A goal's progress trails the calendar by more than tolerance"
    default_severity = Severity.MEDIUM
    groups = ("measurement",)
    Options = PaceOptions

    def check(self, ctx: RuleContext[PaceOptions]) -> Iterator[Finding]:
        for goal in ctx.active_goals():
            pace = _pace(ctx, goal)
            if pace is None:
                continue
            expected, progress = pace
            if expected - progress > ctx.options.tolerance:
                yield ctx.at(
                    goal,
                    "actual",
                    f"Goal {goal.id} {goal.title!r} is {progress:.0%} of the way to target but "
                    f"{expected:.0%} through its time",
                    evidence={
                        "expected": round(expected, 4),
                        "progress": round(progress, 4),
                        "tolerance": ctx.options.tolerance,
                    },
                    hint="Agree a recovery plan, or reset the target or the date",
                )


class StatusContradiction(Rule):
    """What it checks:
    A status the numbers contradict: on track while expected - progress > ``tolerance``, or
    while a child goal is off track; or done while progress is below 1 (100%). Goals whose
    progress is undefined are checked only for the off-track child.

    Why it matters:
    A green status on a red goal is how bad news fails to travel up; reviews that trust the
    colour act too late.

    How to fix:
    Correct the status, or the numbers if they are out of date.

    Example:
    G-30 is On Track at 20% progress, 70% through its time: AH604 at G-30's status cell.
    """

    code = "AH604"
    name = "status-contradiction"
    summary = "A goal's status contradicts its numbers or its children"
    default_severity = Severity.MEDIUM
    groups = ("measurement",)
    Options = PaceOptions

    def check(self, ctx: RuleContext[PaceOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        # The off-track children of each goal that has any, in row order (a goal asking
        # for its children would be a look-up of every goal).
        red_children: dict[str, list[str]] = {}
        for goal in graph.goals.values():
            if goal.status is Status.OFF_TRACK:
                for parent in graph.goal_parents(goal):
                    red_children.setdefault(parent, []).append(goal.id)
        for goal in graph.goals.values():
            if goal.status is Status.ON_TRACK:
                pace = _pace(ctx, goal)
                if pace is not None and pace[0] - pace[1] > ctx.options.tolerance:
                    yield ctx.at(
                        goal,
                        "status",
                        f"Goal {goal.id} {goal.title!r} is on track at {pace[1]:.0%} progress, "
                        f"{pace[0]:.0%} through its time",
                        evidence={"expected": round(pace[0], 4), "progress": round(pace[1], 4)},
                        hint="Correct the status, or the numbers if they are out of date",
                        discriminator="pace",
                    )
                red = red_children.get(goal.id) if red_children else None
                if red:
                    yield ctx.at(
                        goal,
                        "status",
                        f"Goal {goal.id} {goal.title!r} is on track while {', '.join(red)} "
                        f"{'is' if len(red) == 1 else 'are'} off track",
                        related=[entity_of(graph.goals[c]) for c in red],
                        evidence={"off_track_children": red},
                        hint="Correct the status, or explain why the child does not matter",
                        discriminator="child",
                    )
            elif goal.status is Status.DONE:
                progress = ctx.progress(goal)
                if progress is not None and progress < 1:
                    yield ctx.at(
                        goal,
                        "status",
                        f"Goal {goal.id} {goal.title!r} is done at {progress:.0%} progress",
                        evidence={"progress": round(progress, 4)},
                        hint="Correct the status, or record the final actual",
                        discriminator="done",
                    )


class OverdueGoal(Rule):
    """What it checks:
    An active goal (not done or cancelled) whose due date is before the as-of date.

    Why it matters:
    An overdue goal still marked open is either late or finished without anyone saying so;
    either way the tree misreports.

    How to fix:
    Close it (done or cancelled), or agree a new due date.

    Example:
    G-19 was due 2026-09-30 and is still on track on 2026-11-15: AH605 at G-19's due cell.
    """

    code = "AH605"
    name = "overdue-goal"
    summary = "An active goal is past its due date"
    default_severity = Severity.MEDIUM
    groups = ("measurement",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        as_of = ctx.settings.as_of
        for goal in ctx.active_goals():
            if goal.due is not None and goal.due < as_of:
                yield ctx.at(
                    goal,
                    "due",
                    f"Goal {goal.id} {goal.title!r} was due {goal.due.isoformat()}, "
                    f"{(as_of - goal.due).days} days ago",
                    evidence={"due": goal.due.isoformat()},
                    hint="Close it, or agree a new due date",
                )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [MissingKpi, MissingTarget, BehindPace, StatusContradiction, OverdueGoal]
