"""Data-driven rule tests: TOML files of named cases, each a few rows and the ids expected.

A case file holds ``[[case]]`` tables::

    [[case]]
    name = "a root below the top level is orphaned"
    rule = "AH101"              # optional when the file sets rule = "..." at the top
    expect = ["G2"]             # the entity ids the rule must flag (empty: must pass)
    options = { max-roots = 1 } # optional
    settings = { priority-rank = 3 }
    as-of = 2026-11-15          # optional
    goals = [
      { ID = "G1", Title = "Top", Level = "Company" },
      { ID = "G2", Title = "Lost", Level = "Team" },
    ]
    people = [ ... ]            # optional, likewise projects, reviews, levels
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignhealth.findings import Finding
from alignhealth.testing.harness import DEFAULT_AS_OF, run_rule

_CASE_KEYS = {
    "name",
    "rule",
    "expect",
    "options",
    "settings",
    "as-of",
    "goals",
    "people",
    "projects",
    "reviews",
    "levels",
    "expect-skipped",
    "suppress",
}


@dataclass
class RuleCase:
    """One named case of a rule: rows in, the flagged entity ids expected out."""

    name: str
    rule: str
    expect: set[str]
    goals: list[dict[str, Any]]
    people: list[dict[str, Any]] | None = None
    projects: list[dict[str, Any]] | None = None
    reviews: list[dict[str, Any]] | None = None
    levels: list[dict[str, Any]] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    suppress: list[dict[str, Any]] = field(default_factory=list)
    as_of: dt.date = DEFAULT_AS_OF
    expect_skipped: bool = False
    source: str = ""

    @property
    def id(self) -> str:
        """A pytest id: ``AH101-a root below the top level is orphaned``."""
        return f"{self.rule}-{self.name}"

    def run(self, **kwargs: Any) -> list[Finding]:
        """Run the case's rule over its rows."""
        settings = {k.replace("-", "_"): v for k, v in self.settings.items()}
        return run_rule(
            self.rule,
            self.goals,
            people=self.people,
            projects=self.projects,
            reviews=self.reviews,
            levels=self.levels,
            options=self.options,
            settings=settings,
            suppress=self.suppress,
            as_of=self.as_of,
            **kwargs,
        )


def load_cases(path: Path) -> list[RuleCase]:
    """Every case in a TOML file, or in every ``*.toml`` file of a folder (sorted)."""
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    cases: list[RuleCase] = []
    for file in files:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
        default_rule = data.get("rule")
        for index, raw in enumerate(data.get("case", [])):
            unknown = set(raw) - _CASE_KEYS
            if unknown:
                raise ValueError(f"{file}: case {index + 1}: unknown key(s) {sorted(unknown)}")
            rule = raw.get("rule", default_rule)
            if not rule:
                raise ValueError(f"{file}: case {index + 1} names no rule")
            if "expect" not in raw and not raw.get("expect-skipped"):
                raise ValueError(f"{file}: case {raw.get('name', index + 1)!r} has no expect")
            cases.append(
                RuleCase(
                    name=raw.get("name", f"case {index + 1}"),
                    rule=rule,
                    expect=set(raw.get("expect", [])),
                    goals=raw.get("goals", []),
                    people=raw.get("people"),
                    projects=raw.get("projects"),
                    reviews=raw.get("reviews"),
                    levels=raw.get("levels"),
                    options=raw.get("options", {}),
                    settings=raw.get("settings", {}),
                    suppress=raw.get("suppress", []),
                    as_of=raw.get("as-of", DEFAULT_AS_OF),
                    expect_skipped=raw.get("expect-skipped", False),
                    source=str(file),
                )
            )
    return cases
