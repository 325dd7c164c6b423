"""``--format jsonl``: one JSON object per finding, one per line, for log pipelines."""

from __future__ import annotations

import json
from collections.abc import Sequence

from alignhealth.reporters.base import Reporter
from alignhealth.runresult import RunResult


class JsonlReporter(Reporter):
    name = "jsonl"
    uses_graph = False
    description = "one JSON object per finding per line, with the workbook and as-of date"

    def render(self, result: RunResult) -> str:
        lines = []
        for finding in result.findings:
            record = {
                "workbook": result.source.path,
                "as_of": result.as_of.isoformat(),
                **finding.model_dump(mode="json"),
            }
            lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
        return "".join(line + "\n" for line in lines)

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        return "".join(self.render(result) for result in results)
