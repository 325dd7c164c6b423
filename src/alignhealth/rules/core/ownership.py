"""AH2: ownership and accountability."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from alignhealth.findings import EntityRef, Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, SkipRule, entity_of


class UnownedPriority(Rule):
    """What it checks:
    An active priority goal (a rank from 1 to ``priority-rank``, High, or Yes) whose owner
    cell is blank.

    Why it matters:
    A priority nobody is accountable for is a wish. The leaders' few real priorities are
    the goals that most need a name beside them.

    How to fix:
    Name the one leader accountable for the goal in its owner cell.

    Example:
    G-05 "Enter the German market", priority 1, owner blank: AH201 at its owner cell.
    """

    code = "AH201"
    name = "unowned-priority"
    summary = "An active priority goal has no owner"
    default_severity = Severity.CRITICAL
    groups = ("ownership",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for goal in ctx.active_goals():
            if not goal.owners and ctx.is_priority(goal):
                yield ctx.at(
                    goal,
                    "owner",
                    f"Priority goal {goal.id} {goal.title!r} has no owner",
                    evidence={"owner": None, "priority": _priority_text(goal.priority)},
                    hint=f"Name the leader accountable for {goal.id}",
                )


class UnownedGoal(Rule):
    """What it checks:
    An active goal that is not a priority and whose owner cell is blank.

    Why it matters:
    Work nobody owns drifts: no one reviews it, reports on it or stops it.

    How to fix:
    Name an owner, or retire the goal if no one will own it.

    Example:
    G-44 "Refresh the intranet", priority Low, owner blank: AH202 at its owner cell.
    """

    code = "AH202"
    name = "unowned-goal"
    summary = "An active goal that is not a priority has no owner"
    default_severity = Severity.MEDIUM
    groups = ("ownership",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for goal in ctx.active_goals():
            if not goal.owners and not ctx.is_priority(goal):
                yield ctx.at(
                    goal,
                    "owner",
                    f"Goal {goal.id} {goal.title!r} has no owner",
                    evidence={"owner": None},
                    hint=f"Name an owner for {goal.id}, or retire it",
                )


class UnknownOwner(Rule):
    """What it checks:
    An owner named on an active goal who matches no person of the People sheet, by id,
    e-mail (any case) or name (case, spacing and accents ignored). One finding per
    unknown name. Such a goal is not also AH201 or AH202. Skipped without a People sheet.

    Why it matters:
    An owner who is not on the people list cannot be held to account, reviewed or mailed:
    often a leaver, a typo, or a team name where a person belongs.

    How to fix:
    Correct the name, or add the person to the People sheet.

    Example:
    G-12's owner is "Jon Smyth"; the People sheet has John Smith: AH203 at G-12's owner cell.
    """

    code = "AH203"
    name = "unknown-owner"
    summary = "A goal's owner matches no person"
    default_severity = Severity.HIGH
    groups = ("ownership",)
    requires = ("people",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for goal, match in ctx.owner_matches(lambda match: match.status == "unknown"):
            yield ctx.at(
                goal,
                "owner",
                f"Goal {goal.id} {goal.title!r}: owner {match.ref!r} is not on the People sheet",
                evidence={"owner": match.ref},
                hint=f"Correct {match.ref!r}, or add them to the People sheet",
                discriminator=match.ref,
            )


class InactiveOwner(Rule):
    """What it checks:
    An active goal owned by a person marked inactive (No, False, left, inactive,
    terminated) or whose end date is before the as-of date. On leave is still active.

    Why it matters:
    A goal owned by someone who has left has no owner in practice, but looks owned on
    paper, so nobody notices.

    How to fix:
    Hand the goal to an active leader, or retire it.

    Example:
    G-08 is owned by P-14, whose People row says Status: Left: AH204 at G-08's owner cell.
    """

    code = "AH204"
    name = "inactive-owner"
    summary = "An active goal is owned by an inactive person"
    default_severity = Severity.HIGH
    groups = ("ownership",)
    requires = ("people",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for goal, match in ctx.owner_matches(
            lambda match: match.person_id is not None and not graph.is_active(match.person_id)
        ):
            person = graph.people[match.person_id or ""]
            yield ctx.at(
                goal,
                "owner",
                f"Goal {goal.id} {goal.title!r} is owned by {person.label} "
                f"({person.id}), who is no longer active",
                related=[EntityRef(kind="person", id=person.id, label=person.label)],
                evidence={
                    "owner": match.ref,
                    "active": person.active,
                    "left_on": person.left_on.isoformat() if person.left_on else None,
                },
                hint=f"Hand {goal.id} to an active leader, or retire it",
                discriminator=person.id,
            )


class AmbiguousOwner(Rule):
    """What it checks:
    An owner name on an active goal that matches several people (no id or e-mail matches
    it). The tool does not guess.

    Why it matters:
    With two Ann Lees on the people list, the goal might belong to either; reports per
    leader would credit or blame the wrong one.

    How to fix:
    Write the owner's id or e-mail instead of the name.

    Example:
    G-19's owner is "Ann Lee"; P-03 and P-27 are both Ann Lee: AH205 at G-19's owner cell.
    """

    code = "AH205"
    name = "ambiguous-owner"
    summary = "An owner name matches several people"
    default_severity = Severity.MEDIUM
    groups = ("ownership",)
    requires = ("people",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for goal, match in ctx.owner_matches(lambda match: match.status == "ambiguous"):
            yield ctx.at(
                goal,
                "owner",
                f"Goal {goal.id} {goal.title!r}: owner {match.ref!r} matches "
                f"{len(match.candidates)} people ({', '.join(match.candidates)})",
                related=[EntityRef(kind="person", id=p) for p in match.candidates],
                evidence={"owner": match.ref, "candidates": list(match.candidates)},
                hint="Write the owner's id or e-mail instead of the name",
                discriminator=match.ref,
            )


class OwnerOverloadedOptions(RuleOptions):
    max_goals: int = Field(7, ge=1, description="the most active goals one person may own")


class OwnerOverloaded(Rule):
    """What it checks:
    A person who owns more than ``max-goals`` (default 7) active goals, counting every goal
    that names them among its owners, once (an owner cell may name them by id and by
    e-mail). Owners resolve to people where a People sheet exists;
    otherwise an owner is counted by their name as written.

    Why it matters:
    Accountability spread over many goals is accountability for none: a leader with a dozen
    goals reviews none of them properly.

    How to fix:
    Hand some goals to the leaders beneath them, or retire the ones that matter least.

    Example:
    P-02 owns 11 active goals: AH206 at P-02's id cell on the People sheet.
    """

    code = "AH206"
    name = "owner-overloaded"
    summary = "A person owns more than max-goals active goals"
    default_severity = Severity.MEDIUM
    groups = ("ownership",)
    Options = OwnerOverloadedOptions
    subject = "people"

    def check(self, ctx: RuleContext[OwnerOverloadedOptions]) -> Iterator[Finding]:
        owned = ctx.owned_goals()
        ctx.checked = len(owned)
        for owner, goals in sorted(owned.items()):
            if len(goals) > ctx.options.max_goals:
                yield ctx.owner_finding(
                    owner,
                    goals,
                    f"{ctx.owner_label(owner)} owns {len(goals)} active goals; at most "
                    f"{ctx.options.max_goals}",
                    related=[entity_of(g) for g in goals],
                    evidence={"goals": len(goals), "max_goals": ctx.options.max_goals},
                    hint="Hand some goals to the leaders beneath them, or retire some",
                )


class TooManyOwnersOptions(RuleOptions):
    max_owners: int = Field(1, ge=1, description="how many owners a goal may name")


class TooManyOwners(Rule):
    """What it checks:
    An active goal that names more than ``max-owners`` (default 1) owners. The first named
    is taken as the primary owner by every other rule.

    Why it matters:
    Shared ownership is how goals end up owned by nobody: each owner assumes the other is
    on it.

    How to fix:
    Keep one accountable owner; name the others as contributors elsewhere.

    Example:
    G-09's owner cell says "P-04; P-07": AH207 at G-09's owner cell.
    """

    code = "AH207"
    name = "too-many-owners"
    summary = "A goal names more than max-owners owners"
    default_severity = Severity.LOW
    groups = ("ownership",)
    Options = TooManyOwnersOptions

    def check(self, ctx: RuleContext[TooManyOwnersOptions]) -> Iterator[Finding]:
        for goal in ctx.active_goals():
            if len(goal.owners) > ctx.options.max_owners:
                yield ctx.at(
                    goal,
                    "owner",
                    f"Goal {goal.id} {goal.title!r} names {len(goal.owners)} owners "
                    f"({'; '.join(goal.owners)}); {goal.owners[0]} is taken as primary",
                    evidence={"owners": list(goal.owners), "max_owners": ctx.options.max_owners},
                    hint="Keep one accountable owner",
                )


class DisengagedLeader(Rule):
    """What it checks:
    A leader (an active person whose level rank is at most ``leader-max-rank``; for a
    person without a level, anyone who manages someone) who owns no active goal and no
    active project. Skipped when leaders cannot be told: no People sheet, or no levels and
    no managers.

    Why it matters:
    A leader with no goal of their own is outside the alignment: their people's goals ladder
    up through nobody.

    How to fix:
    Give the leader the goal their part of the organisation is accountable for.

    Example:
    P-05, Director of Operations, owns nothing: AH208 at P-05's id cell.
    """

    code = "AH208"
    name = "disengaged-leader"
    summary = "A leader owns no active goal and no active project"
    default_severity = Severity.MEDIUM
    groups = ("ownership",)
    requires = ("people",)
    subject = "people"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        has_levels = any(p.level for p in graph.people.values())
        if not has_levels and not graph.managers:
            raise SkipRule("leaders cannot be told: people have no levels and no managers")
        engaged: set[str] = set(ctx.owned_goals())
        for project in graph.projects.values():
            if project.active:
                engaged.update(graph.owner_ids(project.owners))
        leading = ctx.leaders()
        leaders = [p for p in graph.people if p in leading]
        ctx.checked = len(leaders)
        for person_id in leaders:
            if person_id in engaged:
                continue
            person = graph.people[person_id]
            yield ctx.at(
                person,
                "id",
                f"{person.label} ({person.id}) is a leader but owns no active goal or project",
                evidence={"level": person.level, "role": person.role},
                hint="Give the leader the goal their part of the organisation answers for",
            )


def _priority_text(priority: object) -> str | None:
    if priority is None:
        return None
    rank = getattr(priority, "rank", None)
    return str(rank) if rank is not None else getattr(priority, "label", None)


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [
        UnownedPriority,
        UnownedGoal,
        UnknownOwner,
        InactiveOwner,
        AmbiguousOwner,
        OwnerOverloaded,
        TooManyOwners,
        DisengagedLeader,
    ]
