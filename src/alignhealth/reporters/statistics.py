"""``--format statistics``: how many findings each rule made, most first (as ruff's
``--statistics``), for a workbook whose findings are too many to read one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from alignhealth.findings import Finding, Severity
from alignhealth.portfolio import combine
from alignhealth.reporters.safe import terminal_safe
from alignhealth.reporters.text import TextReporter
from alignhealth.runresult import RunResult


class StatisticsReporter(TextReporter):
    name = "statistics"
    description = "the number of findings of each rule, most first"

    def render(self, result: RunResult) -> str:
        lines = self._heading(result)
        if result.source.sha256 is None:
            return "\n".join(lines) + "\n"
        active = result.active_findings()
        lines += ["", *self._table(active), "", self._summary(result, active)]
        return "\n".join(lines) + "\n"

    def _together(self, results: Sequence[RunResult]) -> list[str]:
        """Every workbook's findings counted together, and the totals."""
        portfolio = combine(results)
        every = [f for result in results for f in result.active_findings()]
        lines = ["", self.style(f"All {portfolio.workbooks} workbooks", bold=True)]
        return [*lines, *self._table(every), portfolio.headline() + "."]

    def _table(self, findings: Iterable[Finding]) -> list[str]:
        """A line per rule with findings: how many, its code, severity and name; most
        first, then by code. A rule whose findings differ in severity shows its highest."""
        counts: Counter[str] = Counter()
        about: dict[str, tuple[Severity, str]] = {}
        for finding in findings:
            counts[finding.code] += 1
            seen = about.get(finding.code)
            if seen is None or finding.severity.weight > seen[0].weight:
                about[finding.code] = (finding.severity, finding.name)
        if not counts:
            return ["  no findings"]
        width = max(5, len(f"{max(counts.values()):,}"))
        code_width = max(4, *(len(terminal_safe(code)) for code in counts))
        lines = [f"  {'count':>{width}}  {'code':<{code_width}}  {'severity':<8}  rule"]
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            severity, name = about[code]
            lines.append(
                f"  {count:>{width},}  "
                + self.style(terminal_safe(code).ljust(code_width), fg=self.colour(severity))
                + f"  {severity.value:<8}  {terminal_safe(name)}"
            )
        return lines
