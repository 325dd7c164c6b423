"""``--format json``: the contract for integrations (output.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from alignhealth.portfolio import combine
from alignhealth.reporters.base import Reporter
from alignhealth.runresult import SCHEMA_VERSION, RunResult


class JsonReporter(Reporter):
    name = "json"
    uses_graph = False
    description = "one JSON document per run, as output.md defines it"

    def render(self, result: RunResult) -> str:
        return result.model_dump_json(indent=2) + "\n"

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        runs = [json.loads(result.model_dump_json()) for result in results]
        document = {
            "schema_version": SCHEMA_VERSION,
            "runs": runs,
            "summary": combine(results).model_dump(mode="json"),
            "exit_code": exit_code,
        }
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
