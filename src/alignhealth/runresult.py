"""The configuration a run is made with and the result it returns (the JSON contract)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from alignhealth.findings import Finding, Notice, RuleOutcome, RunError, Severity
from alignhealth.loaders.mapping import InputMapping
from alignhealth.progress import Progress
from alignhealth.rules.base import RuleOptions
from alignhealth.ruleset import ResolvedRuleset
from alignhealth.settings import Settings

SCHEMA_VERSION = 1


@dataclass
class RunConfig:
    """Everything resolved before the workbook is read: what hooks receive as ``config``."""

    ruleset: ResolvedRuleset
    settings: Settings
    selected: list[str]
    severities: dict[str, Severity]
    options: dict[str, RuleOptions]
    mapping: InputMapping
    fail_on: Severity = Severity.LOW
    extra: dict[str, Any] = field(default_factory=dict)
    #: Where long loads and checks report progress (the CLI's display on a terminal).
    progress: Progress | None = None
    #: Processes the rules of a large workbook may be shared among (this one included).
    jobs: int = 1


class ToolInfo(BaseModel):
    name: str = "alignhealth"
    version: str


class SourceInfo(BaseModel):
    path: str
    sha256: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)


class RulesetInfo(BaseModel):
    name: str
    selected: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


# The scores are plain slotted dataclasses (pydantic serializes and validates them like
# models): a large workbook has tens of thousands of owners, and a model per owner cost
# more than the rest of the summary.


@dataclass(slots=True, kw_only=True)
class FamilyDrag:
    """A rule family and how many goals its findings make unhealthy."""

    group: str
    goals: int


@dataclass(slots=True, kw_only=True)
class ScoreEntry:
    score: int | None
    band: str | None
    checked: int = 0
    findings: int = 0
    drags: list[FamilyDrag] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class OwnerScore(ScoreEntry):
    id: str
    name: str | None = None


@dataclass(slots=True, kw_only=True)
class LevelScore(ScoreEntry):
    level: str
    rank: int


class Summary(BaseModel):
    by_severity: dict[str, int]
    health_score: int | None = None
    band: str | None = None
    checked: int = 0
    drags: list[FamilyDrag] = Field(default_factory=list)
    by_owner: list[OwnerScore] = Field(default_factory=list)
    by_level: list[LevelScore] = Field(default_factory=list)
    suppressed: int = 0
    incomplete: bool = False


class RunResult(BaseModel):
    """One run over one workbook, exactly as ``--format json`` writes it."""

    schema_version: int = SCHEMA_VERSION
    tool: ToolInfo
    as_of: dt.date
    source: SourceInfo
    ruleset: RulesetInfo
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[RuleOutcome] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    errors: list[RunError] = Field(default_factory=list)
    summary: Summary
    exit_code: int = 0
    #: The graph the rules ran on, for reporters that draw the tree or look up owners; it
    #: is never serialised.
    graph: Any = Field(default=None, exclude=True, repr=False)

    def active_findings(self) -> list[Finding]:
        """Findings that are not suppressed."""
        return [f for f in self.findings if not f.suppressed]
