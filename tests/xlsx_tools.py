"""Helpers that build odd workbooks the way other tools write them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path


def rewrite_member(path: Path, member: str, change: callable[[bytes], bytes]) -> Path:  # type: ignore[valid-type]
    """Rewrite one part of an .xlsx (a zip) in place, keeping every other part."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def set_dimension(path: Path, ref: str, member: str = "xl/worksheets/sheet1.xml") -> Path:
    """Make the sheet declare a size of ``ref`` (A1:B2), whatever it holds."""
    return rewrite_member(
        path,
        member,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml),
    )


def drop_dimension(path: Path, member: str = "xl/worksheets/sheet1.xml") -> Path:
    """Make the sheet declare no size at all (some writers leave ``<dimension>`` out)."""
    return rewrite_member(path, member, lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml))
