"""What a run produces: severities, locations, findings, rule outcomes and the run result."""

from __future__ import annotations

import hashlib
import pickle
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, computed_field


class Severity(StrEnum):
    """How much a finding matters; ordered from most to least severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def weight(self) -> int:
        """Larger is more severe (critical 4 .. info 0)."""
        return _WEIGHTS[self]

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """Read a severity from its name, case-insensitively."""
        if isinstance(value, Severity):
            return value
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {value!r}; use one of {names}") from None


_WEIGHTS = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


def quote_sheet(sheet: str) -> str:
    """Quote a sheet name as Excel does in a reference when it holds spaces or punctuation."""
    if sheet.replace("_", "a").isalnum() and not sheet[:1].isdigit():
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


@cache
def _every_field(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def share_fields_set(model: BaseModel) -> None:
    """Give ``model`` its class's one set of every field name as the set of the fields it
    was given, for the models a run makes by the million (a finding, its entity and
    location).

    pydantic keeps a set per model of the fields given to it, for ``exclude_unset``,
    which nothing here asks for: a finding's (nine names or more) took 728 of its 2,826
    bytes. One set of every name is the same to pydantic (a field set later is in it
    already, so the set is never added to; a copy gets a set of its own).
    """
    object.__setattr__(model, "__pydantic_fields_set__", _every_field(type(model)))


class SourceLocation(BaseModel):
    """Where an entity or value came from: the workbook, sheet, 1-based row and column letter."""

    model_config = ConfigDict(frozen=True)

    workbook: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    # Worked out, not stored: a location is made for every finding, and a stored cell cost
    # its text and, as a fifth field, a set of the fields given four times the size (pydantic
    # keeps one per model): 570 of the 3,300 bytes of a finding.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def cell(self) -> str | None:
        """The reference as Excel writes it: a cell (``Goals!C12``, ``'Goal tree'!C12``),
        or the whole row (``Goals!12:12``) where the sheet lacks the field; None for a
        whole workbook or sheet."""
        if self.sheet is None or self.row is None:
            return None
        ref = f"{self.column}{self.row}" if self.column else f"{self.row}:{self.row}"
        return f"{quote_sheet(self.sheet)}!{ref}"

    def model_post_init(self, __context: Any) -> None:
        share_fields_set(self)

    @classmethod
    def at(cls, workbook: str, sheet: str, row: int, column: str | None) -> SourceLocation:
        """A cell (``Goals!C12``), or the whole row (``Goals!12:12``) when there is no column."""
        return cls(workbook=workbook, sheet=sheet, row=row, column=column)


class EntityRef(BaseModel):
    """The thing a finding is about: a goal, person, project, level, rule or suppression."""

    model_config = ConfigDict(frozen=True)

    kind: str
    id: str
    label: str | None = None

    def model_post_init(self, __context: Any) -> None:
        share_fields_set(self)


class SuppressionInfo(BaseModel):
    """Why a finding is suppressed, and by which file."""

    reason: str
    expires: date | None = None
    source: str


class Finding(BaseModel):
    """One problem found by one rule, about one entity, at one cell."""

    code: str
    name: str
    severity: Severity
    message: str
    entity: EntityRef
    location: SourceLocation | None = None
    related: list[EntityRef] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)
    hint: str | None = None
    plugin: str = "alignhealth"
    #: Who answers for the entity: a goal's or project's primary owner (their person id
    #: where it resolves), or the person a finding is about. Set by the engine.
    owner: str | None = None
    fingerprint: str = ""
    suppressed: bool = False
    suppression: SuppressionInfo | None = None
    discriminator: str = Field(default="", exclude=True)

    def model_post_init(self, __context: Any) -> None:
        if not self.fingerprint:
            self.fingerprint = make_fingerprint(self.code, self.entity, self.discriminator)
        share_fields_set(self)

    def sort_key(self) -> tuple[int, str, str, str, int, str]:
        """Severity first, then code, entity and position: never pluggy's call order."""
        loc = self.location
        return (
            -self.severity.weight,
            self.code,
            self.entity.kind,
            self.entity.id,
            loc.row if loc and loc.row else 0,
            self.fingerprint,
        )


#: The findings :class:`PackedFindings` dumps and loads at a time.
PACKED_AT_ONCE = 20_000


class PackedFindings:
    """A rule's findings as they cross to another process: pickled as lists of their
    fields, dumped and validated by pydantic in one call each, where each finding pickled
    alone pickles the state of three models. 100,000 findings crossed in 10.7 us each
    pickled and 8 us unpickled, packed in 5 us and 6.5 us (a rule that finds something on
    nearly every goal ran a second longer shared out than in one process).

    The lists go :data:`PACKED_AT_ONCE` findings to a pickle, made findings one after
    another: the fields of a million findings, made dicts all at once, held 1.5 GB on each
    side as they crossed (the pickles, a sixth of that, are held until the last is read).
    """

    __slots__ = ("findings",)

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings

    def __reduce__(self) -> tuple[Any, ...]:
        findings = self.findings
        if any(type(finding) is not Finding for finding in findings):
            # A plugin's subclass has fields of its own: pickled as it is.
            return (PackedFindings, (findings,))
        # The discriminator is not dumped (it only makes the fingerprint), yet a field.
        discriminators = {n: f.discriminator for n, f in enumerate(findings) if f.discriminator}
        pieces = [
            pickle.dumps(_adapter().dump_python(findings[at : at + PACKED_AT_ONCE]), -1)
            for at in range(0, len(findings), PACKED_AT_ONCE)
        ]
        return (_unpacked, (pieces, discriminators))


@cache
def _adapter() -> TypeAdapter[list[Finding]]:
    return TypeAdapter(list[Finding])


def _unpacked(pieces: list[bytes], discriminators: dict[int, str]) -> PackedFindings:
    findings: list[Finding] = []
    for piece in pieces:
        findings.extend(_adapter().validate_python(pickle.loads(piece)))
    for number, discriminator in discriminators.items():
        findings[number].discriminator = discriminator
    return PackedFindings(findings)


def make_fingerprint(code: str, entity: EntityRef, discriminator: str = "") -> str:
    """A 16-hex-digit id stable across runs: rule, entity and a rule-chosen discriminator."""
    key = "\x1f".join((code, entity.kind, entity.id, discriminator))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


OutcomeStatus = Literal["ok", "findings", "error", "skipped"]


class RuleOutcome(BaseModel):
    """What one rule did in a run: passed, found something, was skipped or crashed."""

    code: str
    name: str
    plugin: str = "alignhealth"
    summary: str = ""
    severity: Severity | None = None
    groups: list[str] = Field(default_factory=list)
    status: OutcomeStatus
    checked: int = 0
    failed: int = 0
    duration_ms: float = 0.0
    reason: str | None = None


class Notice(BaseModel):
    """Something the loader wants the user to know that is not a finding."""

    code: str
    message: str
    cells: list[str] = Field(default_factory=list)
    count: int = 1


class RunError(BaseModel):
    """An error that stopped or spoiled a run (bad input, a plugin that failed to load)."""

    code: str
    message: str
    location: str | None = None
