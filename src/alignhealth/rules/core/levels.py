"""AH3: alignment across levels."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from alignhealth.findings import EntityRef, Finding, Severity, SourceLocation
from alignhealth.hookspecs import hookimpl
from alignhealth.model import Goal, Person
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, SkipRule, entity_of, goal_ref


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
        rank_of, parents_of, goals = graph.levels.rank, graph.goal_parents, graph.goals
        allow_same_level = ctx.options.allow_same_level
        # Siblings follow each other in most sheets and share their parent cell (one
        # object): the parent's rank is looked up again only when the parent changes.
        seen, parent_rank = "", None
        for goal in ctx.active_goals():
            rank = rank_of(goal.level)
            if rank is None:
                continue
            for parent_id in parents_of(goal):
                if parent_id is not seen:
                    seen, parent_rank = parent_id, rank_of(goals[parent_id].level)
                if parent_rank is None:
                    continue
                if rank < parent_rank or (rank == parent_rank and not allow_same_level):
                    parent = goals[parent_id]
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
        rank_of, parents_of, goals = graph.levels.rank, graph.goal_parents, graph.goals
        max_gap = ctx.options.max_gap
        seen, parent_rank = "", None  # as AH301: the parent's rank, again when it changes
        for goal in ctx.active_goals():
            rank = rank_of(goal.level)
            if rank is None:
                continue
            for parent_id in parents_of(goal):
                if parent_id is not seen:
                    seen, parent_rank = parent_id, rank_of(goals[parent_id].level)
                if parent_rank is None or rank - parent_rank <= max_gap:
                    continue
                parent = goals[parent_id]
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


class OwnerLevelMismatchOptions(RuleOptions):
    max_gap: int = Field(0, ge=0, description="how many ranks owner and goal may differ")


class OwnerLevelMismatch(Rule):
    """What it checks:
    An active goal whose primary owner (the first named) sits at a level whose rank differs
    from the goal's by more than ``max-gap`` (default 0). Only where both ranks are known.

    Why it matters:
    A division goal owned by a team lead has no one with the authority to deliver it; a
    team goal owned by a director is micromanagement, and leaves the team lead out.

    How to fix:
    Give the goal to a leader at its level, or correct the goal's level.

    Example:
    G-22 (Division) is owned by P-40 (Team): AH303 at G-22's owner cell.
    """

    code = "AH303"
    name = "owner-level-mismatch"
    summary = "A goal's owner sits at another level than the goal"
    default_severity = Severity.LOW
    groups = ("levels",)
    Options = OwnerLevelMismatchOptions
    requires = ("people", "levels")

    def check(self, ctx: RuleContext[OwnerLevelMismatchOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        rank_of, resolve = graph.levels.rank, graph.resolve
        max_gap = ctx.options.max_gap
        # Each primary owner's rank, looked up once.
        ranked: dict[str, tuple[str | None, int | None]] = {}
        for goal in ctx.active_goals():
            rank = rank_of(goal.level)
            if rank is None or not goal.owners:
                continue
            found = ranked.get(goal.owners[0])
            if found is None:
                who = resolve(goal.owners[0]).person_id
                found = ranked[goal.owners[0]] = (who, graph.person_rank(who) if who else None)
            owner, owner_rank = found
            if owner is None or owner_rank is None:
                continue
            if abs(owner_rank - rank) > max_gap:
                person = graph.people[owner]
                yield ctx.at(
                    goal,
                    "owner",
                    f"Goal {goal.id} {goal.title!r} ({goal.level}) is owned by {person.label} "
                    f"({person.id}, {person.level})",
                    related=[entity_of(person)],
                    evidence={
                        "level": goal.level,
                        "rank": rank,
                        "owner_level": person.level,
                        "owner_rank": owner_rank,
                        "max_gap": ctx.options.max_gap,
                    },
                    hint="Give the goal to a leader at its level, or correct its level",
                )


class ReportingLineMismatch(Rule):
    """What it checks:
    An active goal none of whose owners is an owner of one of its parents or reports
    (through managers, at any distance) to one. A parent with no owner defers to its
    nearest owned ancestors. Goals with no resolved owner or no owned ancestor are not
    checked. Skipped without manager data; the manager chain stops at reporting cycles.

    Why it matters:
    Goals cascade through people: a goal whose owner is outside the reporting line of the
    parent's owner is steered by someone with no say over it, and falls between two chains
    of command.

    How to fix:
    Have the goal owned by someone in the parent owner's line, or re-parent it under a goal
    of the owner's own line.

    Example:
    G-31 (owner P-12, Sales) supports G-07 (owner P-03, Operations): AH304 at G-31's owner
    cell.
    """

    code = "AH304"
    name = "reporting-line-mismatch"
    summary = "A goal's owner is outside the reporting line of its parent's owner"
    default_severity = Severity.MEDIUM
    groups = ("levels",)
    requires = ("people", "managers")

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        goals = graph.goals
        above: dict[str, frozenset[str]] = {}
        # Owner cells repeat down the sheet (and are one object where they do): each
        # distinct cell is resolved to a set of people once.
        people_in: dict[tuple[str, ...], frozenset[str]] = {}

        people = graph.people
        owner_keys = graph.owner_keys

        def owners(goal_id: str) -> frozenset[str]:
            cell = goals[goal_id].owners
            found = people_in.get(cell)
            if found is None:
                # The owners who resolve: a key that is no person's id is a name as
                # written that matched nobody (a person's id always resolves).
                found = people_in[cell] = frozenset(k for k in owner_keys(cell) if k in people)
            return found

        def owned_above(goal_id: str) -> frozenset[str]:
            """Owners of the goal, or of its nearest owned ancestors: a post-order walk up,
            each goal computed once; a goal met again while in progress (a cycle) adds
            nothing."""
            own = owners(goal_id)
            if own:  # the common case: the parent has an owner of its own
                return own
            stack: list[tuple[str, bool]] = [(goal_id, False)]
            in_progress: set[str] = set()
            while stack:
                node, ready = stack.pop()
                if ready:
                    in_progress.discard(node)
                    above[node] = frozenset().union(
                        *(above.get(p, frozenset()) for p in graph.parents(node))
                    )
                    continue
                if node in above or node in in_progress:
                    continue
                own = owners(node)
                if own:
                    above[node] = own
                    continue
                in_progress.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in graph.parents(node) if p not in above)
            return above[goal_id]

        # Siblings share their owner and their parent's owner: each pair of owner sets is
        # judged once.
        fine: dict[tuple[frozenset[str], frozenset[str]], bool] = {}
        parents_of = graph.goal_parents
        reports_to = graph.reports_to
        seen: tuple[str, ...] = ()
        seen_theirs: frozenset[str] = frozenset()
        for goal in ctx.active_goals():
            parents = parents_of(goal)
            if not parents:
                continue
            # The cells' sets looked up here first, not through owners() and
            # owned_above(): a call per goal is a seventh of the rule (0.157 s against
            # 0.18 s at 100k goals).
            mine = people_in.get(goal.owners)
            if mine is None:
                mine = owners(goal.id)
            if not mine:
                continue
            if parents is seen:  # a sibling of the goal before (as AH301)
                theirs = seen_theirs
            elif len(parents) == 1:
                theirs = people_in.get(goals[parents[0]].owners) or owned_above(parents[0])
                seen, seen_theirs = parents, theirs
            else:
                theirs = frozenset().union(*(owned_above(p) for p in parents))
            pair = (mine, theirs)
            verdict = fine.get(pair)
            if verdict is None:
                # Nothing to compare with, or an owner owns a parent too, or reports to
                # one who does. Most goals have one owner, as do their parents: that pair
                # is asked without a generator (a quarter of a million pairs at a million
                # goals).
                if len(mine) == 1 and len(theirs) == 1:
                    (owner,), (boss,) = mine, theirs
                    verdict = owner == boss or reports_to(owner, boss)
                else:
                    verdict = (
                        not theirs
                        or not theirs.isdisjoint(mine)
                        or any(reports_to(o, b) for o in mine for b in theirs)
                    )
                fine[pair] = verdict
            if verdict:
                continue
            named = [m.person_id for m in graph.owners_of(goal.id) if m.person_id]
            yield ctx.at(
                goal,
                "owner",
                f"Goal {goal.id} {goal.title!r}: no owner ({', '.join(named)}) owns a parent "
                f"goal or reports to its owner ({', '.join(sorted(theirs))})",
                related=[goal_ref(p) for p in parents],
                evidence={"owners": named, "parent_owners": sorted(theirs)},
                hint="Have the goal owned within the parent owner's line, or re-parent it",
            )


class EmptyLevel(Rule):
    """What it checks:
    A level of an explicit list (the workbook's Levels sheet, or the ruleset's ``levels``)
    at which no active goal sits. Skipped without an explicit list.

    Why it matters:
    A level with no goals is a layer of leaders the strategy does not reach: the cascade
    jumps over them.

    How to fix:
    Give that level its goals, or remove the level from the list if the organisation no
    longer has it.

    Example:
    The Levels sheet lists Department, but no active goal is at Department level: AH306 at
    the Department row of the Levels sheet.
    """

    code = "AH306"
    name = "empty-level"
    summary = "A listed level has no active goal"
    default_severity = Severity.LOW
    groups = ("levels",)
    subject = "workbook"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        used = {graph.levels.rank(g.level) for g in ctx.active_goals()}
        if graph.level_defs:
            entries: list[tuple[str, SourceLocation | None]] = [
                (d.name, d.origin.cell("name")) for d in graph.level_defs
            ]
        elif graph.configured_levels:
            entries = [(name, None) for name in graph.configured_levels]
        else:
            raise SkipRule("no explicit list of levels (no Levels sheet, no ruleset levels)")
        ctx.checked = len(entries)
        for name, location in entries:
            if graph.levels.rank(name) in used:
                continue
            yield ctx.finding(
                EntityRef(kind="level", id=name, label=name),
                f"Level {name!r} has no active goal",
                location=location,
                evidence={"level": name, "rank": graph.levels.rank(name)},
                hint=f"Give the {name} level its goals, or remove it from the list",
            )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [
        LevelInversion,
        LevelSkip,
        OwnerLevelMismatch,
        ReportingLineMismatch,
        UnknownLevel,
        EmptyLevel,
    ]
