"""AH0: the workbook itself. The loader records what it could not use; these rules report it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from alignhealth.findings import Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.loaders.result import ProblemKind
from alignhealth.rules.base import Rule, RuleContext, RuleOptions


class _LoadProblemRule(Rule):
    problem: ProblemKind
    subject = "workbook"
    groups = ("data",)

    def hint(self, field: str) -> str:
        raise NotImplementedError

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        ctx.checked = (
            len(graph.goals) + len(graph.people) + len(graph.projects) + len(graph.reviews)
        )
        seen: Counter[tuple[str, str, str]] = Counter()
        for problem in graph.problems:
            if problem.kind != self.problem:
                continue
            key = (problem.entity.kind, problem.entity.id, problem.field)
            seen[key] += 1
            evidence: dict[str, object] = {"field": problem.field, "value": problem.value}
            if problem.first_location is not None:
                evidence["first"] = problem.first_location.cell
            yield ctx.finding(
                problem.entity,
                f"{problem.location.sheet} row {problem.location.row}: {problem.message}",
                location=problem.location,
                related=problem.related,
                evidence=evidence,
                hint=self.hint(problem.field),
                # Several problems of one entity and field (three rows sharing an id) stay
                # distinct by their order.
                discriminator=f"{problem.field}#{seen[key]}",
            )


class DuplicateId(_LoadProblemRule):
    """What it checks:
    Two rows of one sheet share an id. The first row is kept; each later row is flagged
    and left out of every other check, with the first row's cell named.

    Why it matters:
    Links (parents, owners, projects) name goals and people by id. When two rows share
    one, a link cannot tell which is meant, and every count built on the sheet is wrong.

    How to fix:
    Give the later row an id of its own, or delete it if it is a copy.

    Example:
    Goals!A14 holds G-07, already used at Goals!A9: row 14 is left out and flagged.
    """

    code = "AH001"
    name = "duplicate-id"
    summary = "Two rows of one sheet share an id"
    default_severity = Severity.CRITICAL
    problem = "duplicate-id"

    def hint(self, field: str) -> str:
        return "Give this row an id of its own, or delete it if it is a copy"


class InvalidValue(_LoadProblemRule):
    """What it checks:
    A cell that cannot be read as its field's type: a date that is not a date (or an
    ambiguous one such as 03/04/2026), a number that is not a number, an unknown status,
    priority or kind, an Excel error value (#REF!, #N/A). Unknown level names are AH305.

    Why it matters:
    The rules that need the value cannot check the row; a date rule that silently skips a
    misspelt date passes a goal it should have flagged.

    How to fix:
    Correct the cell. For text dates, write them as 2026-11-15, or set
    ``date-order = "day-first"`` (or ``"month-first"``) in the ruleset's [settings].

    Example:
    Goals!G12 holds "Purple" in the Status column: AH002 names the cell and lists the
    statuses that are understood.
    """

    code = "AH002"
    name = "invalid-value"
    summary = "A cell cannot be read as its field's type"
    default_severity = Severity.HIGH
    problem = "invalid-value"

    def hint(self, field: str) -> str:
        return f"Correct the {field} cell; see the message for the values understood"


class MissingRequired(_LoadProblemRule):
    """What it checks:
    A row that has data but no id (it is left out), or a goal with no title (it is kept).
    On a Reviews sheet, a review that names no goal.

    Why it matters:
    A row with no id cannot be linked to or checked; a goal with no title cannot be
    understood by the leaders who must act on it.

    How to fix:
    Fill in the id or title, or clear the row if it is a leftover.

    Example:
    Goals!A30 is blank while B30:F30 hold a goal: the row is flagged and left out.
    """

    code = "AH003"
    name = "missing-required"
    summary = "A row has data but no id, or a goal has no title"
    default_severity = Severity.HIGH
    problem = "missing-required"

    def hint(self, field: str) -> str:
        return f"Fill in the {field}, or clear the row if it is a leftover"


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [DuplicateId, InvalidValue, MissingRequired]
