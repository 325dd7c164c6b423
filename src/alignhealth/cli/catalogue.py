"""``alignhealth rules``, ``rule`` and ``plugins``: what can run, and who brings it."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from alignhealth.cli.common import (
    fail,
    plugin_host,
    plugin_options,
)
from alignhealth.engine import (
    EXIT_INPUT,
)
from alignhealth.errors import did_you_mean
from alignhealth.inventory import plugin_inventory
from alignhealth.plugins import PluginHost
from alignhealth.rules.registry import RuleRegistry


@click.command(name="rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown prints the full rule reference (docs/rules.md).",
)
@plugin_options
def rules_command(fmt: str, plugin_modules: tuple[str, ...], no_plugins: bool) -> None:
    """List every rule: code, name, severity, groups, plugin and summary."""
    host = plugin_host(no_plugins, plugin_modules)
    registry = RuleRegistry.from_host(host)
    _report_load_errors(host, registry)
    if fmt == "json":
        click.echo(json.dumps([rule_info(registry, c) for c in registry.sorted_codes()], indent=2))
        return
    if fmt == "markdown":
        click.echo(rules_reference(registry), nl=False)
        return
    rows = [
        (c, r.rule.name, r.rule.severity().value, ",".join(r.rule.groups), r.plugin, r.rule.summary)
        for c in registry.sorted_codes()
        for r in [registry.rules[c]]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)] if rows else [0] * 5
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5]
        )


def _report_load_errors(host: PluginHost, registry: RuleRegistry) -> None:
    for error in [*host.errors, *registry.errors]:
        click.echo(click.style("error: ", fg="red", bold=True) + error.message, err=True)


def rule_info(registry: RuleRegistry, code: str) -> dict[str, Any]:
    """A rule as ``alignhealth rules --format json`` lists it."""
    registered = registry.rules[code]
    rule = registered.rule
    return {
        "code": code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity().value,
        "groups": list(rule.groups),
        "plugin": registered.plugin,
        "status": "stable",
        "options": option_rows(rule.Options),
    }


def type_name(annotation: object) -> str:
    """``int``, ``list[str] or None``: readable, and safe inside a Markdown table."""
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace(" | ", " or ")


def option_rows(options: type[Any]) -> list[dict[str, Any]]:
    rows = []
    for name, info in options.model_fields.items():
        annotation = info.annotation
        rows.append(
            {
                "name": info.alias or name,
                "type": type_name(annotation),
                "default": info.get_default(call_default_factory=True),
                "description": info.description or "",
            }
        )
    return rows


@click.command(name="plugins")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@plugin_options
def plugins_command(fmt: str, plugin_modules: tuple[str, ...], no_plugins: bool) -> None:
    """List every plugin: its distribution, hooks, rules, presets, reporters and errors.

    Exits 2 when a plugin failed to load or broke the contract.
    """
    host = plugin_host(no_plugins, plugin_modules)
    registry = RuleRegistry.from_host(host)
    entries = plugin_inventory(host, registry)
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2))
    else:
        for entry in entries:
            version = f" {entry['version']}" if entry["version"] else ""
            label = " (built-in)" if entry["builtin"] else ""
            click.echo(click.style(f"{entry['name']}{version}{label}", bold=True))
            if entry["distribution"] and entry["distribution"] != entry["name"]:
                click.echo(f"  distribution: {entry['distribution']}")
            click.echo(f"  module: {entry['module']}")
            click.echo(f"  hooks: {', '.join(entry['hooks']) or '-'}")
            if entry["rules"]:
                click.echo(f"  rules: {len(entry['rules'])} ({', '.join(entry['prefixes'])})")
            for key in ("presets", "reporters"):
                if entry[key]:
                    click.echo(f"  {key}: {', '.join(entry[key])}")
            if entry["error"]:
                click.echo(click.style(f"  error: {entry['error']}", fg="red"))
    if any(entry["error"] for entry in entries):
        sys.exit(EXIT_INPUT)


@click.command(name="rule")
@click.argument("code")
@plugin_options
def rule_command(code: str, plugin_modules: tuple[str, ...], no_plugins: bool) -> None:
    """Show a rule's documentation and options (by code or name)."""
    host = plugin_host(no_plugins, plugin_modules)
    registry = RuleRegistry.from_host(host)
    registered = registry.get(code)
    if registered is None:
        known = [*registry.rules, *registry.by_name]
        fail(f"no rule {code!r}{did_you_mean(code, known)}; `alignhealth rules` lists them")
    click.echo(rule_doc(registry, registered.code))


GROUP_TITLES = {
    "data": "AH0: the workbook itself",
    "structure": "AH1: the structure of the goal tree",
    "ownership": "AH2: ownership and accountability",
    "levels": "AH3: alignment across levels",
    "priorities": "AH4: priorities",
    "engagement": "AH5: engagement and cadence",
    "measurement": "AH6: measurement and progress",
    "execution": "AH7: execution and completion",
    "orgchart": "AH8: the organisation chart",
    "run": "AH9: the run itself",
}


def rules_reference(registry: RuleRegistry) -> str:
    """The rule reference page (docs/rules.md), generated from the registry."""
    lines = [
        "# Rule reference",
        "",
        "<!-- Generated by `alignhealth rules --format markdown --no-plugins`; do not edit. -->",
        "",
        "Every rule alignhealth ships, by code. Codes are stable: rulesets, suppressions and",
        "audit history refer to them. Options are set in a ruleset under",
        "`[rules.options.CODE]`, written as shown (kebab-case).",
        "",
        "| code | name | severity | summary |",
        "|---|---|---|---|",
    ]
    codes = registry.sorted_codes()
    for code in codes:
        rule = registry.rules[code].rule
        lines.append(
            f"| [{code}](#{code.lower()}-{rule.name}) | {rule.name} | "
            f"{rule.severity().value} | {rule.summary} |"
        )
    current = None
    for code in codes:
        group = (registry.rules[code].rule.groups or ("other",))[0]
        if group != current:
            current = group
            lines += ["", f"# {GROUP_TITLES.get(group, group)}"]
        lines += ["", rule_doc(registry, code).rstrip("\n")]
    return "\n".join(lines) + "\n"


def rule_doc(registry: RuleRegistry, code: str) -> str:
    """A rule's documentation as Markdown: the same text for the CLI and docs/rules.md."""
    info = rule_info(registry, code)
    rule = registry.rules[code].rule
    lines = [
        f"## {code} {info['name']}",
        "",
        f"{info['summary']}.",
        "",
        f"- severity: {info['severity']}",
        f"- groups: {', '.join(info['groups']) or '-'}",
        f"- plugin: {info['plugin']}",
    ]
    for heading, text in rule.doc_sections().items():
        lines += ["", f"### {heading}", "", text]
    lines += ["", "### Options", ""]
    if info["options"]:
        lines.append("| option | type | default | description |")
        lines.append("|---|---|---|---|")
        for option in info["options"]:
            lines.append(
                f"| `{option['name']}` | {option['type']} | `{json.dumps(option['default'])}` | "
                f"{option['description']} |"
            )
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"
