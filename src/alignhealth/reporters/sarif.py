"""``--format sarif``: SARIF 2.1.0 for code-scanning tools.

A cell is not a line of text: each result names the workbook as its artifact and the cell
(``Goals!C18``) as a logical location, with sheet, row and column in its properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from alignhealth import __version__
from alignhealth.findings import Finding, Severity
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.json import pretty_json
from alignhealth.runresult import RunResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def artifact_uri(path: str) -> str:
    """A relative URI reference for a file path (forward slashes, spaces escaped)."""
    return quote(path.replace("\\", "/"), safe="/:._-~")


class SarifReporter(Reporter):
    name = "sarif"
    uses_graph = False
    description = "SARIF 2.1.0, locating findings by workbook and cell"

    def render(self, result: RunResult) -> str:
        return self.render_many([result], result.exit_code)

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        document = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [self._run(result) for result in results],
        }
        return pretty_json(document)

    def _run(self, result: RunResult) -> dict[str, Any]:
        rules: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        for outcome in result.outcomes:
            index[outcome.code] = len(rules)
            rules.append(
                {
                    "id": outcome.code,
                    "name": outcome.name,
                    "shortDescription": {"text": outcome.summary or outcome.name},
                    "defaultConfiguration": {
                        "level": LEVELS[outcome.severity or Severity.MEDIUM],
                    },
                    "properties": {"plugin": outcome.plugin, "tags": outcome.groups},
                }
            )
        uri = artifact_uri(result.source.path)
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "alignhealth",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "rules": rules,
                }
            },
            "artifacts": [{"location": {"uri": uri}}],
            "results": [self._result(f, uri, index) for f in result.findings],
            "invocations": [self._invocation(result)],
            "properties": {
                "asOf": result.as_of.isoformat(),
                "ruleset": result.ruleset.name,
                "healthScore": result.summary.health_score,
                "incomplete": result.summary.incomplete,
            },
        }
        return run

    def _result(self, finding: Finding, uri: str, index: dict[str, int]) -> dict[str, Any]:
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": {"uri": uri, "index": 0}},
        }
        loc = finding.location
        properties: dict[str, Any] = {
            "severity": finding.severity.value,
            "entity": finding.entity.model_dump(),
            "plugin": finding.plugin,
        }
        if loc is not None and loc.cell:
            location["logicalLocations"] = [
                {"fullyQualifiedName": loc.cell, "name": loc.cell, "kind": "element"}
            ]
            properties.update(sheet=loc.sheet, row=loc.row, column=loc.column, cell=loc.cell)
        if finding.owner:
            properties["owner"] = finding.owner
        entry: dict[str, Any] = {
            "ruleId": finding.code,
            "level": LEVELS[finding.severity],
            "message": {
                "text": finding.message + (f" Hint: {finding.hint}" if finding.hint else "")
            },
            "locations": [location],
            "partialFingerprints": {"alignhealth/v1": finding.fingerprint},
            "properties": properties,
        }
        if finding.code in index:
            entry["ruleIndex"] = index[finding.code]
        if finding.suppressed and finding.suppression is not None:
            entry["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": finding.suppression.reason,
                }
            ]
        return entry

    def _invocation(self, result: RunResult) -> dict[str, Any]:
        notifications = [
            {
                "level": "error",
                "message": {"text": f"rule {o.code} crashed: {o.reason}"},
                "descriptor": {"id": o.code},
            }
            for o in result.outcomes
            if o.status == "error"
        ]
        notifications += [
            {"level": "error", "message": {"text": e.message}, "descriptor": {"id": e.code}}
            for e in result.errors
        ]
        invocation: dict[str, Any] = {
            "executionSuccessful": not result.summary.incomplete and not result.errors,
            "exitCode": result.exit_code,
        }
        if notifications:
            invocation["toolExecutionNotifications"] = notifications
        return invocation
