"""Read a CSV file as a one-sheet workbook (the goals sheet)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from alignhealth.errors import InputError
from alignhealth.loaders.raw import RawSheet, RawWorkbook, RowStream

DATASET_FILES = ("goals", "people", "projects", "reviews", "levels")


def is_csv_dataset(folder: Path) -> bool:
    """A folder holding goals.csv (and perhaps people.csv, ...) is one dataset."""
    return folder.is_dir() and any(
        p.name.lower() == "goals.csv" for p in folder.iterdir() if p.is_file()
    )


def read_csv_folder(folder: Path, encoding: str = "utf-8-sig") -> RawWorkbook:
    """goals.csv, people.csv, projects.csv, reviews.csv and levels.csv as one workbook
    (each file a sheet named by its stem); other files are ignored."""
    files = {p.stem.lower(): p for p in folder.iterdir() if p.suffix.lower() == ".csv"}
    sheets = []
    for stem in DATASET_FILES:
        if stem in files:
            sheets.extend(read_csv(files[stem], encoding).sheets)
    return RawWorkbook(path=str(folder), sheets=sheets)


def read_csv(path: Path, encoding: str = "utf-8-sig") -> RawWorkbook:
    """A CSV file; the delimiter (``,`` ``;`` or tab) is sniffed, quoting is strict."""
    name = str(path)
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not {encoding} text (byte {exc.start}); save the CSV as UTF-8, or "
            "name its encoding with --encoding (for example cp1252 or latin-1)",
            code="encoding",
            location=name,
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", code="encoding") from None
    sample = text[:65536]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    delimiter = dialect.delimiter

    def rows() -> RowStream:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            for values in reader:
                trimmed = list(values)
                while trimmed and not trimmed[-1].strip():
                    trimmed.pop()
                if trimmed:
                    yield reader.line_num, [value if value.strip() else None for value in trimmed]
        except csv.Error as exc:
            raise InputError(
                f"{name}: line {reader.line_num}: the CSV cannot be read ({exc}); check the "
                "quotes on that line",
                code="bad-csv",
                location=f"{name}:{reader.line_num}",
            ) from None

    return RawWorkbook(path=name, sheets=[RawSheet(name=path.stem, hidden=False, rows=rows)])
