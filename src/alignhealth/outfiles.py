"""Writing the files a run produces (reports, annotated copies, mail, templates): each
whole or not at all.

Each is written to a temporary file beside it, then renamed over it. A run interrupted
while writing (Ctrl-C, a worker the kernel kills, a full disk) leaves the file as it was
before, never half a report where a whole one is expected; and a reader (a web server
publishing the HTML, the next step of a pipeline) never sees one half written.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from alignhealth.errors import UsageError


def write_whole(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8) to ``path``, making its folder if need be.

    Raises :class:`UsageError` naming the file when it cannot be written.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    save_whole(path, lambda temporary: temporary.write_bytes(data))


def save_whole(path: Path, save: Callable[[Path], object]) -> None:
    """``save(temporary)`` writes the file (an openpyxl workbook's ``save``, say); it
    becomes ``path`` once written whole."""
    # The temporary name keeps the suffix: some writers choose the format by it.
    temporary = path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save(temporary)
        os.replace(temporary, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):  # gone already, or its folder never was
            temporary.unlink(missing_ok=True)


class Inputs:
    """The workbooks a run reads, to refuse any file it would write over one of them: a
    report named like the workbook (``-f xlsx -o book.xlsx``, ``-o '{stem}.xlsx'``
    beside the workbooks), however it is spelt (``./book.xlsx``, a symlink, a hard link).
    alignhealth never writes to its input."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.by_path: dict[Path, Path] = {}
        self.by_file: dict[tuple[int, int], Path] = {}
        for path in paths:
            self.by_path.setdefault(path.resolve(), path)
            with contextlib.suppress(OSError):  # not there: no file to write over
                found = path.stat()
                self.by_file.setdefault((found.st_dev, found.st_ino), path)

    def refuse(self, destination: Path, what: str, fix: str = "choose another file name") -> None:
        """Raise :class:`UsageError` if ``destination`` is one of the inputs; ``what``
        names the file to write (``the xlsx report``, ``--annotate``), ``fix`` what to
        do instead."""
        source = self.by_path.get(destination.resolve())
        if source is None:
            with contextlib.suppress(OSError):
                found = destination.stat()
                source = self.by_file.get((found.st_dev, found.st_ino))
        if source is not None:
            raise UsageError(
                f"{what} {destination}: that is the workbook {source} itself; alignhealth "
                f"never writes to the workbooks it reads; {fix}"
            )
