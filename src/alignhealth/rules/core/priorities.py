"""AH4: priorities. Leaders choose a few real priorities, measured, worked on, and aligned."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.model import Goal, Status
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, entity_of, goal_ref


class TooManyPrioritiesOptions(RuleOptions):
    max_priorities: int = Field(5, ge=1, description="the most active priorities per person")


class TooManyPriorities(Rule):
    """What it checks:
    A person who owns more than ``max-priorities`` (default 5) active priority goals (ranks
    1 to ``priority-rank``, High, or Yes), counting every goal that names them as an owner,
    once.

    Why it matters:
    When everything is a priority nothing is: a leader with eight priorities has not chosen.

    How to fix:
    Choose the few that matter most and lower the others' priority.

    Example:
    P-03 owns 8 priority goals: AH401 at P-03's id cell.
    """

    code = "AH401"
    name = "too-many-priorities"
    summary = "A person owns more than max-priorities active priority goals"
    default_severity = Severity.MEDIUM
    groups = ("priorities",)
    Options = TooManyPrioritiesOptions
    subject = "people"

    def check(self, ctx: RuleContext[TooManyPrioritiesOptions]) -> Iterator[Finding]:
        owned = ctx.owned_goals()
        ctx.checked = len(owned)
        for owner, goals in sorted(owned.items()):
            priorities = [g for g in goals if ctx.is_priority(g)]
            if len(priorities) > ctx.options.max_priorities:
                yield ctx.owner_finding(
                    owner,
                    priorities,
                    f"{ctx.owner_label(owner)} owns {len(priorities)} active priority goals; "
                    f"at most {ctx.options.max_priorities}",
                    related=[entity_of(g) for g in priorities],
                    evidence={
                        "priorities": len(priorities),
                        "max_priorities": ctx.options.max_priorities,
                    },
                    hint="Choose the few that matter most; lower the others' priority",
                )


class TiedPriorities(Rule):
    """What it checks:
    Active goals of one owner (their primary owner, resolved to a person where possible)
    that share a numeric priority rank. High/Medium/Low and Yes/No are not ranks. One
    finding per owner and rank, on the goal on the latest row, the others in ``related``.

    Why it matters:
    A rank exists to say which goal wins when two compete for the same people; two number-1
    priorities leave that choice to whoever shouts loudest.

    How to fix:
    Give each of the owner's goals its own rank.

    Example:
    G-12 and G-15 are both priority 1 for P-06: AH402 at G-15's priority cell.
    """

    code = "AH402"
    name = "tied-priorities"
    summary = "Goals of one owner share a priority rank"
    default_severity = Severity.LOW
    groups = ("priorities",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        groups: dict[tuple[str, int], list[Goal]] = {}
        for goal in ctx.active_goals():
            if not goal.owners or goal.priority is None or goal.priority.rank is None:
                continue
            owner = ctx.graph.resolve(goal.owners[0]).person_id or goal.owners[0]
            groups.setdefault((owner, goal.priority.rank), []).append(goal)
        for (owner, rank), goals in sorted(groups.items()):
            if len(goals) < 2:
                continue
            latest = max(goals, key=lambda g: g.origin.row)
            others = [g for g in goals if g is not latest]
            yield ctx.at(
                latest,
                "priority",
                f"{len(goals)} goals of {ctx.owner_label(owner)} share priority {rank}: "
                f"{', '.join(g.id for g in goals)}",
                related=[entity_of(g) for g in others],
                evidence={"owner": owner, "rank": rank, "goals": [g.id for g in goals]},
                hint="Give each of the owner's goals its own rank",
                discriminator=f"{owner}:{rank}",
            )


class UnmeasuredPriority(Rule):
    """What it checks:
    An active priority goal with no KPI, or with a KPI but no target.

    Why it matters:
    A priority that cannot be measured cannot be reviewed: nobody can say whether it is on
    track, so nobody steers it.

    How to fix:
    Agree the measure and the number that means success.

    Example:
    G-05, priority 1, has KPI "Revenue" but no target: AH403 at G-05's target cell.
    """

    code = "AH403"
    name = "unmeasured-priority"
    summary = "A priority goal has no KPI or no target"
    default_severity = Severity.MEDIUM
    groups = ("priorities",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for goal in ctx.priority_goals():
            if goal.kpi and goal.target is not None:
                continue
            missing = "kpi" if not goal.kpi else "target"
            yield ctx.at(
                goal,
                missing,
                f"Priority goal {goal.id} {goal.title!r} has no {_FIELD_NAMES[missing]}",
                evidence={"kpi": goal.kpi, "target": goal.target},
                hint="Agree the measure and the number that means success",
                discriminator=missing,
            )


class PriorityWithoutWork(Rule):
    """What it checks:
    An active priority goal with no active project and no active child goal.

    Why it matters:
    A priority nobody is working on is a slogan; it also hides that the real work is going
    elsewhere.

    How to fix:
    Start the project that delivers it, or break it into goals its team owns; or admit it
    is not a priority.

    Example:
    G-08, priority High, has no children and no projects: AH404 at G-08's id cell.
    """

    code = "AH404"
    name = "priority-without-work"
    summary = "A priority goal has no active project and no active child"
    default_severity = Severity.MEDIUM
    groups = ("priorities",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for goal in ctx.priority_goals():
            if graph.has_active_work(goal.id):
                continue
            yield ctx.at(
                goal,
                "id",
                f"Priority goal {goal.id} {goal.title!r} has no active project or child goal",
                hint="Start the work that delivers it, or lower its priority",
            )


class PriorityInversion(Rule):
    """What it checks:
    An active priority goal that ladders up to a top goal only through a goal of Low
    priority or a cancelled goal (the top goal included): every path up is blocked. Goals
    that do not ladder up at all are left to AH101-AH103; top goals are not checked.

    Why it matters:
    A priority beneath a goal nobody rates, or one that was cancelled, is effort spent on
    something the organisation has already decided does not matter.

    How to fix:
    Re-parent the goal under a live goal that matters, or lower its priority.

    Example:
    G-40 (priority 1) supports only G-12, which is cancelled: AH405 at G-40's parent cell.
    """

    code = "AH405"
    name = "priority-inversion"
    summary = "A priority goal ladders up only through low-priority or cancelled goals"
    default_severity = Severity.LOW
    groups = ("priorities",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        top = set(graph.top_goals)

        def blocked(goal_id: str) -> bool:
            goal = graph.goals[goal_id]
            low = goal.priority is not None and goal.priority.label == "low"
            return low or goal.status is Status.CANCELLED

        # reaches[g] = (ladders up at all, ladders up through unblocked goals only);
        # computed once per goal, parents first; a cycle contributes nothing.
        reaches: dict[str, tuple[bool, bool]] = {}
        in_progress: set[str] = set()

        def walk(start: str) -> tuple[bool, bool]:
            stack: list[tuple[str, bool]] = [(start, False)]
            while stack:
                node, ready = stack.pop()
                if ready:
                    in_progress.discard(node)
                    ups = [reaches.get(p, (False, False)) for p in graph.parents(node)]
                    any_path = node in top or any(u[0] for u in ups)
                    clean = not blocked(node) and (node in top or any(u[1] for u in ups))
                    reaches[node] = (any_path, clean)
                    continue
                if node in reaches or node in in_progress:
                    continue
                in_progress.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in graph.parents(node) if p not in reaches)
            return reaches[start]

        for goal in ctx.priority_goals():
            if goal.id in top:
                continue
            parents = graph.parents(goal.id)
            ups = [walk(p) for p in parents]
            if not any(u[0] for u in ups) or any(u[1] for u in ups):
                continue
            yield ctx.at(
                goal,
                "parent",
                f"Priority goal {goal.id} {goal.title!r} ladders up only through low-priority "
                "or cancelled goals",
                related=[goal_ref(p) for p in parents],
                evidence={"parents": list(parents)},
                hint="Re-parent it under a live goal that matters, or lower its priority",
            )


_FIELD_NAMES = {"kpi": "KPI", "target": "target"}


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [
        TooManyPriorities,
        TiedPriorities,
        UnmeasuredPriority,
        PriorityWithoutWork,
        PriorityInversion,
    ]
