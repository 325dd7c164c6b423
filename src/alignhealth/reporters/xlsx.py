"""``--format xlsx``: the Excel report a consultant hands over.

Summary (score, counts, families, levels), Findings (one row each, filterable, linked to
the client's cell), By owner (the page each leader is handed) and Rules (what ran). Text
from the workbook is always written as text, never as a formula.

Written with XlsxWriter, row by row (its ``constant_memory`` mode): a report of a hundred
thousand findings took openpyxl, which holds every cell until it saves, 35 s and 1.3 GB;
openpyxl stays for what only it does, reading workbooks and marking a copy of one
(:mod:`alignhealth.annotate`). Excel's own limits are kept: a sheet holds at most 65,530
links (Excel "repairs" a file with more, dropping them all) and 1,048,576 rows (findings
past them go on to a sheet of the same name, numbered).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from alignhealth.findings import Finding, Severity
from alignhealth.lifetime import scratch_dir
from alignhealth.loaders.sniff import OUTPUT_MARK
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.rows import owner_names
from alignhealth.reporters.safe import xml_safe
from alignhealth.runresult import RunResult

SEVERITY_FILLS = {
    Severity.CRITICAL: "E1BEE7",
    Severity.HIGH: "FFCDD2",
    Severity.MEDIUM: "FFE0B2",
    Severity.LOW: "BBDEFB",
    Severity.INFO: "ECEFF1",
}
BAND_FILLS = {"excellent": "C8E6C9", "good": "DCEDC8", "fair": "FFE0B2", "poor": "FFCDD2"}
HEADER_FILL = "305496"

#: The most links Excel keeps on one sheet: it "repairs" a workbook with more by removing
#: every link of the sheet (the first of them are written; the rest name their cell).
MAX_LINKS = 65_530
#: The rows of an Excel sheet; past them a sheet goes on in another of the same name.
MAX_ROWS = 1_048_576
#: The characters an Excel cell holds.
MAX_TEXT = 32_767
#: The longest link Excel follows (UTF-16 units; XlsxWriter warns of and drops a longer one).
MAX_URL = 2_079


def text(value: str) -> str:
    """Text as a cell can hold it: without the characters XML forbids, and cut to
    Excel's length."""
    return xml_safe(value)[:MAX_TEXT]


class _Formats:
    """The report's cell formats, made once per workbook."""

    def __init__(self, book: Workbook) -> None:
        self.header = book.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": f"#{HEADER_FILL}"}
        )
        self.severity = {
            s: book.add_format({"bg_color": f"#{c}"}) for s, c in SEVERITY_FILLS.items()
        }
        self.band = {b: book.add_format({"bg_color": f"#{c}"}) for b, c in BAND_FILLS.items()}
        self.owner = {
            b: book.add_format({"bold": True, "bg_color": f"#{c}"}) for b, c in BAND_FILLS.items()
        }
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 16})
        self.score = {
            b: book.add_format({"bold": True, "font_size": 14, "bg_color": f"#{c}"})
            for b, c in BAND_FILLS.items()
        }
        self.large = book.add_format({"bold": True, "font_size": 14})
        self.error = book.add_format({"bold": True, "font_color": "#C62828"})
        self.wrapped = book.add_format({"text_wrap": True, "valign": "top"})


def put(sheet: Worksheet, row: int, column: int, value: Any, style: Format | None = None) -> None:
    """Write one cell (0-based): text always as text, a number as a number, None not at
    all (XlsxWriter's generic ``write`` would make a formula of ``=...``)."""
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(row, column, text(value), style)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, style)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value, style)
    else:
        sheet.write_string(row, column, text(str(value)), style)


class _Table:
    """A sheet of rows under a header, written in order: continued on a sheet of the same
    name, numbered, past Excel's rows; each sheet's links kept to Excel's limit."""

    def __init__(
        self, book: Workbook, formats: _Formats, name: str, titles: list[str], widths: list[int]
    ) -> None:
        self.book, self.formats, self.name = book, formats, name
        self.titles, self.widths = titles, widths
        self.sheets: list[Worksheet] = []
        self.row = 0
        self.links = 0
        #: Links left out, the sheets' limit reached.
        self.unlinked = 0
        self._start()

    def _start(self) -> None:
        number = len(self.sheets) + 1
        sheet = self.book.add_worksheet(self.name if number == 1 else f"{self.name} ({number})")
        for column, (title, width) in enumerate(zip(self.titles, self.widths, strict=True)):
            sheet.write_string(0, column, title, self.formats.header)
            sheet.set_column(column, column, width)
        sheet.freeze_panes(1, 0)
        self.sheets.append(sheet)
        self.row, self.links = 1, 0

    @property
    def sheet(self) -> Worksheet:
        return self.sheets[-1]

    def add(
        self,
        values: Sequence[Any],
        styles: dict[int, Format] | None = None,
        link: tuple[int, str] | None = None,
    ) -> None:
        """One row: ``styles`` by column (0-based); ``link`` (column, target) makes that
        column's cell a link, while the sheet may hold more."""
        if self.row >= MAX_ROWS:
            self._start()
        styles = styles or {}
        for column, value in enumerate(values):
            if link is not None and column == link[0] and isinstance(value, str) and value:
                if self.links < MAX_LINKS:
                    self.links += 1
                    shown = text(value)
                    if self.sheet.write_url(self.row, column, link[1], string=shown) == 0:
                        continue
                else:
                    self.unlinked += 1
            if value is not None and value != "":
                put(self.sheet, self.row, column, value, styles.get(column))
        self.row += 1

    def blank(self) -> None:
        """An empty row."""
        if self.row >= MAX_ROWS:
            self._start()
        else:
            self.row += 1

    def filter(self) -> None:
        """A filter over every column of each sheet's rows."""
        for number, sheet in enumerate(self.sheets, start=1):
            last = self.row - 1 if number == len(self.sheets) else MAX_ROWS - 1
            sheet.autofilter(0, 0, max(1, last), len(self.titles) - 1)


class XlsxReporter(Reporter):
    name = "xlsx"
    uses_graph = False
    description = "an Excel report: summary, findings, per-owner pages and rules"
    binary = True

    def source_link(self, result: RunResult) -> str | None:
        """The client's workbook as a link from the report: relative to where the report
        is written, when it is written to a file; None for a path too long for a link
        (its findings' cells are named, not linked)."""
        source = Path(result.source.path)
        if self.destination is not None:
            link = os.path.relpath(source.resolve(), self.destination.resolve().parent)
        else:
            link = str(source)
        return None if len(link.encode("utf-16-le")) // 2 > MAX_URL else link

    @staticmethod
    def link(source: str | None, finding: Finding) -> str | None:
        """A link to the finding's cell in the client's workbook (``source``, as
        :meth:`source_link` gives it)."""
        location = finding.location
        if source is None or location is None or not location.cell or location.column is None:
            return None
        return f"external:{source}#{location.cell}"

    def render(self, result: RunResult) -> bytes:
        buffer = io.BytesIO()
        # XlsxWriter keeps each sheet's rows in a file of its own until it closes the
        # workbook, and leaves them behind if it never does (a stop, an error): in a
        # folder of this render's, removed whatever happens.
        with tempfile.TemporaryDirectory(prefix="alignhealth-xlsx-", dir=scratch_dir()) as rows:
            book = xlsxwriter.Workbook(
                buffer,
                {
                    "constant_memory": True,
                    "tmpdir": rows,
                    "strings_to_formulas": False,
                    "strings_to_numbers": False,
                    "strings_to_urls": False,
                },
            )
            # Marked, so that a folder of workbooks or an audit's pattern holding it does
            # not read it back as a goal workbook (an annotated copy is not marked: it may
            # come back as the client's next workbook).
            book.set_custom_property(OUTPUT_MARK, "report")
            formats = _Formats(book)
            summary = book.add_worksheet("Summary")
            source = self.source_link(result)
            findings = self._findings(book, formats, result, source)
            owners = self._owners(book, formats, result, source)
            self._rules(book, formats, result)
            self._summary(summary, formats, result, (findings, owners))
            book.close()
        return buffer.getvalue()

    def _summary(
        self, sheet: Worksheet, formats: _Formats, result: RunResult, tables: tuple[_Table, ...]
    ) -> None:
        summary = result.summary
        put(sheet, 0, 0, "alignhealth report", formats.title)
        put(sheet, 2, 0, "Health score", formats.large)
        band = summary.band
        score_style = formats.score[band] if band else formats.large
        score = summary.health_score
        put(sheet, 2, 1, score if score is not None else "n/a", score_style)
        put(sheet, 2, 2, band or None, formats.band[band] if band else None)
        rows: list[tuple[str, Any]] = [
            ("Workbook", result.source.path),
            ("As of", result.as_of.isoformat()),
            ("Ruleset", result.ruleset.name),
            ("Tool", f"alignhealth {result.tool.version}"),
            ("Goals checked", summary.checked),
            ("Findings", len(result.active_findings())),
            ("Suppressed", summary.suppressed),
            ("Complete", "no: a rule crashed (AH901)" if summary.incomplete else "yes"),
        ]
        row = 4
        for label, value in rows:
            put(sheet, row, 0, label, formats.bold)
            put(sheet, row, 1, value)
            row += 1
        for table in tables:
            if len(table.sheets) > 1:
                put(sheet, row, 0, "Sheets", formats.bold)
                put(
                    sheet,
                    row,
                    1,
                    f"{table.name} goes on over {len(table.sheets)} sheets: Excel holds "
                    f"{MAX_ROWS:,} rows a sheet",
                )
                row += 1
            if table.unlinked:
                put(sheet, row, 0, "Links", formats.bold)
                put(
                    sheet,
                    row,
                    1,
                    f"{table.name}: {table.unlinked:,} cells name their place in the "
                    f"workbook without a link: Excel keeps {MAX_LINKS:,} links a sheet "
                    "(the most severe findings come first and have theirs)",
                )
                row += 1
        row += 1
        for error in result.errors:
            put(sheet, row, 0, "Error", formats.error)
            put(sheet, row, 1, error.message)
            row += 1
        row += 1
        self._header(sheet, formats, row, ["Severity", "Findings"])
        for severity in Severity:
            row += 1
            put(sheet, row, 0, severity.value, formats.severity[severity])
            put(sheet, row, 1, summary.by_severity.get(severity.value, 0))
        row += 2
        group_of = {o.code: (o.groups[0] if o.groups else o.code) for o in result.outcomes}
        families = Counter(group_of.get(f.code, f.code) for f in result.active_findings())
        self._header(sheet, formats, row, ["Rule family", "Findings"])
        for family, count in families.most_common():
            row += 1
            put(sheet, row, 0, family)
            put(sheet, row, 1, count)
        row += 2
        self._header(sheet, formats, row, ["Level", "Score", "Band", "Goals"])
        for entry in summary.by_level:
            row += 1
            put(sheet, row, 0, entry.level)
            put(sheet, row, 1, entry.score)
            put(sheet, row, 2, entry.band)
            put(sheet, row, 3, entry.checked)
        for column, width in enumerate([22, 60, 14, 10]):
            sheet.set_column(column, column, width)

    @staticmethod
    def _header(sheet: Worksheet, formats: _Formats, row: int, titles: list[str]) -> None:
        for column, title in enumerate(titles):
            put(sheet, row, column, title, formats.header)

    def _findings(
        self, book: Workbook, formats: _Formats, result: RunResult, source: str | None
    ) -> _Table:
        titles = [
            "Severity",
            "Code",
            "Rule",
            "Message",
            "Entity",
            "Label",
            "Owner",
            "Cell",
            "Hint",
            "Suppressed",
            "Reason",
        ]
        table = _Table(
            book, formats, "Findings", titles, [11, 9, 24, 70, 12, 28, 22, 18, 50, 11, 30]
        )
        names = owner_names(result)
        styles = {
            severity: {0: style, 3: formats.wrapped} for severity, style in formats.severity.items()
        }
        for finding in result.findings:
            owner = names.get(finding.owner or "", finding.owner or "")
            location = finding.location
            target = self.link(source, finding)
            table.add(
                [
                    finding.severity.value,
                    finding.code,
                    finding.name,
                    finding.message,
                    finding.entity.id,
                    finding.entity.label,
                    owner,
                    location.cell if location else None,
                    finding.hint,
                    "yes" if finding.suppressed else None,
                    finding.suppression.reason if finding.suppression else None,
                ],
                styles[finding.severity],
                (7, target) if target else None,
            )
        table.filter()
        return table

    def _owners(
        self, book: Workbook, formats: _Formats, result: RunResult, source: str | None
    ) -> _Table:
        titles = ["Owner", "Severity", "Code", "Rule", "Message", "Cell", "Hint"]
        table = _Table(book, formats, "By owner", titles, [30, 11, 9, 24, 70, 18, 50])
        by_owner: dict[str, list[Finding]] = {}
        for finding in result.active_findings():
            if finding.owner:
                by_owner.setdefault(finding.owner, []).append(finding)
        styles = {severity: {1: style} for severity, style in formats.severity.items()}
        plain = formats.bold
        for entry in result.summary.by_owner:
            findings = by_owner.get(entry.id, [])
            name = f"{entry.name} ({entry.id})" if entry.name else entry.id
            score = f"{entry.score}/100 ({entry.band})" if entry.score is not None else "n/a"
            title = f"{name}: health {score}, {entry.checked} goal(s), {len(findings)} finding(s)"
            table.add([title], {0: formats.owner[entry.band] if entry.band else plain})
            for finding in findings:
                location = finding.location
                target = self.link(source, finding)
                table.add(
                    [
                        name,
                        finding.severity.value,
                        finding.code,
                        finding.name,
                        finding.message,
                        location.cell if location else None,
                        finding.hint,
                    ],
                    styles[finding.severity],
                    (5, target) if target else None,
                )
            table.blank()
        return table

    def _rules(self, book: Workbook, formats: _Formats, result: RunResult) -> None:
        titles = [
            "Code",
            "Rule",
            "Plugin",
            "Severity",
            "Outcome",
            "Checked",
            "Failed",
            "Reason",
            "Summary",
            "Time (ms)",
        ]
        table = _Table(book, formats, "Rules", titles, [9, 26, 16, 10, 10, 9, 8, 50, 60, 10])
        for outcome in result.outcomes:
            table.add(
                [
                    outcome.code,
                    outcome.name,
                    outcome.plugin,
                    outcome.severity.value if outcome.severity else None,
                    outcome.status,
                    outcome.checked,
                    outcome.failed,
                    outcome.reason,
                    outcome.summary,
                    round(outcome.duration_ms, 2),
                ]
            )
        table.filter()
