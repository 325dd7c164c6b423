"""AH7: execution and the assessment of completed work."""

from __future__ import annotations

from collections.abc import Iterator

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


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [UnassessedCompletion]
