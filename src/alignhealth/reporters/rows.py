"""One row per finding, the shape every tabular format (CSV, xlsx, Markdown) writes."""

from __future__ import annotations

from typing import Any

from alignhealth.findings import Finding
from alignhealth.runresult import RunResult

COLUMNS = [
    "severity",
    "code",
    "rule",
    "message",
    "entity_kind",
    "entity_id",
    "entity_label",
    "owner",
    "owner_name",
    "workbook",
    "sheet",
    "row",
    "column",
    "cell",
    "hint",
    "suppressed",
    "suppression_reason",
    "plugin",
    "fingerprint",
]


def owner_names(result: RunResult) -> dict[str, str]:
    """Owner id -> name, from the summary."""
    return {entry.id: entry.name for entry in result.summary.by_owner if entry.name}


def finding_row(finding: Finding, names: dict[str, str]) -> dict[str, Any]:
    location = finding.location
    return {
        "severity": finding.severity.value,
        "code": finding.code,
        "rule": finding.name,
        "message": finding.message,
        "entity_kind": finding.entity.kind,
        "entity_id": finding.entity.id,
        "entity_label": finding.entity.label or "",
        "owner": finding.owner or "",
        "owner_name": names.get(finding.owner or "", ""),
        "workbook": location.workbook if location else "",
        "sheet": location.sheet or "" if location else "",
        "row": location.row if location and location.row else "",
        "column": location.column or "" if location else "",
        "cell": location.cell or "" if location else "",
        "hint": finding.hint or "",
        "suppressed": finding.suppressed,
        "suppression_reason": finding.suppression.reason if finding.suppression else "",
        "plugin": finding.plugin,
        "fingerprint": finding.fingerprint,
    }


def finding_rows(result: RunResult) -> list[dict[str, Any]]:
    names = owner_names(result)
    return [finding_row(f, names) for f in result.findings]
