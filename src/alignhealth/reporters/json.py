"""``--format json``: the contract for integrations (output.md)."""

from __future__ import annotations

from collections.abc import Sequence

import pydantic_core

from alignhealth.portfolio import combine
from alignhealth.reporters.base import Reporter
from alignhealth.runresult import SCHEMA_VERSION, RunResult


def pretty_json(document: object) -> str:
    """``document`` as indented JSON, UTF-8 text unescaped, a NaN or infinity as null (as
    the run result's own JSON has them). pydantic's encoder: the standard library's,
    asked to indent, encodes in Python (5 s for a SARIF log of 100,000 findings).
    """
    return pydantic_core.to_json(document, indent=2, inf_nan_mode="null").decode() + "\n"


class JsonReporter(Reporter):
    name = "json"
    uses_graph = False
    description = "one JSON document per run, as output.md defines it"

    def render(self, result: RunResult) -> str:
        return result.model_dump_json(indent=2) + "\n"

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        document = {
            "schema_version": SCHEMA_VERSION,
            "runs": [result.model_dump(mode="json") for result in results],
            "summary": combine(results).model_dump(mode="json"),
            "exit_code": exit_code,
        }
        return pretty_json(document)
