"""What a reporter (an output format) is."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, ClassVar

from alignhealth.outfiles import save_whole
from alignhealth.runresult import RunResult


class Reporter:
    """An output format. Subclasses set ``name`` and ``description`` and implement
    :meth:`render`; ``binary`` formats return bytes and always need a file path."""

    name: ClassVar[str]
    description: ClassVar[str]
    binary: ClassVar[bool] = False
    #: Whether :meth:`render` reads ``result.graph``. Workbooks checked in parallel send
    #: their graphs back from the worker processes only for a format that reads them
    #: (pickling a graph costs more than the rest of a result, and every graph would stay
    #: in this process's memory); a plugin's format is taken to read it unless it says not.
    uses_graph: ClassVar[bool] = True
    #: A format for people at a terminal: coloured there, and with its own summary (the
    #: check does not repeat one on standard error beside it, as it does beside JSON).
    human: ClassVar[bool] = False

    def __init__(
        self, *, color: bool = False, quiet: bool = False, destination: Path | None = None
    ) -> None:
        self.color = color
        #: Findings only: formats with optional sections leave them out.
        self.quiet = quiet
        #: The file the output goes to (None: standard output), for relative links.
        self.destination = destination

    def render(self, result: RunResult) -> str | bytes:
        """One workbook's result in this format."""
        raise NotImplementedError

    def write(self, result: RunResult, out: BinaryIO) -> None:
        """Write one workbook's result in this format to ``out``, a file open for bytes.

        By default, what :meth:`render` returns (text as UTF-8). A format whose documents
        grow large overrides it to write one in pieces, never holding it whole: the JSON
        of a million findings is a gigabyte of text.
        """
        content = self.render(result)
        out.write(content.encode("utf-8") if isinstance(content, str) else content)

    def save(self, result: RunResult, path: Path) -> None:
        """Write one workbook's result to the file ``path`` through :meth:`write`, whole
        or not at all (:func:`~alignhealth.outfiles.save_whole`)."""

        def written(temporary: Path) -> None:
            with temporary.open("wb") as out:
                self.write(result, out)

        save_whole(path, written)

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str | bytes:
        """Several workbooks' results in one document; by default, one after another."""
        parts = [self.render(result) for result in results]
        if self.binary:
            raise NotImplementedError(f"{self.name} writes one file per workbook")
        return "\n".join(str(part) for part in parts)
