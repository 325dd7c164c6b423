"""``--format markdown``: a summary and a findings table, to paste into a ticket or wiki."""

from __future__ import annotations

import re
from collections.abc import Sequence

from alignhealth.findings import Severity
from alignhealth.portfolio import combine
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.rows import owner_names
from alignhealth.runresult import RunResult

# What could start markup inside a table cell: emphasis, code, links, raw HTML, the pipe.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(text: str) -> str:
    """Text that renders as itself in a Markdown table cell: no markup, no raw HTML,
    no line breaks."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    return _SPECIAL.sub(r"\\\1", text)


class MarkdownReporter(Reporter):
    name = "markdown"
    uses_graph = False
    description = "a summary and a findings table for a ticket or a wiki page"

    def render(self, result: RunResult) -> str:
        summary = result.summary
        lines = [f"## alignhealth: {md(result.source.path)}", ""]
        lines.append(f"As of {result.as_of.isoformat()}, ruleset {md(result.ruleset.name)}.")
        if summary.health_score is not None:
            lines.append(
                f"Health score **{summary.health_score}/100** ({summary.band}) over "
                f"{summary.checked} goals."
            )
        for error in result.errors:
            lines.append(f"\n> **Error:** {md(error.message)}")
        counts = ", ".join(f"{n} {s}" for s, n in summary.by_severity.items() if n)
        lines += [
            "",
            f"**{len(result.active_findings())} finding(s)**: {counts or 'none'}"
            + (f"; {summary.suppressed} suppressed" if summary.suppressed else ""),
            "",
        ]
        active = result.active_findings()
        if active:
            names = owner_names(result)
            lines += [
                "| severity | rule | cell | finding | owner | hint |",
                "|---|---|---|---|---|---|",
            ]
            for severity in Severity:
                for f in (f for f in active if f.severity is severity):
                    cell = f.location.cell if f.location and f.location.cell else ""
                    owner = names.get(f.owner or "", f.owner or "")
                    lines.append(
                        f"| {severity.value} | {f.code} {f.name} | {md(cell)} | "
                        f"{md(f.message)} | {md(owner)} | {md(f.hint or '')} |"
                    )
        skipped = [o for o in result.outcomes if o.status == "skipped"]
        if skipped:
            lines += [
                "",
                "Skipped: " + "; ".join(f"{o.code} ({md(o.reason or '')})" for o in skipped),
            ]
        return "\n".join(lines) + "\n"

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        """Each workbook's section, then the combined summary, worst first."""
        portfolio = combine(results)
        lines = [
            "",
            f"## alignhealth: summary of {portfolio.workbooks} workbooks",
            "",
            f"{md(portfolio.headline())}.",
            "",
            "| workbook | health score | findings | not read because |",
            "|---|---|---|---|",
        ]
        for outcome in portfolio.by_workbook:
            if outcome.checked:
                score = "" if outcome.health_score is None else str(outcome.health_score)
                health = f"{score} ({outcome.band})" if outcome.band else score
                lines.append(f"| {md(outcome.path)} | {health} | {outcome.findings} | |")
            else:
                lines.append(f"| {md(outcome.path)} | | | {md(outcome.reason())} |")
        return "\n".join([*(self.render(result) for result in results), *lines]) + "\n"
