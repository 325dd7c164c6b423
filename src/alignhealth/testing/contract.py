"""The contract every plugin keeps, checked the way alignhealth checks it at run time."""

from __future__ import annotations

from alignhealth.engine import CheckRequest, prepare
from alignhealth.errors import AlignhealthError
from alignhealth.plugins import PluginHost
from alignhealth.rules.registry import RuleRegistry, code_prefix

RESERVED_PREFIXES = frozenset({"AH"})


def plugin_problems(plugin: object, name: str = "plugin-under-test") -> list[str]:
    """Everything wrong with ``plugin`` (a module or object with hook implementations):
    hooks that do not exist, rules that break the contract (code, name, summary,
    severity, documented options with defaults, the four docstring sections), codes
    another plugin owns or with the reserved ``AH`` prefix, and presets that do not load.
    Empty when the plugin is sound."""
    host = PluginHost(autoload=False, plugins=[(name, plugin)])
    problems = [error.message for error in host.errors]
    registry = RuleRegistry.from_host(host)
    problems += [error.message for error in registry.errors]
    for code, registered in registry.rules.items():
        if registered.plugin == name and code_prefix(code) in RESERVED_PREFIXES:
            problems.append(f"rule {code}: the prefix {code_prefix(code)} is alignhealth's own")
    for plugin_name, presets in host.each("get_rulesets"):
        if plugin_name != name:
            continue
        for preset in sorted(presets or {}):
            try:
                prepare(CheckRequest(ruleset=preset), host)
            except AlignhealthError as exc:
                problems.append(f"preset {preset!r} does not load: {exc.message}")
    return problems


def assert_plugin_contract(plugin: object, name: str = "plugin-under-test") -> None:
    """Fail (AssertionError) with every problem :func:`plugin_problems` finds."""
    problems = plugin_problems(plugin, name)
    assert not problems, "the plugin breaks the contract:\n- " + "\n- ".join(problems)
