"""alignhealth: alignment health checks for an organisation's goal tree.

The public API that plugins import lives here; everything else may change.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alignhealth")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from alignhealth.findings import EntityRef, Finding, Severity, SourceLocation
from alignhealth.graph import OrgGraph
from alignhealth.hookspecs import hookimpl
from alignhealth.rules.base import Rule, RuleContext, RuleOptions, SkipRule

__all__ = [
    "EntityRef",
    "Finding",
    "OrgGraph",
    "Rule",
    "RuleContext",
    "RuleOptions",
    "Severity",
    "SkipRule",
    "SourceLocation",
    "__version__",
    "hookimpl",
]
