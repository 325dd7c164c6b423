"""The combined summary of one check of several workbooks: how each fared, and the totals.

A firm that checks a portfolio of client workbooks reads this first: which workbooks
could not be read (they need a fresh copy before anything else), which are least healthy,
and how many findings there are in all. Each workbook's own report is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from alignhealth.findings import Severity
from alignhealth.runresult import RunResult


class WorkbookOutcome(BaseModel):
    """One workbook of the check, as the combined summary lists it."""

    path: str
    exit_code: int
    #: Whether the workbook was read and its rules run.
    checked: bool
    #: Findings not suppressed.
    findings: int
    health_score: int | None = None
    band: str | None = None
    #: Why the workbook was not read, or what else went wrong (the errors' messages).
    errors: list[str] = []

    def reason(self) -> str:
        """The errors' messages, each without the path it starts with (the workbook is
        named beside them)."""
        return "; ".join(message.removeprefix(f"{self.path}: ") for message in self.errors)


class Portfolio(BaseModel):
    """Totals over the workbooks, and each workbook's outcome, worst first: those not read
    (in the order given), then by health score, lowest first (in the order given at a tie),
    then those checked without a score."""

    workbooks: int
    checked: int
    not_read: int
    #: Workbooks checked with a finding that is not suppressed.
    with_findings: int
    findings: int
    by_severity: dict[str, int]
    by_workbook: list[WorkbookOutcome]

    def headline(self) -> str:
        """One line of totals: ``3 workbooks: 2 checked, 1 not read; 7 finding(s): ...``."""
        read = f"{self.workbooks} workbooks: {self.checked} checked"
        if self.not_read:
            read += f", {self.not_read} not read"
        counts = ", ".join(f"{n:,} {name}" for name, n in self.by_severity.items() if n)
        return f"{read}; {self.findings:,} finding(s)" + (f": {counts}" if counts else "")


def combine(results: Sequence[RunResult]) -> Portfolio:
    """The combined summary of ``results``, one per workbook, in the order they were given."""
    by_severity = {severity.value: 0 for severity in Severity}
    outcomes: list[WorkbookOutcome] = []
    for result in results:
        checked = result.source.sha256 is not None
        active = result.active_findings()
        for finding in active:
            by_severity[finding.severity.value] += 1
        summary = result.summary
        outcomes.append(
            WorkbookOutcome(
                path=result.source.path,
                exit_code=result.exit_code,
                checked=checked,
                findings=len(active),
                health_score=summary.health_score if checked else None,
                band=summary.band if checked else None,
                errors=[error.message for error in result.errors],
            )
        )

    def need(outcome: WorkbookOutcome) -> tuple[int, int]:
        if not outcome.checked:
            return (0, 0)
        if outcome.health_score is None:
            return (2, 0)
        return (1, outcome.health_score)

    read = sum(outcome.checked for outcome in outcomes)
    return Portfolio(
        workbooks=len(outcomes),
        checked=read,
        not_read=len(outcomes) - read,
        with_findings=sum(1 for outcome in outcomes if outcome.checked and outcome.findings),
        findings=sum(by_severity.values()),
        by_severity=by_severity,
        by_workbook=sorted(outcomes, key=need),  # stable: the given order at a tie
    )
