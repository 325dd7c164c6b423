"""``--format jsonl``: one JSON object per finding, one per line, for log pipelines."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from alignhealth.reporters.base import Reporter
from alignhealth.runresult import RunResult

#: The lines :meth:`JsonlReporter.write` encodes at a time (about 3 MB of text).
LINES_AT_ONCE = 5_000


class JsonlReporter(Reporter):
    name = "jsonl"
    uses_graph = False
    description = "one JSON object per finding per line, with the workbook and as-of date"

    def render(self, result: RunResult) -> str:
        return "".join(self._lines(result))

    def write(self, result: RunResult, out: BinaryIO) -> None:
        """The lines :meth:`render` makes, written :data:`LINES_AT_ONCE` at a time."""
        lines: list[str] = []
        for line in self._lines(result):
            lines.append(line)
            if len(lines) == LINES_AT_ONCE:
                out.write("".join(lines).encode())
                lines.clear()
        if lines:
            out.write("".join(lines).encode())

    @staticmethod
    def _lines(result: RunResult) -> Iterator[str]:
        workbook, as_of = result.source.path, result.as_of.isoformat()
        for finding in result.findings:
            record = {"workbook": workbook, "as_of": as_of, **finding.model_dump(mode="json")}
            yield json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        return "".join(self.render(result) for result in results)
