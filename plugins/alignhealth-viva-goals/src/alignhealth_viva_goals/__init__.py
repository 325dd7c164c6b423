"""alignhealth-viva-goals: read Microsoft Viva Goals / Ally.io exports."""

from __future__ import annotations

from pathlib import Path

from alignhealth import hookimpl
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.runresult import RunConfig
from alignhealth_viva_goals.export import read_export

__version__ = "0.1.0"


@hookimpl
def load_source(path: Path, config: RunConfig) -> LoadedWorkbook | None:
    """A Viva Goals export, or None for any other file."""
    return read_export(path, config.settings.date_order or "month-first")
