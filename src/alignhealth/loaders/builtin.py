"""The built-in loader, registered through the ``load_source`` hook and tried last."""

from __future__ import annotations

from pathlib import Path

from alignhealth.hookspecs import hookimpl
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.loaders.workbook import load_workbook
from alignhealth.runresult import RunConfig


@hookimpl(trylast=True)
def load_source(path: Path, config: RunConfig) -> LoadedWorkbook:
    return load_workbook(
        path,
        config.mapping,
        config.settings.date_order,
        config.progress,
        encoding=config.settings.csv_encoding,
    )
