"""``--format csv``: one row per finding, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from alignhealth.reporters.base import Reporter
from alignhealth.reporters.rows import COLUMNS, finding_rows
from alignhealth.reporters.safe import cell_safe
from alignhealth.runresult import RunResult


class CsvReporter(Reporter):
    name = "csv"
    uses_graph = False
    description = "one row per finding (cells that look like formulas are written as text)"

    def render(self, result: RunResult) -> str:
        return self.render_many([result], result.exit_code)

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for result in results:
            for row in finding_rows(result):
                writer.writerow([cell_safe(v) if isinstance(v, str) else v for v in row.values()])
        return buffer.getvalue()
