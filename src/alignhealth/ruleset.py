"""Rulesets: TOML files that select rules, set severities, options and settings, suppress
findings and map a workbook's layout; ``extends`` builds one on presets or other files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alignhealth.errors import UsageError, did_you_mean
from alignhealth.loaders.mapping import InputMapping
from alignhealth.loaders.values import DateOrder
from alignhealth.rules.selection import SelectionLayer
from alignhealth.tomlfile import read_toml, validate


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True)


class RulesetSettings(_Table):
    """``[settings]``: the shared settings (see rules.md, Terms)."""

    as_of: dt.date | None = Field(None, description="the as-of date; --as-of wins")
    priority_rank: int | None = Field(None, ge=1, description="ranks 1..N are priorities")
    leader_max_rank: int | None = Field(None, ge=0, description="leaders' largest rank")
    date_order: DateOrder | None = Field(None, description="how ambiguous text dates read")
    levels: list[str] | None = Field(None, description="an explicit order of levels, top first")
    csv_encoding: str | None = Field(None, description="the encoding of CSV input")


class RulesTable(_Table):
    """``[rules]``: selection, severities and options."""

    select: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, str] = Field(default_factory=dict)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)


class SuppressionEntry(_Table):
    """A ``[[suppress]]`` entry: which rules and entities, why, and until when."""

    rules: list[str] = Field(min_length=1)
    entities: list[str] = Field(default_factory=lambda: ["*"])
    reason: str
    expires: dt.date | None = None

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a suppression needs a reason")
        return value.strip()


class RulesetFile(_Table):
    """One ruleset file as written."""

    name: str | None = None
    description: str | None = None
    #: Absent means ["default"] for a ruleset file (a preset extends nothing unless it
    #: says so); write ``extends = []`` to start from no rules at all.
    extends: list[str] | None = None
    requires_plugins: list[str] = Field(default_factory=list)
    settings: RulesetSettings = Field(default_factory=RulesetSettings)
    rules: RulesTable = Field(default_factory=RulesTable)
    suppress: list[SuppressionEntry] = Field(default_factory=list)
    input: InputMapping = Field(default_factory=InputMapping)


@dataclass(frozen=True)
class Suppression:
    """A suppression and the file it came from."""

    entry: SuppressionEntry
    source: str
    index: int


@dataclass
class ResolvedRuleset:
    """A ruleset with its ``extends`` chain folded in, parents first."""

    name: str
    sources: list[str] = field(default_factory=list)
    layers: list[SelectionLayer] = field(default_factory=list)
    severity: dict[str, tuple[str, str]] = field(default_factory=dict)
    options: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    suppressions: list[Suppression] = field(default_factory=list)
    mapping: InputMapping = field(default_factory=InputMapping)
    requires_plugins: list[str] = field(default_factory=list)
    #: Where relative paths in the ruleset are resolved from.
    base_dir: Path | None = None


class RulesetLoader:
    """Finds rulesets by path or preset name and folds their ``extends`` chains."""

    def __init__(self, presets: Mapping[str, Any]) -> None:
        self.presets = dict(presets)

    def read(
        self, ref: str, relative_to: Path | None = None
    ) -> tuple[RulesetFile, str, Path | None]:
        """The file a reference names: a path (relative to the including file) or a preset."""
        candidate = (
            Path(ref) if relative_to is None or Path(ref).is_absolute() else relative_to / ref
        )
        looks_like_path = ref.endswith(".toml") or "/" in ref or "\\" in ref
        if candidate.is_file():
            data = read_toml(candidate)
            return validate(RulesetFile, data, str(candidate)), str(candidate), candidate.parent
        if ref in self.presets and not looks_like_path:
            resource = self.presets[ref]
            import tomllib

            source = f"preset {ref!r}"
            try:
                data = tomllib.loads(resource.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise UsageError(f"{source}: not valid TOML: {exc}") from None
            return validate(RulesetFile, data, source), source, None
        if looks_like_path:
            raise UsageError(f"ruleset {ref!r}: no such file (looked at {candidate})")
        names = ", ".join(sorted(self.presets)) or "none"
        raise UsageError(
            f"unknown ruleset {ref!r}{did_you_mean(ref, self.presets)}; give a path to a TOML "
            f"file or a preset name ({names})"
        )

    def load(self, ref: str, relative_to: Path | None = None) -> ResolvedRuleset:
        resolved = ResolvedRuleset(name=ref)
        self._fold(ref, relative_to, resolved, stack=[])
        return resolved

    def _fold(
        self, ref: str, relative_to: Path | None, into: ResolvedRuleset, stack: list[str]
    ) -> None:
        ruleset, source, base_dir = self.read(ref, relative_to)
        if source in stack:
            chain = " -> ".join([*stack, source])
            raise UsageError(f"ruleset {source}: extends itself ({chain})")
        parents = ruleset.extends
        if parents is None:
            parents = ["default"] if base_dir is not None and "default" in self.presets else []
        for parent in parents:
            self._fold(parent, base_dir or relative_to, into, [*stack, source])
        into.name = ruleset.name or (Path(source).stem if base_dir else ref)
        into.sources.append(source)
        into.base_dir = base_dir or into.base_dir
        rules = ruleset.rules
        into.layers.append(SelectionLayer(source, rules.select, rules.extend_select, rules.ignore))
        for selector, severity in rules.severity.items():
            into.severity[selector] = (severity, source)
        for key, values in rules.options.items():
            previous = into.options.get(key, ({}, source))[0]
            into.options[key] = ({**previous, **values}, source)
        into.settings.update(ruleset.settings.model_dump(exclude_none=True))
        into.suppressions.extend(
            Suppression(entry, source, i) for i, entry in enumerate(ruleset.suppress)
        )
        into.mapping = ruleset.input.merged_over(into.mapping)
        for name in ruleset.requires_plugins:
            if name not in into.requires_plugins:
                into.requires_plugins.append(name)


def load_mapping(path: Path) -> InputMapping:
    """A ``--mapping`` file: ``[input.<sheet>]`` tables, alone or inside a ruleset."""
    data = read_toml(path)
    if set(data) - {"input"}:
        unknown = sorted(set(data) - {"input"})[0]
        raise UsageError(
            f"{path}: unknown key {unknown!r}; a mapping file holds only [input.<sheet>] tables"
        )
    return validate(InputMapping, data.get("input", {}), str(path), prefix="input")
