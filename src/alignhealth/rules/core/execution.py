"""AH7: execution and the assessment of completed work."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.model import Project, Status
from alignhealth.rules.base import Rule, RuleContext, RuleOptions


def is_complete(project: Project) -> bool:
    """Marked done, or at 100% and not cancelled."""
    if project.status is Status.DONE:
        return True
    return project.status is not Status.CANCELLED and (project.progress or 0) >= 1


class UnassessedCompletion(Rule):
    """What it checks:
    A project marked done, or at 100% progress (and not cancelled), that lacks who
    assessed its completion or when (the assessed-by or assessed-on cell is blank).

    Why it matters:
    Work is not done because its owner says so: a leader assessing what was delivered
    against the goal it serves is how an organisation learns whether its projects move
    its goals. Unassessed completions are claims nobody checked.

    How to fix:
    Have the accountable leader assess the outcome and record their name and the date.

    Example:
    PR-09 "New CRM" is Done with Assessed By blank: AH703 at PR-09's assessed-by cell.
    """

    code = "AH703"
    name = "unassessed-completion"
    summary = "A completed project has no recorded assessment"
    default_severity = Severity.HIGH
    groups = ("execution",)
    requires = ("projects",)
    subject = "projects"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for project in ctx.graph.projects.values():
            if not is_complete(project):
                continue
            missing = [
                name
                for name, value in (
                    ("assessed by", project.assessed_by),
                    ("assessed on", project.assessed_on),
                )
                if value is None
            ]
            if not missing:
                continue
            status = "done" if project.status is Status.DONE else "at 100%"
            yield ctx.at(
                project,
                "assessed_by",
                f"Project {project.id} {project.name!r} is {status} but has no "
                f"{' or '.join(missing)}",
                evidence={
                    "status": project.status.value if project.status else None,
                    "progress": project.progress,
                    "assessed_by": project.assessed_by,
                    "assessed_on": project.assessed_on.isoformat() if project.assessed_on else None,
                },
                hint="Have the accountable leader assess the outcome; record who and when",
            )


class OrphanProject(Rule):
    """What it checks:
    An active project linked to no goal, or only to goal ids that match no goal.

    Why it matters:
    Work that serves no goal spends the organisation's people and money on something the
    strategy never asked for, and cannot be judged by whether it moved a goal.

    How to fix:
    Link the project to the goal it advances, or stop it.

    Example:
    PR-17 "Intranet redesign" names no goal: AH701 at PR-17's goal cell.
    """

    code = "AH701"
    name = "orphan-project"
    summary = "A project is linked to no (known) goal"
    default_severity = Severity.HIGH
    groups = ("execution",)
    requires = ("projects",)
    subject = "projects"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        goals = ctx.graph.goals
        for project in ctx.graph.projects.values():
            if not project.active:
                continue
            ids = project.goal_ids
            # Most projects name one goal: asked without a generator (half a million
            # projects, a third of the rule).
            if ids[0] in goals if len(ids) == 1 else any(g in goals for g in ids):
                continue
            what = (
                f"names only unknown goal(s) {', '.join(project.goal_ids)}"
                if project.goal_ids
                else "is linked to no goal"
            )
            yield ctx.at(
                project,
                "goal",
                f"Project {project.id} {project.name!r} {what}",
                evidence={"goals": list(project.goal_ids)},
                hint="Link the project to the goal it advances, or stop it",
            )


class UnownedProject(Rule):
    """What it checks:
    An active project with no owner, or (where a People sheet exists) whose owners are all
    unknown or inactive people. One finding per project.

    Why it matters:
    A project nobody is accountable for has nobody to assess its completion, escalate its
    risks or stop it.

    How to fix:
    Name an active owner.

    Example:
    PR-05's owner "P-44" left in September: AH702 at PR-05's owner cell.
    """

    code = "AH702"
    name = "unowned-project"
    summary = "An active project has no (known, active) owner"
    default_severity = Severity.HIGH
    groups = ("execution",)
    requires = ("projects",)
    subject = "projects"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for project in graph.projects.values():
            if not project.active:
                continue
            if not project.owners:
                reason, why = "none", "has no owner"
            elif not graph.has_people:
                continue
            else:
                ids = graph.owner_ids(project.owners)
                if any(map(graph.is_active, ids)):
                    continue
                if ids:
                    reason, why = "inactive", "is owned only by people who are no longer active"
                else:
                    reason, why = "unknown", "is owned only by people not on the People sheet"
            yield ctx.at(
                project,
                "owner",
                f"Project {project.id} {project.name!r} {why}",
                evidence={"owners": list(project.owners), "reason": reason},
                hint="Name an active owner for the project",
                discriminator=reason,
            )


class AssessmentByOutsider(Rule):
    """What it checks:
    A completed project assessed by someone other than its owner, the owner of one of its
    goals, or a manager above either of them. An assessor who matches no person is counted
    as an outsider. Skipped without a People sheet.

    Why it matters:
    The assessment of completed work belongs to the leaders accountable for it; an outsider's
    sign-off means the accountable leader never looked.

    How to fix:
    Have the project's owner, its goal's owner, or their manager assess the completion.

    Example:
    PR-08 (owner P-20, goal owned by P-06) was signed off by P-31 from another division:
    AH704 at PR-08's assessed-by cell.
    """

    code = "AH704"
    name = "assessment-by-outsider"
    summary = "A completion was assessed by someone outside its line of accountability"
    default_severity = Severity.MEDIUM
    groups = ("execution",)
    requires = ("projects", "people")
    subject = "projects"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        goals = graph.goals
        for project in graph.projects.values():
            if not is_complete(project) or project.assessed_by is None:
                continue
            insiders = set(graph.owner_ids(project.owners))
            for goal_id in project.goal_ids:
                goal = goals.get(goal_id)
                if goal is not None:
                    insiders.update(graph.owner_ids(goal.owners))
            if not insiders:
                continue
            assessor = graph.resolve(project.assessed_by).person_id
            if assessor is not None and (
                assessor in insiders or any(map(graph.reports_to, insiders, repeat(assessor)))
            ):
                continue
            who = f"{project.assessed_by!r}" + ("" if assessor else " (not on the People sheet)")
            yield ctx.at(
                project,
                "assessed_by",
                f"Project {project.id} {project.name!r} was assessed by {who}, who is neither "
                "its owner, its goal's owner, nor a manager above them",
                evidence={"assessed_by": project.assessed_by, "accountable": sorted(insiders)},
                hint="Have the accountable leader (or their manager) assess the completion",
            )


class OverdueProject(Rule):
    """What it checks:
    An active project (not done or cancelled) whose due date is before the as-of date.

    Why it matters:
    Late work delays the goals it serves; an open project past its date is also often
    finished work nobody closed (and so nobody assessed).

    How to fix:
    Close it and have it assessed, or agree a new due date.

    Example:
    PR-12 was due 2026-10-31 and is still In Progress on 2026-11-15: AH705 at PR-12's due
    cell.
    """

    code = "AH705"
    name = "overdue-project"
    summary = "An active project is past its due date"
    default_severity = Severity.MEDIUM
    groups = ("execution",)
    requires = ("projects",)
    subject = "projects"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        as_of = ctx.settings.as_of
        for project in ctx.graph.projects.values():
            if project.active and project.due is not None and project.due < as_of:
                yield ctx.at(
                    project,
                    "due",
                    f"Project {project.id} {project.name!r} was due {project.due.isoformat()}, "
                    f"{(as_of - project.due).days} days ago",
                    evidence={"due": project.due.isoformat()},
                    hint="Close it and have it assessed, or agree a new due date",
                )


class ProgressStatusMismatch(Rule):
    """What it checks:
    A project at 100% progress that is not marked done, or one marked done with progress
    under 100%. Cancelled projects and projects without a progress value are not checked.

    Why it matters:
    When status and progress disagree, one of them is stale, and the completion will be
    either missed or assessed too early.

    How to fix:
    Correct whichever is out of date.

    Example:
    PR-03 is Done at 60%: AH706 at PR-03's progress cell.
    """

    code = "AH706"
    name = "progress-status-mismatch"
    summary = "A project's progress and status disagree"
    default_severity = Severity.LOW
    groups = ("execution",)
    requires = ("projects",)
    subject = "projects"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for project in ctx.graph.projects.values():
            progress = project.progress
            if progress is None or project.status is Status.CANCELLED:
                continue
            done = project.status is Status.DONE
            if progress >= 1 and not done:
                what = f"is at {progress:.0%} but not marked done"
            elif done and progress < 1:
                what = f"is marked done at {progress:.0%}"
            else:
                continue
            yield ctx.at(
                project,
                "progress",
                f"Project {project.id} {project.name!r} {what}",
                evidence={
                    "progress": progress,
                    "status": project.status.value if project.status else None,
                },
                hint="Correct whichever of status and progress is out of date",
            )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [
        OrphanProject,
        UnownedProject,
        UnassessedCompletion,
        AssessmentByOutsider,
        OverdueProject,
        ProgressStatusMismatch,
    ]
