"""``--format json``: the contract for integrations (output.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
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


def write_spliced(
    out: BinaryIO, document: str, key: str, depth: int, pieces: Iterable[str]
) -> None:
    """Write ``document`` (indented JSON, as :func:`pretty_json` or pydantic sets it out)
    to ``out`` with ``pieces`` put into the list at ``key``, empty in it, whose key is
    ``depth`` spaces in. Each piece is some of the list's items as they are set out there
    (each after a line break and ``depth + 2`` spaces, commas between), so the list is
    never held whole: the document is the same, byte for byte, as one made with the
    list in it.

    The key is found as indented JSON writes it, after a line break: a line break within
    a text is written as ``\\n``, and a key of another depth has other indentation.
    """
    opening = "\n" + " " * depth + f'"{key}": ['
    # The rest of a large run (a summary of every owner) is tens of megabytes: written as
    # it is cut, not joined to anything first.
    head, tail = document.split(opening + "]", 1)
    out.write(head.encode())
    out.write(opening.encode())
    for number, piece in enumerate(pieces):
        if number:
            out.write(b",")
        out.write(piece.encode())
    out.write(("\n" + " " * depth + "]").encode())
    out.write(tail.encode())


def list_items(text: str, start: str, end: str) -> str:
    """The items of a list cut from indented JSON ``text`` that begins with ``start``
    (the list's opening bracket) and ends with ``end`` (its closing one)."""
    if not (text.startswith(start) and text.endswith(end)):
        raise AssertionError(f"the JSON was set out otherwise: {text[:40]!r}")
    return text[len(start) : -len(end)]


#: The findings :meth:`JsonReporter.write` encodes at a time: about 4 MB of text, held
#: four times over as pydantic makes it and it is cut out and encoded.
FINDINGS_AT_ONCE = 5_000


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

        def pieces() -> Iterator[str]:
            for at in range(0, len(findings), FINDINGS_AT_ONCE):
                # A copy shares the result's parts: only its list of findings is new.
                piece = result.model_copy(update={"findings": findings[at : at + FINDINGS_AT_ONCE]})
                text = piece.model_dump_json(indent=2, include={"findings"})
                yield list_items(text, '{\n  "findings": [', "\n  ]\n}")

        rest = result.model_copy(update={"findings": []}).model_dump_json(indent=2)
        write_spliced(out, rest, "findings", 2, pieces())
        out.write(b"\n")

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        document = {
            "schema_version": SCHEMA_VERSION,
            "runs": [result.model_dump(mode="json") for result in results],
            "summary": combine(results).model_dump(mode="json"),
            "exit_code": exit_code,
        }
        return pretty_json(document)
