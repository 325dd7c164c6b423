"""What each plugin brings: the answer of ``alignhealth plugins``."""

from __future__ import annotations

from typing import Any

from alignhealth.plugins import BUILTIN_PLUGIN, PluginHost
from alignhealth.rules.registry import RuleRegistry, code_prefix


def plugin_inventory(host: PluginHost, registry: RuleRegistry) -> list[dict[str, Any]]:
    """One entry per plugin (the built-ins as one), sorted with the built-ins first:
    name, distribution, version, module, hooks, rules, prefixes, presets, reporters and
    the error that stopped it, if any."""
    entries: dict[str, dict[str, Any]] = {}
    for info in host.infos:
        entry = entries.setdefault(
            info.name,
            {
                "name": info.name,
                "distribution": info.distribution or ("alignhealth" if info.builtin else None),
                "version": info.version,
                "module": info.module if not info.builtin else "alignhealth",
                "builtin": info.builtin,
                "hooks": set(),
                "rules": [],
                "prefixes": [],
                "presets": [],
                "reporters": [],
                "error": None,
            },
        )
        entry["hooks"].update(info.hooks)
        if info.error:
            entry["error"] = info.error if not entry["error"] else f"{entry['error']}; {info.error}"
    if BUILTIN_PLUGIN in entries and entries[BUILTIN_PLUGIN]["version"] is None:
        from alignhealth import __version__

        entries[BUILTIN_PLUGIN]["version"] = __version__
    for code in registry.sorted_codes():
        owner = entries.get(registry.rules[code].plugin)
        if owner is not None:
            owner["rules"].append(code)
    for plugin, offered in host.each("get_rulesets"):
        if plugin in entries:
            entries[plugin]["presets"].extend(sorted(offered or {}))
    for plugin, offered in host.each("get_reporters"):
        if plugin in entries:
            entries[plugin]["reporters"].extend(r.name for r in offered or ())
    for error in registry.errors:
        for name, entry in entries.items():
            if error.message.startswith(f"plugin {name!r}"):
                message = error.message.split(": ", 1)[-1]
                entry["error"] = message if not entry["error"] else f"{entry['error']}; {message}"
    result = []
    for entry in entries.values():
        entry["hooks"] = sorted(entry["hooks"])
        entry["prefixes"] = sorted({code_prefix(c) for c in entry["rules"]})
        result.append(entry)
    return sorted(result, key=lambda e: (not e["builtin"], e["name"]))
