"""Every hook alignhealth calls. Plugins implement them with ``@alignhealth.hookimpl``.

Hooks are called with keyword arguments; an implementation may accept any subset of a
hook's arguments. Built-in rules, loaders and reporters use these same hooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from alignhealth.findings import Finding
    from alignhealth.graph import OrgGraph
    from alignhealth.loaders.result import LoadedWorkbook
    from alignhealth.reporters.base import Reporter
    from alignhealth.rules.base import Rule
    from alignhealth.runresult import RunConfig, RunResult

PROJECT = "alignhealth"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def get_rules() -> Sequence[type[Rule]]:  # type: ignore[empty-body]
    """Return the rule classes this plugin provides.

    Each class sets ``code`` (2-5 uppercase letters and 3 digits, a prefix the plugin
    owns), ``name``, ``summary``, ``default_severity`` and, if it has options, an
    ``Options`` model. A code another plugin already registered is an error.
    """


@hookspec
def get_rulesets() -> Mapping[str, Any]:  # type: ignore[empty-body]
    """Return packaged presets: preset name -> a path or ``importlib.resources`` file
    holding the ruleset TOML. Usable as ``--ruleset NAME`` and in ``extends``."""


@hookspec
def get_reporters() -> Sequence[type[Reporter]]:  # type: ignore[empty-body]
    """Return reporter classes (output formats), each with a unique ``name``."""


@hookspec(firstresult=True)
def load_source(path: Path, config: RunConfig) -> LoadedWorkbook | None:
    """Read ``path`` into a :class:`LoadedWorkbook`, or return None to let another loader try.

    The first non-None result wins. The built-in Excel/CSV loader is tried last, so a
    firm's loader for its own export format takes precedence.
    """


@hookspec
def prepare_graph(graph: OrgGraph, config: RunConfig) -> None:
    """Enrich the graph before any rule runs (add derived data, fix known quirks)."""


@hookspec
def modify_findings(findings: list[Finding], config: RunConfig) -> list[Finding] | None:
    """Drop, re-rank or annotate findings. Return the new list, or None to keep it.

    Called after suppressions are applied; implementations run one after another, each
    receiving the previous one's list.
    """


@hookspec
def run_finished(result: RunResult, config: RunConfig) -> None:
    """Called once the run is complete, for side effects. An exception here is reported
    in the result's errors (exit code 2); the result itself is kept."""
