"""Checks a package passes before any XML parser sees it: no zip bombs, no entities.

A workbook is a zip of XML parts. Before a reader opens it, every entry's expanded size
and compression ratio are checked against limits, and every XML part's prolog is read for
a DOCTYPE or ENTITY declaration (which a workbook never needs and an attack always does).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from alignhealth.errors import InputError

#: Expanded bytes of all parts together (ALIGNHEALTH_MAX_EXPANDED_BYTES).
DEFAULT_MAX_TOTAL = 2 * 1024**3
#: Expanded size over compressed size, per part (ALIGNHEALTH_MAX_COMPRESSION_RATIO); parts
#: under 1 MiB expanded are exempt: a small part of repeated XML compresses further
#: without harm.
DEFAULT_MAX_RATIO = 100.0
RATIO_EXEMPT_BELOW = 1024**2


def _limit(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


PROLOG_BYTES = 4096


@dataclass(frozen=True)
class PackageFacts:
    """What the guard learnt about the package on the way."""

    strict: bool = False
    backslash_paths: bool = False


def check_package(path: Path) -> PackageFacts:
    """Raise :class:`InputError` for a package that must not be parsed."""
    name = str(path)
    max_total = _limit("ALIGNHEALTH_MAX_EXPANDED_BYTES", DEFAULT_MAX_TOTAL)
    max_ratio = _limit("ALIGNHEALTH_MAX_COMPRESSION_RATIO", DEFAULT_MAX_RATIO)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"{name}: the file is damaged (a broken zip archive: {exc}); ask for "
            "a fresh copy or re-save it from Excel",
            code="corrupt",
            location=name,
        ) from None
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > max_total:
            raise InputError(
                f"{name}: the workbook expands to {total / 1024**3:.1f} GiB, over the "
                f"{max_total / 1024**3:.1f} GiB limit (ALIGNHEALTH_MAX_EXPANDED_BYTES); it is a "
                "zip bomb or far larger than a goal workbook should be",
                code="too-large",
                location=name,
            )
        strict = False
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= RATIO_EXEMPT_BELOW and ratio > max_ratio:
                raise InputError(
                    f"{name}: part {info.filename!r} expands {ratio:.0f} times (limit "
                    f"{max_ratio:.0f}, ALIGNHEALTH_MAX_COMPRESSION_RATIO): refused as a likely "
                    "zip bomb; re-save the workbook from Excel",
                    code="zip-bomb",
                    location=name,
                )
            lowered = info.filename.lower()
            if not lowered.endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(info) as stream:
                    prolog = stream.read(PROLOG_BYTES)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
                raise InputError(
                    f"{name}: part {info.filename!r} is damaged ({exc}); ask for a fresh copy",
                    code="corrupt",
                    location=name,
                ) from None
            if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
                raise InputError(
                    f"{name}: part {info.filename!r} declares a DOCTYPE or entities, which "
                    "workbooks never need and XML attacks use; refused. Re-save the workbook "
                    "from Excel",
                    code="xml-entities",
                    location=name,
                )
            if lowered in ("xl/workbook.xml", "xl\\workbook.xml"):
                strict = b"purl.oclc.org/ooxml/spreadsheetml/main" in prolog
        backslash = any("\\" in info.filename for info in infos)
    return PackageFacts(strict=strict, backslash_paths=backslash)
