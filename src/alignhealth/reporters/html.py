"""``--format html``: one self-contained page for the client's leadership.

Summary and score, per-leader scorecards, the goal tree drawn as SVG with flagged goals
coloured by severity, the findings table, and what was skipped. No external assets and no
JavaScript; readable when printed. Everything from the workbook is escaped (Jinja2
autoescape).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from alignhealth.findings import Severity
from alignhealth.reporters import tree
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.rows import owner_names
from alignhealth.runresult import RunResult

COLOURS = {
    Severity.CRITICAL: "#7b1fa2",
    Severity.HIGH: "#d32f2f",
    Severity.MEDIUM: "#ef6c00",
    Severity.LOW: "#0277bd",
    Severity.INFO: "#546e7a",
}
BANDS = {"excellent": "#2e7d32", "good": "#558b2f", "fair": "#ef6c00", "poor": "#c62828"}
SCORECARD_FINDINGS = 5
#: The leaders given a scorecard, worst first: a workbook of 100,000 goals has tens of
#: thousands of owners, whose cards no meeting reads (the Excel report lists them all).
MAX_SCORECARDS = 200


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alignhealth.reporters", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["truncate_text"] = lambda text, n: text if len(text) <= n else text[: n - 1] + "…"
    return env


class HtmlReporter(Reporter):
    name = "html"
    uses_graph = True  # the goal tree is drawn from it
    description = "a self-contained HTML report with the goal tree and leader scorecards"

    def context(self, result: RunResult) -> dict[str, Any]:
        active = result.active_findings()
        worst: dict[str, Severity] = {}
        counts: dict[str, int] = {}
        for finding in active:
            if finding.entity.kind != "goal":
                continue
            goal = finding.entity.id
            counts[goal] = counts.get(goal, 0) + 1
            if goal not in worst or finding.severity.weight > worst[goal].weight:
                worst[goal] = finding.severity
        drawing = tree.layout(result.graph, worst, counts) if result.graph is not None else None
        names = owner_names(result)
        by_owner: dict[str, list[Any]] = {}
        for finding in active:
            if finding.owner:
                by_owner.setdefault(finding.owner, []).append(finding)
        scorecards = [
            {
                "entry": entry,
                "findings": by_owner.get(entry.id, [])[:SCORECARD_FINDINGS],
                "total": len(by_owner.get(entry.id, [])),
                "more": max(0, len(by_owner.get(entry.id, [])) - SCORECARD_FINDINGS),
            }
            for entry in result.summary.by_owner[:MAX_SCORECARDS]
        ]
        rest = result.summary.by_owner[MAX_SCORECARDS:]
        return {
            "result": result,
            "summary": result.summary,
            "active": active,
            "suppressed": [f for f in result.findings if f.suppressed],
            "severities": list(Severity),
            "colours": {s.value: c for s, c in COLOURS.items()},
            "bands": BANDS,
            "names": names,
            "scorecards": scorecards,
            "more_leaders": len(rest),
            "more_below_100": sum(1 for e in rest if e.score is not None and e.score < 100),
            "tree": drawing,
            "node_width": tree.NODE_WIDTH,
            "node_height": tree.NODE_HEIGHT,
            "skipped": [o for o in result.outcomes if o.status == "skipped"],
            "crashed": [o for o in result.outcomes if o.status == "error"],
        }

    def render(self, result: RunResult) -> str:
        template = _environment().get_template("report.html.j2")
        return template.render(**self.context(result))

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        raise NotImplementedError("html writes one file per workbook: give a PATH with {stem}")
