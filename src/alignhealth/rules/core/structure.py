"""AH1: the structure of the goal tree."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, entity_of, goal_ref


class OrphanedGoal(Rule):
    """What it checks:
    An active goal whose parent cell is blank but which is not a top goal. The top goals
    are the roots at the top level (the smallest level rank any goal uses); where no root
    has a level, the root with the most goals beneath it. A goal whose parents are all
    unknown ids is AH103, not this rule. The goals beneath an orphan are listed in
    ``related``, not flagged again.

    Why it matters:
    A goal that ladders up to nothing is work no one above has asked for: it competes for
    people and money with the goals that carry the strategy.

    How to fix:
    Name the goal it supports in its parent cell, or retire it.

    Example:
    G-17 "Cut onboarding time" (Team level) has no parent while G-01 is the company goal:
    AH101 at G-17's parent cell.
    """

    code = "AH101"
    name = "orphaned-goal"
    summary = "A goal with no parent that is not a top goal"
    default_severity = Severity.HIGH
    groups = ("structure",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        top = set(graph.top_goals)
        for goal in graph.roots():
            if goal.id in top or not goal.active:
                continue
            below = graph.descendants(goal.id)
            yield ctx.at(
                goal,
                "parent",
                f"Goal {goal.id} {goal.title!r} has no parent and is not a top goal",
                related=[goal_ref(g) for g in below],
                evidence={"parent": None, "level": goal.level, "top_goals": sorted(top)},
                hint=f"Link {goal.id} to the goal it supports, or retire it",
            )


class GoalCycle(Rule):
    """What it checks:
    Parent links that form a cycle: a goal that is its own parent, or goals that are
    each other's ancestors. One finding per strongly connected group, on the goal with the
    smallest id, the others in ``related``. Done and cancelled goals count too: a cycle is
    a fault in the data, whatever the goals' status.

    Why it matters:
    A cycle has no top: none of its goals ladders up to the company goal, and any tool
    that walks the tree loops.

    How to fix:
    Break the cycle by pointing one goal's parent cell at the goal it really supports.

    Example:
    G-20's parent is G-21 and G-21's parent is G-20: AH102 at G-20's parent cell.
    """

    code = "AH102"
    name = "goal-cycle"
    summary = "Parent links form a cycle"
    default_severity = Severity.CRITICAL
    groups = ("structure",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for group in graph.cycles():
            goal = graph.goals[group[0]]
            others = group[1:]
            what = "is its own parent" if not others else f"forms a cycle with {', '.join(others)}"
            yield ctx.at(
                goal,
                "parent",
                f"Goal {goal.id} {goal.title!r} {what}",
                related=[goal_ref(g) for g in others],
                evidence={"cycle": group},
                hint="Point one goal's parent at the goal it really supports",
                discriminator=",".join(group),
            )


class UnknownParent(Rule):
    """What it checks:
    A parent id that matches no goal: one finding per unknown id, at the goal's parent
    cell, with the goals cut off beneath it in ``related``. Checked on every goal, done or
    not: a broken reference is a fault in the data.

    Why it matters:
    The goal and everything beneath it is cut off from the tree: it looks aligned to the
    people who wrote it, and ladders up to nothing.

    How to fix:
    Correct the id (a typo, or a goal renumbered), or add the missing goal.

    Example:
    G-31's parent cell says G-3O (a letter O): no such goal, AH103 at G-31's parent cell.
    """

    code = "AH103"
    name = "unknown-parent"
    summary = "A parent id matches no goal"
    default_severity = Severity.HIGH
    groups = ("structure",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for goal in graph.goals.values():
            unknown = graph.unknown_parents(goal.id)
            if not unknown:
                continue
            below = [goal_ref(g) for g in graph.descendants(goal.id)]
            for parent_id in unknown:
                yield ctx.at(
                    goal,
                    "parent",
                    f"Goal {goal.id} {goal.title!r} names parent {parent_id!r}, which is no goal",
                    related=below,
                    evidence={"parent": parent_id},
                    hint=f"Correct {parent_id!r} in {goal.id}'s parent cell, or add that goal",
                    discriminator=parent_id,
                )


class MultipleTopGoalsOptions(RuleOptions):
    max_roots: int = Field(1, ge=1, description="how many top goals are allowed")


class MultipleTopGoals(Rule):
    """What it checks:
    More top goals (roots at the top level) than ``max-roots`` (default 1). One finding, on
    the top goal with the smallest id, the others in ``related``.

    Why it matters:
    A goal tree has one goal at the top; several mean the organisation has not decided
    what it is for, and each leader can pick the top goal that suits them.

    How to fix:
    Agree the one goal, and make the others its critical success factors (give them it as
    their parent), or move them down a level.

    Example:
    G-01 "Double revenue" and G-02 "Best place to work" both sit at Company level with no
    parent: AH104 at G-01's id cell, G-02 related.
    """

    code = "AH104"
    name = "multiple-top-goals"
    summary = "More top goals than max-roots"
    default_severity = Severity.MEDIUM
    groups = ("structure",)
    Options = MultipleTopGoalsOptions

    def check(self, ctx: RuleContext[MultipleTopGoalsOptions]) -> Iterator[Finding]:
        top = ctx.graph.top_goals
        if len(top) <= ctx.options.max_roots:
            return
        goal = ctx.graph.goals[top[0]]
        yield ctx.at(
            goal,
            "id",
            f"{len(top)} top goals ({', '.join(top)}); at most {ctx.options.max_roots} allowed",
            related=[entity_of(ctx.graph.goals[g]) for g in top[1:]],
            evidence={"top_goals": top, "max_roots": ctx.options.max_roots},
            hint="Agree one top goal and place the others beneath it",
        )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [OrphanedGoal, GoalCycle, UnknownParent, MultipleTopGoals]
