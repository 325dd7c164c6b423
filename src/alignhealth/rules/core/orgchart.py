"""AH8: the organisation chart."""

from __future__ import annotations

from collections.abc import Iterator

from alignhealth.findings import EntityRef, Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.rules.base import Rule, RuleContext, RuleOptions


class UnknownManager(Rule):
    """What it checks:
    A person whose manager cell names no one on the People sheet (by id, e-mail or name),
    or a name that matches several people (the tool does not guess). A person named as
    their own manager has no manager, and is not flagged.

    Why it matters:
    Reporting lines decide who reviews whom and whose goals a leader's goals should serve
    (AH304); a broken line leaves a person outside the chain.

    How to fix:
    Correct the manager reference, preferably to an id or e-mail, or add the manager.

    Example:
    P-22's Reports To says "P-99", which is no person: AH801 at P-22's manager cell.
    """

    code = "AH801"
    name = "unknown-manager"
    summary = "A manager reference matches no person"
    default_severity = Severity.HIGH
    groups = ("orgchart",)
    requires = ("people",)
    subject = "people"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for person in graph.people.values():
            match = graph.manager_match(person.id)
            if match is None or match.status == "resolved":
                continue
            what = (
                "matches no person"
                if match.status == "unknown"
                else f"matches {len(match.candidates)} people ({', '.join(match.candidates)})"
            )
            yield ctx.at(
                person,
                "manager",
                f"{person.label} ({person.id}): manager {match.ref!r} {what}",
                related=[EntityRef(kind="person", id=p) for p in match.candidates],
                evidence={"manager": match.ref, "status": match.status},
                hint="Write the manager's id or e-mail, or add them to the People sheet",
            )


class ReportingCycle(Rule):
    """What it checks:
    Managers that form a cycle of two or more people (A reports to B, B reports to A). One
    finding per cycle, on the person with the smallest id, the others in ``related``.

    Why it matters:
    A cycle has no one at its top: escalations go round it, and rules that climb the
    reporting line (AH304, AH704) cannot place the people in it.

    How to fix:
    Correct one person's manager so the line leads up to the top of the organisation.

    Example:
    P-05 reports to P-06 and P-06 reports to P-05: AH802 at P-05's manager cell.
    """

    code = "AH802"
    name = "reporting-cycle"
    summary = "Managers form a cycle"
    default_severity = Severity.CRITICAL
    groups = ("orgchart",)
    requires = ("people",)
    subject = "people"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        for group in graph.reporting_cycles():
            person = graph.people[group[0]]
            yield ctx.at(
                person,
                "manager",
                f"{person.label} ({person.id}) is in a reporting cycle with {', '.join(group[1:])}",
                related=[EntityRef(kind="person", id=p) for p in group[1:]],
                evidence={"cycle": group},
                hint="Correct one manager so the line leads up to the top",
                discriminator=",".join(group),
            )


class MultipleOrgRoots(Rule):
    """What it checks:
    More than one active person with no manager (a person named as their own manager has
    none; one whose manager is unknown is AH801's). One finding, on the smallest id, the
    others in ``related``. Skipped when no one names a manager.

    Why it matters:
    An organisation chart has one person at the top; several roots mean reporting lines
    are missing, and the people under them are outside every chain the rules climb.

    How to fix:
    Fill in the missing managers.

    Example:
    P-01 (the CEO) and P-37 both have no manager: AH803 at P-01's id cell.
    """

    code = "AH803"
    name = "multiple-org-roots"
    summary = "More than one active person has no manager"
    default_severity = Severity.LOW
    groups = ("orgchart",)
    requires = ("people", "managers")
    subject = "people"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        roots = sorted(
            p for p in graph.people if graph.is_active(p) and graph.manager_match(p) is None
        )
        if len(roots) < 2:
            return
        person = graph.people[roots[0]]
        yield ctx.at(
            person,
            "id",
            f"{len(roots)} active people have no manager: {', '.join(roots[:10])}"
            + (" ..." if len(roots) > 10 else ""),
            related=[EntityRef(kind="person", id=p) for p in roots[1:]],
            evidence={"roots": roots},
            hint="Fill in the missing managers",
        )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [UnknownManager, ReportingCycle, MultipleOrgRoots]
