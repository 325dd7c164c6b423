"""Read .xls, .xlsb, .ods (and Strict Open XML .xlsx) with python-calamine.

calamine turns Excel error cells into empty strings and drops formulas without a saved
value, so those cannot be reported for these formats; it always runs in the isolated
reader process (:mod:`alignhealth.loaders.isolation`), because a pathological file can make
it abort the whole interpreter.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from alignhealth.errors import InputError
from alignhealth.loaders.raw import RawSheet, RawWorkbook, RowStream


def _value(value: Any) -> object:
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return value


def read_calamine(path: Path) -> RawWorkbook:
    """Open ``path`` with python-calamine (read-only)."""
    import python_calamine

    name = str(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(name)
    except python_calamine.PasswordError:
        raise InputError(
            f"{name}: the workbook is password-protected; save an unprotected copy",
            code="encrypted",
            location=name,
        ) from None
    except Exception as exc:  # calamine raises a handful of its own types
        raise InputError(
            f"{name}: the workbook cannot be opened ({type(exc).__name__}: {exc}); re-save it "
            "from Excel as .xlsx",
            code="corrupt",
            location=name,
        ) from None
    sheets = []
    for meta in book.sheets_metadata:
        if "ChartSheet" in str(meta.typ):
            continue
        sheet = book.get_sheet_by_name(meta.name)
        merged = [
            f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
            for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
        ]
        sheets.append(
            RawSheet(
                name=meta.name,
                hidden="Visible" not in str(meta.visible) or "VeryHidden" in str(meta.visible),
                rows=_rows(sheet),
                merged=merged,
            )
        )
    return RawWorkbook(path=name, sheets=sheets)


def _rows(sheet: Any) -> Any:
    def rows() -> RowStream:
        for index, values in enumerate(sheet.iter_rows(), start=1):
            cleaned = [_value(v) for v in values]
            while cleaned and cleaned[-1] is None:
                cleaned.pop()
            if cleaned:
                yield index, cleaned

    return rows
