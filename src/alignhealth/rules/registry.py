"""Collect rules from every plugin, check each against the rule contract, index them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic_core import PydanticUndefined

from alignhealth.findings import RunError, Severity
from alignhealth.plugins import PluginHost
from alignhealth.rules.base import DOC_SECTIONS, Rule, RuleOptions

CODE_PATTERN = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def code_prefix(code: str) -> str:
    """The letters of a code: ``AH`` of ``AH101``."""
    return code.rstrip("0123456789")


@dataclass(frozen=True)
class RegisteredRule:
    """A rule class and the plugin it came from."""

    rule: type[Rule]
    plugin: str

    @property
    def code(self) -> str:
        return self.rule.code


def contract_problems(rule: type[Rule]) -> list[str]:
    """Everything wrong with a rule class, as sentences; empty when it keeps the contract."""
    problems: list[str] = []
    label = getattr(rule, "__name__", repr(rule))
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        return [f"{label} is not a subclass of alignhealth.Rule"]
    code = getattr(rule, "code", None)
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        problems.append(f"{label}: code {code!r} is not 2-5 uppercase letters and 3 digits")
    name = getattr(rule, "name", None)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"{label}: name {name!r} is not kebab-case (like 'orphaned-goal')")
    summary = getattr(rule, "summary", None)
    if not isinstance(summary, str) or not summary.strip():
        problems.append(f"{label}: no summary")
    try:
        Severity.parse(getattr(rule, "default_severity", ""))
    except (ValueError, AttributeError):
        problems.append(
            f"{label}: default_severity {getattr(rule, 'default_severity', None)!r} is not "
            "one of critical, high, medium, low, info"
        )
    if not isinstance(rule.groups, tuple) or not all(isinstance(g, str) for g in rule.groups):
        problems.append(f"{label}: groups must be a tuple of names")
    options = rule.Options
    if not (isinstance(options, type) and issubclass(options, RuleOptions)):
        problems.append(f"{label}: Options must subclass alignhealth.RuleOptions")
    else:
        for field_name, info in options.model_fields.items():
            if info.default is PydanticUndefined and info.default_factory is None:
                problems.append(f"{label}: option {field_name!r} has no default")
            if not info.description:
                problems.append(f"{label}: option {field_name!r} has no description")
    sections = rule.doc_sections()
    missing = [s for s in DOC_SECTIONS if not sections.get(s)]
    if missing:
        problems.append(f"{label}: docstring lacks section(s) {', '.join(missing)}")
    if rule.check is Rule.check:
        problems.append(f"{label}: does not implement check()")
    return problems


class RuleRegistry:
    """Every rule of the run, by code; the problems of those that were refused."""

    def __init__(self) -> None:
        self.rules: dict[str, RegisteredRule] = {}
        self.by_name: dict[str, str] = {}
        self.errors: list[RunError] = []

    @classmethod
    def from_host(cls, host: PluginHost) -> RuleRegistry:
        registry = cls()
        for plugin, rules in host.each("get_rules"):
            registry.add_all(rules or (), plugin)
        return registry

    def add_all(self, rules: Iterable[type[Rule]], plugin: str) -> None:
        for rule in rules:
            self.add(rule, plugin)

    def add(self, rule: type[Rule], plugin: str) -> bool:
        """Register ``rule``; a broken contract or a taken code/name is recorded, not raised."""
        problems = contract_problems(rule)
        if not problems:
            owner = self.rules.get(rule.code)
            if owner is not None:
                problems.append(
                    f"rule code {rule.code} of {rule.__name__} is already registered by "
                    f"plugin {owner.plugin!r}; use a prefix of your own"
                )
            elif rule.name in self.by_name:
                problems.append(
                    f"rule name {rule.name!r} of {rule.code} is already used by "
                    f"{self.by_name[rule.name]}"
                )
        if problems:
            for problem in problems:
                self.errors.append(
                    RunError(code="rule-contract", message=f"plugin {plugin!r}: {problem}")
                )
            return False
        self.rules[rule.code] = RegisteredRule(rule, plugin)
        self.by_name[rule.name] = rule.code
        return True

    def get(self, code_or_name: str) -> RegisteredRule | None:
        """A rule by code (any case) or name."""
        code = code_or_name.upper()
        if code in self.rules:
            return self.rules[code]
        by_name = self.by_name.get(code_or_name.lower())
        return self.rules[by_name] if by_name else None

    def groups(self) -> dict[str, set[str]]:
        """Group name -> the codes in it."""
        out: dict[str, set[str]] = {}
        for code, registered in self.rules.items():
            for group in registered.rule.groups:
                out.setdefault(group, set()).add(code)
        return out

    def sorted_codes(self) -> list[str]:
        return sorted(self.rules)
