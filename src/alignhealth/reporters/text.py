"""``--format text``: findings grouped by severity, each with its cell and a hint."""

from __future__ import annotations

from collections.abc import Sequence

import click

from alignhealth.findings import Finding, Severity
from alignhealth.portfolio import WorkbookOutcome, combine
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.safe import terminal_safe
from alignhealth.runresult import RunResult

OWNERS_SHOWN = 10
#: Past this many findings the text report says how to count or browse them instead.
MANY_FINDINGS = 500
_COLOURS = {
    Severity.CRITICAL: "magenta",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "white",
}


class TextReporter(Reporter):
    name = "text"
    uses_graph = False
    human = True
    description = "a human summary, grouped by severity (the default)"

    def style(self, text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if self.color else text  # type: ignore[arg-type]

    def colour(self, severity: Severity) -> str:
        """The colour a severity is shown in."""
        return _COLOURS[severity]

    def _heading(self, result: RunResult) -> list[str]:
        """The workbook, as-of date and ruleset, the run's errors, and whether it was read."""
        workbook = terminal_safe(result.source.path)
        lines = [
            self.style(f"{workbook}", bold=True)
            + f"  as of {result.as_of.isoformat()}  ruleset {terminal_safe(result.ruleset.name)}"
        ]
        for error in result.errors:
            lines.append(self.style("error: ", fg="red", bold=True) + terminal_safe(error.message))
        if result.source.sha256 is None:
            lines.append("not checked: the workbook could not be read (see the error above)")
        return lines

    def render(self, result: RunResult) -> str:
        lines = self._heading(result)
        if result.source.sha256 is None:
            return "\n".join(lines) + "\n"
        active = result.active_findings()
        for severity in Severity:
            group = [f for f in active if f.severity is severity]
            if not group:
                continue
            lines.append("")
            lines.append(
                self.style(
                    f"{severity.value.upper()} ({len(group)})", fg=self.colour(severity), bold=True
                )
            )
            lines.extend(self._finding(f) for f in group)
        if self.quiet:
            lines += ["", self._summary(result, active)]
            return "\n".join(lines) + "\n"
        lines.extend(self._health(result))
        if result.notices:
            lines += ["", self.style("Reading the workbook", bold=True)]
            for notice in result.notices:
                lines.append(f"  {terminal_safe(notice.message)}")
                if notice.cells:
                    shown = ", ".join(terminal_safe(c) for c in notice.cells[:6])
                    more = notice.count - min(len(notice.cells), 6)
                    lines.append(f"      {shown}" + (f" (+{more:,} more)" if more > 0 else ""))
        skipped = [o for o in result.outcomes if o.status == "skipped"]
        if skipped:
            lines.append("")
            lines.append(self.style("Skipped rules", bold=True))
            for outcome in skipped:
                lines.append(f"  {outcome.code} {outcome.name}: {outcome.reason}")
        lines.append("")
        lines.append(self._summary(result, active))
        if len(active) > MANY_FINDINGS:
            lines.append(
                self.style(
                    "Too many to read one by one? --format statistics counts them by rule; "
                    "--format html or xlsx makes a report to browse.",
                    dim=True,
                )
            )
        return "\n".join(lines) + "\n"

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        """Each workbook's report, then what is said of them together."""
        together = self._together(results)
        return "\n".join([*(self.render(result) for result in results), *together]) + "\n"

    def _together(self, results: Sequence[RunResult]) -> list[str]:
        """The combined summary: every workbook, worst first, and the totals."""
        portfolio = combine(results)
        lines = ["", self.style(f"Summary of {portfolio.workbooks} workbooks", bold=True)]
        lines.append(f"  {'score':>5}  {'band':<9}  {'findings':>8}  workbook")
        for outcome in portfolio.by_workbook:
            lines.append(self._outcome(outcome))
        lines.append(portfolio.headline() + ".")
        return lines

    def _outcome(self, outcome: WorkbookOutcome) -> str:
        path = terminal_safe(outcome.path)
        if not outcome.checked:
            why = terminal_safe(outcome.reason())
            return f"  {'-':>5}  {'not read':<9}  {'-':>8}  {path}: {why}"
        score = "-" if outcome.health_score is None else str(outcome.health_score)
        return f"  {score:>5}  {outcome.band or '':<9}  {outcome.findings:>8,}  {path}"

    def _finding(self, finding: Finding) -> str:
        cell = finding.location.cell if finding.location and finding.location.cell else "-"
        head = (
            f"  {self.style(terminal_safe(cell), bold=True)}  "
            f"{self.style(finding.code, fg=self.colour(finding.severity))} "
            f"{finding.name}  {terminal_safe(finding.message)}"
        )
        if finding.hint:
            head += "\n      " + self.style("hint: ", dim=True) + terminal_safe(finding.hint)
        return head

    def _health(self, result: RunResult) -> list[str]:
        summary = result.summary
        if summary.health_score is None:
            return []
        lines = ["", self.style("Health", bold=True)]
        if summary.drags:
            drags = ", ".join(f"{d.group} ({d.goals} goals)" for d in summary.drags)
            lines.append(f"  dragged down most by: {drags}")
        if summary.by_level:
            width = max(len(terminal_safe(e.level)) for e in summary.by_level)
            lines.append("  by level:")
            for entry in summary.by_level:
                lines.append(
                    f"    {terminal_safe(entry.level).ljust(width)}  {entry.score:>3}  "
                    f"{(entry.band or '').ljust(9)}  {entry.checked} goals"
                )
        owners = [e for e in summary.by_owner if e.score is not None and e.score < 100]
        if owners:
            lines.append(
                f"  owners below 100 (worst first, {len(owners)} of {len(summary.by_owner)}):"
            )
            for owner in owners[:OWNERS_SHOWN]:
                name = terminal_safe(f"{owner.name} ({owner.id})" if owner.name else owner.id)
                drags = ", ".join(d.group for d in owner.drags)
                lines.append(
                    f"    {name[:40].ljust(40)}  {owner.score:>3}  {(owner.band or '').ljust(9)}"
                    f"  {owner.checked} goals, {owner.findings} findings"
                    + (f"; {drags}" if drags else "")
                )
            if len(owners) > OWNERS_SHOWN:
                lines.append(f"    ... and {len(owners) - OWNERS_SHOWN} more (see --format json)")
        return lines

    def _summary(self, result: RunResult, active: Sequence[Finding]) -> str:
        summary = result.summary
        counts = (
            ", ".join(f"{n:,} {name}" for name, n in summary.by_severity.items() if n)
            or "no findings"
        )
        parts = [f"{len(active):,} finding(s): {counts}"]
        if summary.suppressed:
            parts.append(f"{summary.suppressed:,} suppressed")
        if summary.health_score is not None:
            parts.append(
                f"health score {summary.health_score}/100 ({summary.band}) over "
                f"{summary.checked:,} goals"
            )
        if summary.incomplete and not result.errors:
            parts.append(self.style("INCOMPLETE: a rule crashed (see AH901)", fg="red", bold=True))
        return ". ".join(parts) + "."
