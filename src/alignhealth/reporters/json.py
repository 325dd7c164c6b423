"""``--format json``: the contract for integrations (output.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

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


#: The findings :meth:`JsonReporter.write` encodes at a time: about 4 MB of text, held
#: four times over as pydantic makes it and it is cut out and encoded.
FINDINGS_AT_ONCE = 5_000

# How the document's findings are set out (indented by two, each finding by four), so
# that pieces of it can be put together: a key at the top level is the only thing after
# a line break and two spaces (a line break within a text is written as "\n").
_NO_FINDINGS = '\n  "findings": []'
_FINDINGS_ONLY = ('{\n  "findings": [', "\n  ]\n}")


class JsonReporter(Reporter):
    name = "json"
    uses_graph = False
    description = "one JSON document per run, as output.md defines it"

    def render(self, result: RunResult) -> str:
        return result.model_dump_json(indent=2) + "\n"

    def write(self, result: RunResult, out: BinaryIO) -> None:
        """The document :meth:`render` makes, byte for byte, written
        :data:`FINDINGS_AT_ONCE` findings at a time: the text of a run with a million
        findings (a gigabyte) is never held whole, nor encoded whole once more."""
        findings = result.findings
        if len(findings) <= FINDINGS_AT_ONCE:
            super().write(result, out)
            return
        # The copies share the result's parts: only the list of findings is new.
        rest = result.model_copy(update={"findings": []}).model_dump_json(indent=2)
        head, tail = rest.split(_NO_FINDINGS, 1)
        out.write(f'{head}\n  "findings": ['.encode())
        start, end = _FINDINGS_ONLY
        for at in range(0, len(findings), FINDINGS_AT_ONCE):
            piece = result.model_copy(update={"findings": findings[at : at + FINDINGS_AT_ONCE]})
            text = piece.model_dump_json(indent=2, include={"findings"})
            if not (text.startswith(start) and text.endswith(end)):
                raise AssertionError(f"pydantic set out the findings otherwise: {text[:40]!r}")
            if at:
                out.write(b",")
            out.write(text[len(start) : -len(end)].encode())
        out.write(f"\n  ]{tail}\n".encode())

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        document = {
            "schema_version": SCHEMA_VERSION,
            "runs": [result.model_dump(mode="json") for result in results],
            "summary": combine(results).model_dump(mode="json"),
            "exit_code": exit_code,
        }
        return pretty_json(document)
