"""The combined summary of one check of several workbooks: how each fared, and the totals;
and the names their files are written under.

A firm that checks a portfolio of client workbooks reads this first: which workbooks
could not be read (they need a fresh copy before anything else), which are least healthy,
and how many findings there are in all. Each workbook's own report is unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path, PurePath

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


def display_names(workbooks: Sequence[Path], key: Callable[[Path], str]) -> dict[Path, str]:
    """What to call each workbook in output and mail: its file name, or its ``key`` (a
    path) where another of ``workbooks`` has the same file name (``clients/acme/goals.xlsx``
    beside ``clients/beta/goals.xlsx``). Their files are named by :func:`file_stems`."""
    counts = Counter(w.name for w in workbooks)
    return {w: w.name if counts[w.name] == 1 else key(w) for w in workbooks}


def file_stems(workbooks: Sequence[Path], key: Callable[[Path], str]) -> dict[Path, str]:
    """The name each workbook's report files start with, unique among ``workbooks``: its
    file name without the suffix where no other workbook's is the same. Where two share
    one (``clients/acme/goals.xlsx`` beside ``clients/beta/goals.xlsx``), each is named
    for its ``key`` (a path: the separators become dashes, ``clients-acme-goals``), with
    its suffix where that is still shared (``goals.xlsx`` beside ``goals.csv``), and
    numbered where even that is, so that no workbook's reports are written over by
    another's."""

    def flat(text: str) -> str:
        return "-".join(part for part in re.split(r"[/\\:]+", text) if part)

    def by_path(workbook: Path) -> str:
        return flat(str(PurePath(key(workbook)).with_suffix("")))

    def with_suffix(workbook: Path) -> str:
        return flat(key(workbook)).replace(".", "-")

    counts = Counter(w.stem for w in workbooks)
    stems = {w: w.stem for w in workbooks if counts[w.stem] == 1}
    used = set(stems.values())
    shared = [w for w in workbooks if counts[w.stem] > 1]
    for name in (by_path, with_suffix):
        proposed = {w: name(w) for w in shared}
        tally = Counter(proposed.values())
        for workbook in shared:
            if tally[proposed[workbook]] == 1 and proposed[workbook] not in used:
                stems[workbook] = proposed[workbook]
                used.add(proposed[workbook])
        shared = [w for w in shared if w not in stems]
    for workbook in shared:
        number = 1
        while f"{with_suffix(workbook)}-{number}" in used:
            number += 1
        stems[workbook] = f"{with_suffix(workbook)}-{number}"
        used.add(stems[workbook])
    return {w: stems[w] for w in workbooks}
