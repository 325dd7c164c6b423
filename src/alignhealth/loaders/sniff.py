"""Tell what a file is from its bytes, not its name, and refuse what cannot be read."""

from __future__ import annotations

import re
import stat
import zipfile
from enum import StrEnum
from pathlib import Path

from alignhealth.errors import InputError

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


#: The file names a folder of workbooks, or an audit's wildcard pattern, reads; a file
#: named on its own is read whatever its name (its bytes say what it is).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv")


class FileKind(StrEnum):
    XLSX = "xlsx"
    XLSB = "xlsb"
    XLS = "xls"
    ODS = "ods"
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
        streams = path.read_bytes()[: 8 << 20]
        if "EncryptedPackage".encode("utf-16-le") in streams:
            raise InputError(
                f"{name}: the workbook is encrypted (password-protected); open it in Excel, "
                "remove the password (File > Info > Protect Workbook) and save a copy",
                code="encrypted",
                location=name,
            )
        if any(s.encode("utf-16-le") in streams for s in ("Workbook", "Book")):
            return FileKind.XLS
        what = (
            "a Word document"
            if "WordDocument".encode("utf-16-le") in streams
            else ("an Office file that is not a workbook")
        )
        raise InputError(
            f"{name}: {what} (OLE format), not a workbook; open it and save the goals as .xlsx",
            code="not-a-workbook",
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
    """Text in UTF-8 or a single-byte encoding: no NUL, few control characters."""
    if not head or b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls <= max(16, len(head) // 50)


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
    lowered = {n.lower().replace("\\", "/") for n in names}
    if "xl/workbook.xml" in lowered:
        return FileKind.XLSX
    if "xl/workbook.bin" in lowered:
        return FileKind.XLSB
    if "mimetype" in names and "content.xml" in names:
        with zipfile.ZipFile(path) as archive:
            mimetype = archive.read("mimetype")[:100]
        if b"spreadsheet" in mimetype:
            return FileKind.ODS
        kind = "an OpenDocument file that is not a spreadsheet"
    elif "word/document.xml" in lowered:
        kind = "a Word document"
    elif "ppt/presentation.xml" in lowered:
        kind = "a PowerPoint presentation"
    else:
        kind = "a zip archive"
    raise InputError(
        f"{name}: {kind}, not an .xlsx workbook; open it in Excel and save it as .xlsx",
        code="not-a-workbook",
        location=name,
    )


#: The custom document property (docProps/custom.xml) by which alignhealth marks its
#: Excel report, with the value ``report``.
OUTPUT_MARK = "alignhealth"

#: A larger custom properties part is not one alignhealth wrote; it is not read.
_MARK_PART_LIMIT = 64 * 1024


def alignhealth_report(path: Path) -> bool:
    """Whether ``path`` is a report alignhealth wrote that a folder of workbooks would
    read: its Excel report (by the mark it leaves) or its CSV report (by its header row).
    A client's workbook or CSV is not, nor an annotated copy (it may come back as the
    client's next workbook).

    A folder of workbooks, or an audit's pattern, can hold the reports of earlier runs:
    they are not read back as goal workbooks."""
    if path.suffix.lower() == ".csv":
        return _csv_report(path)
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/custom.xml")
            if info.file_size > _MARK_PART_LIMIT:
                return False
            part = archive.read(info).decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError):
        return False
    # No XML parser for a part of an unknown file: the one property alignhealth writes
    # is found by its shape, as XlsxWriter, Excel and openpyxl write it.
    mark = rf'name="{OUTPUT_MARK}"[^>]*>\s*<vt:lpwstr(?:\s[^>]*)?>report</vt:lpwstr>'
    return re.search(mark, part) is not None


def _csv_report(path: Path) -> bool:
    from alignhealth.reporters.rows import COLUMNS  # here: reporters import the loaders

    try:
        with path.open("rb") as handle:
            first = handle.read(4096).split(b"\n", 1)[0]
    except OSError:
        return False
    header = first.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r").decode("utf-8", errors="replace")
    return header == ",".join(COLUMNS)


def skipped_as_report(path: Path) -> str | None:
    """The note that leaves ``path`` out of a folder or a pattern of workbooks, if it is
    a report alignhealth wrote (:func:`alignhealth_report`); None for a file to read."""
    if not alignhealth_report(path):
        return None
    return f"skipped {path}: an alignhealth report, not a goal workbook"
