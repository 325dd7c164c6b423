"""What a reporter (an output format) is."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from alignhealth.runresult import RunResult


class Reporter:
    """An output format. Subclasses set ``name`` and ``description`` and implement
    :meth:`render`; ``binary`` formats return bytes and always need a file path."""

    name: ClassVar[str]
    description: ClassVar[str]
    binary: ClassVar[bool] = False

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

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str | bytes:
        """Several workbooks' results in one document; by default, one after another."""
        parts = [self.render(result) for result in results]
        if self.binary:
            raise NotImplementedError(f"{self.name} writes one file per workbook")
        return "\n".join(str(part) for part in parts)
