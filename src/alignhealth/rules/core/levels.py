"""AH3: alignment across levels."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.model import Goal, Person
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, entity_of


class LevelInversionOptions(RuleOptions):
    allow_same_level: bool = Field(True, description="a goal may sit at its parent's level")


class LevelInversion(Rule):
    """What it checks:
    An active goal at a higher level (a smaller rank) than one of its parents: a Company
    goal beneath a Team goal. The same level as the parent is allowed unless
    ``allow-same-level`` is false. Goals or parents without a known level are not checked.

    Why it matters:
    Goals cascade down the organisation. A higher-level goal beneath a lower one means the
    tree was drawn upside down there, or a level was mislabelled, and the cascade breaks.

    How to fix:
    Correct the goal's level, or link it to a parent at its own level or above.

    Example:
    G-40 (Division) has parent G-52 (Team): AH301 at G-40's level cell.
    """

    code = "AH301"
    name = "level-inversion"
    summary = "A goal sits at a higher level than its parent"
    default_severity = Severity.HIGH
    groups = ("levels",)
    Options = LevelInversionOptions
    requires = ("levels",)

    def check(self, ctx: RuleContext[LevelInversionOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for goal in ctx.active_goals():
            rank = graph.levels.rank(goal.level)
            if rank is None:
                continue
            for parent_id in graph.parents(goal.id):
                parent = graph.goals[parent_id]
                parent_rank = graph.levels.rank(parent.level)
                if parent_rank is None:
                    continue
                if rank < parent_rank or (rank == parent_rank and not ctx.options.allow_same_level):
                    yield ctx.at(
                        goal,
                        "level",
                        f"Goal {goal.id} {goal.title!r} ({goal.level}) sits above its parent "
                        f"{parent.id} ({parent.level})"
                        if rank < parent_rank
                        else f"Goal {goal.id} {goal.title!r} sits at its parent {parent.id}'s "
                        f"level ({goal.level})",
                        related=[entity_of(parent)],
                        evidence={
                            "level": goal.level,
                            "rank": rank,
                            "parent_level": parent.level,
                            "parent_rank": parent_rank,
                        },
                        hint=f"Correct {goal.id}'s level, or link it to a parent at its level "
                        "or above",
                        discriminator=parent_id,
                    )


class LevelSkipOptions(RuleOptions):
    max_gap: int = Field(1, ge=1, description="how many ranks below its parent a goal may sit")


class LevelSkip(Rule):
    """What it checks:
    An active goal more than ``max-gap`` ranks (default 1) below one of its parents: a Team
    goal directly under the Company goal, with no Division or Department goal between.

    Why it matters:
    A skipped level has no goal of its own to cascade: the leaders of that level are left
    out of the alignment, and the lower goal is too far from its parent to show how it
    contributes.

    How to fix:
    Add the intermediate goal, or link the goal to a parent one level up.

    Example:
    G-60 (Team, rank 3) has parent G-01 (Company, rank 0): a gap of 3, AH302 at G-60's
    level cell.
    """

    code = "AH302"
    name = "level-skip"
    summary = "A goal sits more than max-gap levels below its parent"
    default_severity = Severity.LOW
    groups = ("levels",)
    Options = LevelSkipOptions
    requires = ("levels",)

    def check(self, ctx: RuleContext[LevelSkipOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for goal in ctx.active_goals():
            rank = graph.levels.rank(goal.level)
            if rank is None:
                continue
            for parent_id in graph.parents(goal.id):
                parent = graph.goals[parent_id]
                parent_rank = graph.levels.rank(parent.level)
                if parent_rank is None or rank - parent_rank <= ctx.options.max_gap:
                    continue
                yield ctx.at(
                    goal,
                    "level",
                    f"Goal {goal.id} {goal.title!r} ({goal.level}) sits {rank - parent_rank} "
                    f"levels below its parent {parent.id} ({parent.level})",
                    related=[entity_of(parent)],
                    evidence={
                        "level": goal.level,
                        "rank": rank,
                        "parent_level": parent.level,
                        "parent_rank": parent_rank,
                        "max_gap": ctx.options.max_gap,
                    },
                    hint=f"Add the goal between {parent.id} and {goal.id}, or re-link {goal.id}",
                    discriminator=parent_id,
                )


class UnknownLevel(Rule):
    """What it checks:
    A level name, on a goal or a person, that is neither in the workbook's Levels sheet (or
    the ruleset's ``levels`` list) nor in the default vocabulary (Company, Division,
    Department, Team, Individual and their synonyms), nor a numbered level (L1, Level 2,
    Tier 3). One finding per goal or person.

    Why it matters:
    A goal whose level is unknown cannot be checked for cascade (AH301, AH302), and a
    person whose level is unknown cannot be told to be a leader.

    How to fix:
    Correct the level, or add a Levels sheet listing the organisation's levels in order.

    Example:
    G-33's level is "Squad-ish": AH305 at G-33's level cell.
    """

    code = "AH305"
    name = "unknown-level"
    summary = "A level name that is not in the levels list or vocabulary"
    default_severity = Severity.HIGH
    groups = ("levels",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        ctx.checked = len(graph.goals) + len(graph.people)
        source = graph.levels.explicit_source or "the default vocabulary"
        records: list[Goal | Person] = [*graph.goals.values(), *graph.people.values()]
        for record in records:
            if record.level and graph.levels.rank(record.level) is None:
                yield ctx.at(
                    record,
                    "level",
                    f"{entity_of(record).kind.capitalize()} {record.id}: level "
                    f"{record.level!r} is not a known level ({source})",
                    evidence={"level": record.level, "levels_from": source},
                    hint="Correct the level, or list the organisation's levels on a Levels sheet",
                    discriminator=record.level,
                )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [LevelInversion, LevelSkip, UnknownLevel]
