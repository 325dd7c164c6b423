"""Hostile and messy inputs, built by the tests themselves (nothing copied in).

Each builder writes a file (or folder) into a directory and returns its path.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from alignhealth.testing import write_workbook

GOALS = [
    {"ID": "G1", "Title": "Grow", "Level": "Company", "Owner": "ann"},
    {"ID": "G2", "Title": "Sell", "Parent": "G1", "Level": "Division", "Owner": "ann"},
    {"ID": "G3", "Title": "Make", "Parent": "G1", "Level": "Division", "Owner": "ann"},
]


def plain(folder: Path, name: str = "goals.xlsx") -> Path:
    return write_workbook(folder / name, GOALS)


def rewrite(path: Path, change: dict[str, Any]) -> Path:
    """Replace or add zip members (name -> bytes, or a function of the old bytes)."""
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    for member, new in change.items():
        parts[member] = new(parts.get(member, b"")) if callable(new) else new
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member, data in parts.items():
            target.writestr(member, data)
    return path


def broken_people(folder: Path) -> Path:
    """Goals, and a people sheet (read before the goals) with a cell that names a shared
    string the workbook does not have."""
    path = write_workbook(folder / "people.xlsx", GOALS, people=[{"ID": "ann", "Name": "Ann"}])
    return rewrite(
        path,
        {
            "xl/worksheets/sheet2.xml": lambda xml: xml.replace(
                b"</sheetData>", b'<row r="9"><c r="A9" t="s"><v>999999</v></c></row></sheetData>'
            )
        },
    )


def sheet_xml(path: Path) -> str:
    return "xl/worksheets/sheet1.xml"


def ole(folder: Path, name: str, stream: str) -> Path:
    path = folder / name
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 512
    )
    return path


def encrypted(folder: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    source = plain(folder, "clear.xlsx")
    target = folder / "locked.xlsx"
    with source.open("rb") as handle, target.open("wb") as out:
        OOXMLFile(handle).encrypt("secret", out)
    source.unlink()
    return target


def strict(folder: Path, far_cell: bool = False) -> Path:
    """A Strict Open XML workbook (the namespaces of ISO 29500 Strict)."""
    path = plain(folder, "strict.xlsx")
    if far_cell:
        book = openpyxl.load_workbook(path)
        book["Goals"]["XFD1048576"] = "stray"
        book.save(path)

    def strictify(data: bytes) -> bytes:
        return data.replace(
            b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        ).replace(
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            b"http://purl.oclc.org/ooxml/officeDocument/relationships",
        )

    with zipfile.ZipFile(path) as source:
        names = [n for n in source.namelist() if n.startswith("xl/") and n.endswith(".xml")]
    return rewrite(path, dict.fromkeys(names, strictify))


def zip_bomb(folder: Path) -> Path:
    path = plain(folder, "bomb.xlsx")
    return rewrite(
        path,
        {
            "xl/worksheets/sheet1.xml": lambda data: data.replace(
                b"</sheetData>", b"</sheetData>" + b"<!-- " + b"0" * (60 * 1024**2) + b" -->"
            )
        },
    )


def entity_bomb(folder: Path, member: str = "xl/worksheets/sheet1.xml") -> Path:
    path = plain(folder, "entities.xlsx")
    doctype = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    return rewrite(path, {member: lambda data: doctype + re.sub(rb"^<\?xml[^>]*\?>", b"", data)})


def truncated(folder: Path) -> Path:
    data = plain(folder, "whole.xlsx").read_bytes()
    path = folder / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def bad_crc(folder: Path) -> Path:
    path = plain(folder, "crc.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def xls(folder: Path, margin: int = 0) -> Path:
    """A legacy .xls goal sheet, ``margin`` columns in (calamine loads a sheet from its
    first column that holds anything)."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Goals")
    headers = ["ID", "Title", "Parent", "Level", "Owner", "Due"]
    for col, header in enumerate(headers):
        sheet.write(0, margin + col, header)
    style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    rows = [
        ["G1", "Grow", "", "Company", "ann", dt.date(2026, 12, 31)],
        ["G2", "Sell", "G1", "Division", "ann", dt.date(2026, 12, 31)],
        ["G3", "Orphan", "", "Team", "ann", dt.date(2026, 12, 31)],
    ]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=margin):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, style)
            else:
                sheet.write(r, c, value)
    path = folder / "legacy.xls"
    book.save(str(path))
    return path


def ods(folder: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Goals")
    for row in [
        ["ID", "Title", "Parent", "Level", "Owner"],
        ["G1", "Grow", "", "Company", "ann"],
        ["G2", "Sell", "G1", "Division", "ann"],
        ["G3", "Orphan", "", "Team", "ann"],
    ]:
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = folder / "open.ods"
    doc.save(str(path))
    return path


def book_with(folder: Path, name: str, rows: list[list[Any]], edit: Any = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    for row in rows:
        sheet.append(row)
    if edit is not None:
        edit(book, sheet)
    path = folder / name
    book.save(path)
    return path


def csv_file(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def raw_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def docx(folder: Path) -> Path:
    path = folder / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return path


def as_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
