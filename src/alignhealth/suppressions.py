"""Apply a ruleset's ``[[suppress]]`` entries to findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from alignhealth.findings import Finding, SuppressionInfo
from alignhealth.rules.registry import RuleRegistry
from alignhealth.rules.selection import resolve
from alignhealth.ruleset import Suppression


@dataclass
class SuppressionUse:
    """How one suppression fared in a run."""

    suppression: Suppression
    matched: int = 0
    expired: bool = False


def apply_suppressions(
    findings: Sequence[Finding],
    suppressions: Sequence[Suppression],
    registry: RuleRegistry,
    as_of: dt.date,
) -> list[SuppressionUse]:
    """Mark each finding a live suppression covers; report how each suppression fared.

    A suppression whose expiry is before the as-of date no longer applies (the finding
    shows again). Entity patterns are globs matched against the entity id, case-sensitive.
    """
    uses = []
    for suppression in suppressions:
        entry = suppression.entry
        use = SuppressionUse(
            suppression, expired=entry.expires is not None and entry.expires < as_of
        )
        uses.append(use)
        codes: set[str] = set()
        for selector in entry.rules:
            codes |= resolve(registry, selector, f"{suppression.source}: [[suppress]]").codes
        for finding in findings:
            if finding.code not in codes:
                continue
            if not any(fnmatchcase(finding.entity.id, pattern) for pattern in entry.entities):
                continue
            use.matched += 1
            if use.expired or finding.suppressed:
                continue
            finding.suppressed = True
            finding.suppression = SuppressionInfo(
                reason=entry.reason, expires=entry.expires, source=suppression.source
            )
    return uses
