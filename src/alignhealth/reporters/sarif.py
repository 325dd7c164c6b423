"""``--format sarif``: SARIF 2.1.0 for code-scanning tools.

A cell is not a line of text: each result names the workbook as its artifact and the cell
(``Goals!C18``) as a logical location, with sheet, row and column in its properties.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO
from urllib.parse import quote

from alignhealth import __version__
from alignhealth.findings import Finding, Severity
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.json import list_items, pretty_json, write_spliced
from alignhealth.runresult import RunResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


#: The results :meth:`SarifReporter.write` encodes at a time (about 6 MB of text).
RESULTS_AT_ONCE = 5_000


def artifact_uri(path: str) -> str:
    """A relative URI reference for a file path (forward slashes, spaces escaped)."""
    return quote(path.replace("\\", "/"), safe="/:._-~")


class SarifReporter(Reporter):
    name = "sarif"
    uses_graph = False
    description = "SARIF 2.1.0, locating findings by workbook and cell"

    def render(self, result: RunResult) -> str:
        return self.render_many([result], result.exit_code)

    def write(self, result: RunResult, out: BinaryIO) -> None:
        """The log :meth:`render` makes, byte for byte, its results made and written
        :data:`RESULTS_AT_ONCE` at a time, never held whole."""
        findings = result.findings
        if len(findings) <= RESULTS_AT_ONCE:
            super().write(result, out)
            return
        run = self._run(result, with_results=False)
        uri, index = run["artifacts"][0]["location"]["uri"], self._index(result)

        def pieces() -> Iterator[str]:
            # A run's results are set out eight spaces in, where a list alone has its
            # items two spaces in.
            for at in range(0, len(findings), RESULTS_AT_ONCE):
                chunk = findings[at : at + RESULTS_AT_ONCE]
                text = pretty_json([self._result(f, uri, index) for f in chunk])
                yield list_items(text, "[", "\n]\n").replace("\n", "\n      ")

        document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
        write_spliced(out, pretty_json(document), "results", 6, pieces())

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        document = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [self._run(result) for result in results],
        }
        return pretty_json(document)

    @staticmethod
    def _index(result: RunResult) -> dict[str, int]:
        """Each rule's place among the driver's rules (a result's ``ruleIndex``)."""
        return {outcome.code: number for number, outcome in enumerate(result.outcomes)}

    def _run(self, result: RunResult, with_results: bool = True) -> dict[str, Any]:
        rules: list[dict[str, Any]] = []
        index = self._index(result)
        for outcome in result.outcomes:
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
            "results": [self._result(f, uri, index) for f in result.findings]
            if with_results
            else [],
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
