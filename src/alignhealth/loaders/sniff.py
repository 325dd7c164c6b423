"""Tell what a file is from its bytes, not its name, and refuse what cannot be read."""

from __future__ import annotations

import stat
import zipfile
from enum import StrEnum
from pathlib import Path

from alignhealth.errors import InputError

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class FileKind(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


def sniff(path: Path) -> FileKind:
    """The kind of spreadsheet at ``path``, or an :class:`InputError` saying why it is none."""
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", code="not-found", location=name) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror})", code="unreadable") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{name}: not a regular file; give the path of a workbook",
            code="not-a-file",
            location=name,
        )
    if path.name.startswith("~$"):
        raise InputError(
            f"{name}: an Office lock file, not a workbook; check the workbook beside it",
            code="lock-file",
            location=name,
        )
    if info.st_size == 0:
        raise InputError(
            f"{name}: the file is empty (0 bytes); ask for a fresh copy of the workbook",
            code="empty-file",
            location=name,
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror})", code="unreadable") from None
    if head.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in path.read_bytes()[: 1 << 20]:
            raise InputError(
                f"{name}: the workbook is encrypted (password-protected); open it in Excel, "
                "remove the password (File > Info > Protect Workbook) and save a copy",
                code="encrypted",
                location=name,
            )
        raise InputError(
            f"{name}: a legacy Excel 97-2003 (.xls) or other OLE file; open it in Excel and "
            "save it as .xlsx",
            code="legacy-format",
            location=name,
        )
    if head.startswith(_ZIP_MAGIC):
        return _sniff_zip(path)
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")):
        raise InputError(
            f"{name}: an HTML or XML file, not a workbook; open it in Excel and save it as .xlsx",
            code="not-a-workbook",
            location=name,
        )
    if _looks_like_text(head):
        return FileKind.CSV
    raise InputError(
        f"{name}: not a spreadsheet (neither .xlsx nor CSV); save it from Excel as .xlsx",
        code="not-a-workbook",
        location=name,
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def _sniff_zip(path: Path) -> FileKind:
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(
            f"{name}: the file is damaged (a broken zip archive: {exc}); "
            "ask for a fresh copy or re-save it from Excel",
            code="corrupt",
            location=name,
        ) from None
    if "xl/workbook.xml" in names or any(n.lower() == "xl/workbook.xml" for n in names):
        return FileKind.XLSX
    if "word/document.xml" in names:
        kind = "a Word document"
    elif "ppt/presentation.xml" in names:
        kind = "a PowerPoint presentation"
    elif "mimetype" in names and "content.xml" in names:
        kind = "an OpenDocument file"
    elif "xl/workbook.bin" in names:
        kind = "a binary workbook (.xlsb)"
    else:
        kind = "a zip archive"
    raise InputError(
        f"{name}: {kind}, not an .xlsx workbook; open it in Excel and save it as .xlsx",
        code="not-a-workbook",
        location=name,
    )
