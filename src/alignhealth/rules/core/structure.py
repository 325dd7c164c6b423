"""AH1: the structure of the goal tree."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, field_validator

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.loaders.values import ValueProblem, parse_kind
from alignhealth.model import Kind
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
        for goal_id, unknown in graph.goals_with_unknown_parents.items():
            goal = graph.goals[goal_id]
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


class MultipleParentsOptions(RuleOptions):
    max_parents: int = Field(1, ge=1, description="how many parents a goal may have")


class MultipleParents(Rule):
    """What it checks:
    An active goal with more than ``max-parents`` (default 1) parents that exist. Not in
    the ``default`` preset (many goal trees let a necessary condition serve two CSFs); the
    ``okr`` preset selects it.

    Why it matters:
    Where each objective must have a single parent, a goal with two answers to two
    leaders, and its progress is counted twice.

    How to fix:
    Keep the parent the goal serves most; record the other link as a dependency instead.

    Example:
    KR-14 names both O-2 and O-5 as its parent: AH105 at KR-14's parent cell.
    """

    code = "AH105"
    name = "multiple-parents"
    summary = "A goal has more parents than max-parents"
    default_severity = Severity.LOW
    groups = ("structure",)
    Options = MultipleParentsOptions

    def check(self, ctx: RuleContext[MultipleParentsOptions]) -> Iterator[Finding]:
        for goal in ctx.active_goals():
            parents = ctx.graph.goal_parents(goal)
            if len(parents) > ctx.options.max_parents:
                yield ctx.at(
                    goal,
                    "parent",
                    f"Goal {goal.id} {goal.title!r} has {len(parents)} parents "
                    f"({', '.join(parents)}); at most {ctx.options.max_parents} allowed",
                    related=[goal_ref(p) for p in parents],
                    evidence={"parents": list(parents), "max_parents": ctx.options.max_parents},
                    hint="Keep the parent the goal serves most",
                )


class UnsupportedGoal(Rule):
    """What it checks:
    An active goal that should be broken down or worked on, but is not: it sits above the
    lowest level in use (or is of kind goal, CSF or objective), and has no active child goal
    and no active project. Goals with neither a known level nor a kind are not checked.

    Why it matters:
    A goal with nothing beneath it is a wish: no one has said what must be true, or what
    must be done, for it to be met.

    How to fix:
    Add the necessary conditions or key results beneath it, or link the projects that
    deliver it.

    Example:
    G-04 "Win corporate accounts" (Division) has no child goals and no projects: AH106 at
    G-04's id cell.
    """

    code = "AH106"
    name = "unsupported-goal"
    summary = "A goal above the lowest level has no active child and no active project"
    default_severity = Severity.MEDIUM
    groups = ("structure",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        lowest = graph.lowest_rank
        for goal in ctx.active_goals():
            rank = graph.levels.rank(goal.level)
            above = rank is not None and lowest is not None and rank < lowest
            if not above and goal.kind not in _BREAKDOWN_KINDS:
                continue
            if graph.has_active_work(goal.id):
                continue
            yield ctx.at(
                goal,
                "id",
                f"Goal {goal.id} {goal.title!r} has no active child goal and no active project",
                evidence={"level": goal.level, "kind": goal.kind.value if goal.kind else None},
                hint=f"Add the goals or projects that deliver {goal.id}",
            )


class FanOutOptions(RuleOptions):
    max_children: int = Field(9, ge=1, description="the most active children a goal may have")
    top_min_children: int = Field(0, ge=0, description="the fewest children of a top goal")
    top_max_children: int = Field(
        0, ge=0, description="the most children of a top goal (0 with top-min 0: no check)"
    )


class FanOut(Rule):
    """What it checks:
    A goal with more than ``max-children`` (default 9) active children; and a top goal
    whose active children fall outside ``top-min-children``..``top-max-children`` (off by
    default; the goal-tree preset asks for 3 to 5 critical success factors).

    Why it matters:
    A leader cannot steer nine or more sub-goals at once; a goal tree's top goal rests on
    a handful of critical success factors, not one and not twenty.

    How to fix:
    Group the children under a few intermediate goals, or retire the ones that do not
    matter.

    Example:
    G-01 has 12 active CSFs under the goal-tree preset (3..5): AH107 at G-01's id cell.
    """

    code = "AH107"
    name = "fan-out"
    summary = "A goal has too many (or a top goal too few) active children"
    default_severity = Severity.LOW
    groups = ("structure",)
    Options = FanOutOptions

    def check(self, ctx: RuleContext[FanOutOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        options = ctx.options
        # A set: a flat sheet can have tens of thousands of top goals, each asked about.
        top = set(graph.top_goals)
        range_on = options.top_min_children > 0 or options.top_max_children > 0
        # Only the goals with more children than allowed, and the top goals, are counted.
        most = options.max_children
        looked_at = [g for g, c in graph.goals_with_children.items() if len(c) > most]
        if range_on:
            looked_at += graph.top_goals
        goals = [graph.goals[g] for g in dict.fromkeys(looked_at)]
        goals.sort(key=lambda goal: goal.origin.row)
        for goal in goals:
            if not goal.active:
                continue
            children = graph.children(goal.id)
            at_top = range_on and goal.id in top
            count = sum(1 for c in children if graph.goals[c].active)
            evidence = {"children": count, "max_children": options.max_children}
            if count > options.max_children:
                yield ctx.at(
                    goal,
                    "id",
                    f"Goal {goal.id} {goal.title!r} has {count} active children; at most "
                    f"{options.max_children}",
                    evidence=evidence,
                    hint="Group the children under a few intermediate goals",
                    discriminator="max",
                )
            elif at_top:
                low, high = options.top_min_children, options.top_max_children or count
                if not low <= count <= high:
                    yield ctx.at(
                        goal,
                        "id",
                        f"Top goal {goal.id} {goal.title!r} has {count} active children; "
                        f"expected {low} to {options.top_max_children or 'any'}",
                        evidence={
                            **evidence,
                            "top_min_children": low,
                            "top_max_children": options.top_max_children,
                        },
                        hint="A top goal rests on a few critical success factors",
                        discriminator="top",
                    )


class TooDeepOptions(RuleOptions):
    max_depth: int = Field(6, ge=1, description="the most links from a goal to its top goal")


class TooDeep(Rule):
    """What it checks:
    An active goal more than ``max-depth`` (default 6) links below its top goal, counting
    the shortest way up. Goals that do not ladder up to a top goal are left to AH101-AH103.

    Why it matters:
    Past six or so links nobody can see how the work at the bottom serves the goal at the
    top, and every review climbs a long chain.

    How to fix:
    Flatten the tree: merge intermediate goals that only restate their parent.

    Example:
    G-88 is 8 links below G-01: AH108 at G-88's parent cell.
    """

    code = "AH108"
    name = "too-deep"
    summary = "A goal is more than max-depth links below its top goal"
    default_severity = Severity.LOW
    groups = ("structure",)
    Options = TooDeepOptions

    def check(self, ctx: RuleContext[TooDeepOptions]) -> Iterator[Finding]:
        max_depth = ctx.options.max_depth
        goals = ctx.graph.goals
        # Only the levels past max-depth are looked at (few goals, if any).
        levels = ctx.graph.depth_levels
        deep = [
            (goals[goal_id], links)
            for links, level in enumerate(levels[max_depth + 1 :], start=max_depth + 1)
            for goal_id in level
        ]
        deep.sort(key=lambda found: found[0].origin.row)
        for goal, links in deep:
            if goal.active:
                yield ctx.at(
                    goal,
                    "parent",
                    f"Goal {goal.id} {goal.title!r} is {links} links below its top goal; at "
                    f"most {ctx.options.max_depth}",
                    evidence={"depth": links, "max_depth": ctx.options.max_depth},
                    hint="Merge intermediate goals that only restate their parent",
                )


_DEFAULT_ALLOWED = {
    "goal": [],
    "csf": ["goal"],
    "nc": ["csf", "nc"],
    "objective": ["goal", "objective"],
    "key result": ["objective"],
    "initiative": ["objective", "key result"],
}


class IllegalParentKindOptions(RuleOptions):
    allowed: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in _DEFAULT_ALLOWED.items()},
        description="child kind -> the parent kinds it may have (kind names or synonyms)",
    )

    @field_validator("allowed")
    @classmethod
    def _kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        try:
            return {
                parse_kind(child).value: [parse_kind(p).value for p in parents]
                for child, parents in value.items()
            }
        except ValueProblem as exc:
            raise ValueError(str(exc)) from None


class IllegalParentKind(Rule):
    """What it checks:
    A goal whose kind may not sit under its parent's kind, by the ``allowed`` table (child
    kind -> parent kinds): goal: none (top only); csf: goal; nc: csf, nc; objective: goal,
    objective; key result: objective; initiative: objective, key result. Only where both
    kinds are known; a child kind missing from the table is not checked.

    Why it matters:
    The kinds carry the method: a CSF under a necessary condition, or a key result under a
    key result, means the tree mixes levels of reasoning and cannot be read.

    How to fix:
    Correct the kind, or move the goal under a parent of the right kind.

    Example:
    KR-7 (key result) has parent KR-3 (key result): AH109 at KR-7's parent cell.
    """

    code = "AH109"
    name = "illegal-parent-kind"
    summary = "A goal's kind may not sit under its parent's kind"
    default_severity = Severity.MEDIUM
    groups = ("structure",)
    Options = IllegalParentKindOptions

    def check(self, ctx: RuleContext[IllegalParentKindOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        allowed = ctx.options.allowed
        for goal in ctx.active_goals():
            if goal.kind is None or goal.kind.value not in allowed:
                continue
            for parent_id in graph.goal_parents(goal):
                parent = graph.goals[parent_id]
                if parent.kind is None or parent.kind.value in allowed[goal.kind.value]:
                    continue
                may = ", ".join(allowed[goal.kind.value]) or "nothing (a top goal only)"
                yield ctx.at(
                    goal,
                    "parent",
                    f"Goal {goal.id} {goal.title!r} ({goal.kind.value}) sits under {parent.id} "
                    f"({parent.kind.value}); a {goal.kind.value} may sit under {may}",
                    related=[entity_of(parent)],
                    evidence={"kind": goal.kind.value, "parent_kind": parent.kind.value},
                    hint="Correct the kind, or move the goal under a parent of the right kind",
                    discriminator=parent_id,
                )


_BREAKDOWN_KINDS = (Kind.GOAL, Kind.CSF, Kind.OBJECTIVE)


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [
        OrphanedGoal,
        GoalCycle,
        UnknownParent,
        MultipleTopGoals,
        MultipleParents,
        UnsupportedGoal,
        FanOut,
        TooDeep,
        IllegalParentKind,
    ]
