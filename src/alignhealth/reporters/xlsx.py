"""``--format xlsx``: the Excel report a consultant hands over.

Summary (score, counts, families, levels), Findings (one row each, filterable, linked to
the client's cell), By owner (the page each leader is handed) and Rules (what ran). Text
from the workbook is always written as text, never as a formula.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from alignhealth.findings import Finding, Severity
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
HEADER_FILL = PatternFill("solid", fgColor="305496")
HEADER_FONT = Font(bold=True, color="FFFFFF")
#: The named styles of the rows there is one of per finding or owner: a cell takes a
#: named style by name, where a fill or font of its own is looked up among every style
#: of the workbook (a million goals' findings: most of the report's time).
WRAPPED = "alignhealth wrapped"
OWNER = "alignhealth owner"


def severity_style(severity: Severity) -> str:
    return f"alignhealth {severity.value}"


def owner_style(band: str | None) -> str:
    return f"{OWNER} {band}" if band else OWNER


def add_styles(book: Workbook) -> None:
    """Register the named styles of the report's rows in ``book``."""
    for severity, colour in SEVERITY_FILLS.items():
        book.add_named_style(
            NamedStyle(severity_style(severity), fill=PatternFill("solid", fgColor=colour))
        )
    book.add_named_style(NamedStyle(WRAPPED, alignment=Alignment(wrap_text=True, vertical="top")))
    book.add_named_style(NamedStyle(OWNER, font=Font(bold=True)))
    for band, colour in BAND_FILLS.items():
        book.add_named_style(
            NamedStyle(
                owner_style(band), font=Font(bold=True), fill=PatternFill("solid", fgColor=colour)
            )
        )


def put(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write a value; text is stored as text (a leading ``=`` is not a formula) without the
    characters a workbook cannot hold."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = xml_safe(value)[:32767]
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def header(sheet: Worksheet, row: int, titles: list[str], widths: list[int]) -> None:
    """A styled header row, with the column widths."""
    for index, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = put(sheet, row, index, title)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        sheet.column_dimensions[get_column_letter(index)].width = width


class XlsxReporter(Reporter):
    name = "xlsx"
    uses_graph = False
    description = "an Excel report: summary, findings, per-owner pages and rules"
    binary = True

    def source_link(self, result: RunResult) -> str:
        """The client's workbook as a link from the report: relative to where the report
        is written, when it is written to a file."""
        source = Path(result.source.path)
        if self.destination is not None:
            return os.path.relpath(source.resolve(), self.destination.resolve().parent)
        return str(source)

    @staticmethod
    def link(source: str, finding: Finding) -> str | None:
        """A hyperlink to the finding's cell in the client's workbook (``source``, as
        :meth:`source_link` gives it)."""
        location = finding.location
        if location is None or not location.cell or location.column is None:
            return None
        return f"{source}#{location.cell}"

    def render(self, result: RunResult) -> bytes:
        book = Workbook()
        book.remove(book.active)
        # Marked, so that a folder of workbooks or an audit's pattern holding it does not
        # read it back as a goal workbook (an annotated copy is not marked: it may come
        # back as the client's next workbook).
        book.custom_doc_props.append(StringProperty(name=OUTPUT_MARK, value="report"))
        add_styles(book)
        self._summary(book.create_sheet("Summary"), result)
        # The client's workbook as the findings' links name it (a path resolved once).
        source = self.source_link(result)
        self._findings(book.create_sheet("Findings"), result, source)
        self._owners(book.create_sheet("By owner"), result, source)
        self._rules(book.create_sheet("Rules"), result)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def _summary(self, sheet: Worksheet, result: RunResult) -> None:
        summary = result.summary
        put(sheet, 1, 1, "alignhealth report").font = Font(bold=True, size=16)
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
        put(sheet, 3, 1, "Health score").font = Font(bold=True, size=14)
        score = put(
            sheet, 3, 2, summary.health_score if summary.health_score is not None else "n/a"
        )
        score.font = Font(bold=True, size=14)
        put(sheet, 3, 3, summary.band or "")
        if summary.band:
            for cell in (score, sheet.cell(row=3, column=3)):
                cell.fill = PatternFill("solid", fgColor=BAND_FILLS[summary.band])
        for offset, (label, value) in enumerate(rows, start=5):
            put(sheet, offset, 1, label).font = Font(bold=True)
            put(sheet, offset, 2, value)
        row = 5 + len(rows) + 1
        for error in result.errors:
            put(sheet, row, 1, "Error").font = Font(bold=True, color="C62828")
            put(sheet, row, 2, error.message)
            row += 1
        row += 1
        header(sheet, row, ["Severity", "Findings"], [22, 16])
        for severity in Severity:
            row += 1
            put(sheet, row, 1, severity.value).fill = PatternFill(
                "solid", fgColor=SEVERITY_FILLS[severity]
            )
            put(sheet, row, 2, summary.by_severity.get(severity.value, 0))
        row += 2
        group_of = {o.code: (o.groups[0] if o.groups else o.code) for o in result.outcomes}
        families = Counter(group_of.get(f.code, f.code) for f in result.active_findings())
        header(sheet, row, ["Rule family", "Findings"], [22, 16])
        for family, count in families.most_common():
            row += 1
            put(sheet, row, 1, family)
            put(sheet, row, 2, count)
        row += 2
        header(sheet, row, ["Level", "Score", "Band", "Goals"], [22, 16, 14, 10])
        for entry in summary.by_level:
            row += 1
            put(sheet, row, 1, entry.level)
            put(sheet, row, 2, entry.score)
            put(sheet, row, 3, entry.band or "")
            put(sheet, row, 4, entry.checked)
        sheet.column_dimensions["B"].width = 60

    def _findings(self, sheet: Worksheet, result: RunResult, source: str) -> None:
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
        header(sheet, 1, titles, [11, 9, 24, 70, 12, 28, 22, 18, 50, 11, 30])
        names = owner_names(result)
        for row, finding in enumerate(result.findings, start=2):
            owner = names.get(finding.owner or "", finding.owner or "")
            values = [
                finding.severity.value,
                finding.code,
                finding.name,
                finding.message,
                finding.entity.id,
                finding.entity.label or "",
                owner,
                finding.location.cell if finding.location and finding.location.cell else "",
                finding.hint or "",
                "yes" if finding.suppressed else "",
                finding.suppression.reason if finding.suppression else "",
            ]
            for column, value in enumerate(values, start=1):
                put(sheet, row, column, value)
            sheet.cell(row=row, column=1).style = severity_style(finding.severity)
            sheet.cell(row=row, column=4).style = WRAPPED
            link = self.link(source, finding)
            if link:
                cell = sheet.cell(row=row, column=8)
                cell.hyperlink = link
                cell.style = "Hyperlink"
        sheet.freeze_panes = "A2"
        last = max(2, len(result.findings) + 1)
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{last}"

    def _owners(self, sheet: Worksheet, result: RunResult, source: str) -> None:
        titles = ["Owner", "Severity", "Code", "Rule", "Message", "Cell", "Hint"]
        header(sheet, 1, titles, [30, 11, 9, 24, 70, 18, 50])
        sheet.freeze_panes = "A2"
        by_owner: dict[str, list[Finding]] = {}
        for finding in result.active_findings():
            if finding.owner:
                by_owner.setdefault(finding.owner, []).append(finding)
        row = 2
        for entry in result.summary.by_owner:
            findings = by_owner.get(entry.id, [])
            name = f"{entry.name} ({entry.id})" if entry.name else entry.id
            score = f"{entry.score}/100 ({entry.band})" if entry.score is not None else "n/a"
            title = put(
                sheet,
                row,
                1,
                f"{name}: health {score}, {entry.checked} goal(s), {len(findings)} finding(s)",
            )
            title.style = owner_style(entry.band)
            row += 1
            for finding in findings:
                values = [
                    name,
                    finding.severity.value,
                    finding.code,
                    finding.name,
                    finding.message,
                    finding.location.cell if finding.location else "",
                    finding.hint or "",
                ]
                for column, value in enumerate(values, start=1):
                    put(sheet, row, column, value)
                sheet.cell(row=row, column=2).style = severity_style(finding.severity)
                link = self.link(source, finding)
                if link:
                    sheet.cell(row=row, column=6).hyperlink = link
                    sheet.cell(row=row, column=6).style = "Hyperlink"
                row += 1
            row += 1

    def _rules(self, sheet: Worksheet, result: RunResult) -> None:
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
        header(sheet, 1, titles, [9, 26, 16, 10, 10, 9, 8, 50, 60, 10])
        for row, outcome in enumerate(result.outcomes, start=2):
            values = [
                outcome.code,
                outcome.name,
                outcome.plugin,
                outcome.severity.value if outcome.severity else "",
                outcome.status,
                outcome.checked,
                outcome.failed,
                outcome.reason or "",
                outcome.summary,
                round(outcome.duration_ms, 2),
            ]
            for column, value in enumerate(values, start=1):
                put(sheet, row, column, value)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:J{max(2, len(result.outcomes) + 1)}"
