"""Progress of long loads and checks, shown on a terminal and nowhere else."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from alignhealth.reporters.safe import terminal_safe

if TYPE_CHECKING:
    from rich.progress import TaskID

#: How many rows between two progress updates while reading.
ROW_STEP = 2000


class Progress(Protocol):
    """Receives progress; the engine and loaders call it, the CLI renders it."""

    def rows(self, sheet: str, count: int) -> None:
        """``count`` rows of ``sheet`` have been read so far."""

    def rules(self, done: int, total: int, code: str) -> None:
        """``done`` of ``total`` rules have run; ``code`` runs next (or ran last)."""


class PortfolioProgress(Protocol):
    """Receives the progress of a check of several workbooks run in parallel."""

    def workbooks(self, done: int, total: int, path: str | None) -> None:
        """``done`` of ``total`` workbooks have been checked; ``path`` is the last (None
        before the first)."""


class RichProgress:
    """A transient progress display on standard error (rich), for interactive use.

    It redraws when told of progress rather than from a refresh thread of its own: a
    process with a second thread cannot safely fork, and the reader and the rules of a
    large workbook run in forked processes.
    """

    #: Seconds between two redraws at most.
    REDRAW = 0.1

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            auto_refresh=False,
        )
        self._drawn = 0.0
        self._reading: dict[str, TaskID] = {}
        self._checking: TaskID | None = None
        self._portfolio: TaskID | None = None
        self._writing: TaskID | None = None

    def rows(self, sheet: str, count: int) -> None:
        task = self._reading.get(sheet)
        new = task is None
        if task is None:
            task = self._reading[sheet] = self._progress.add_task(f"Reading {sheet}", total=None)
        self._progress.update(task, completed=count, description=f"Reading {sheet}: {count:,} rows")
        self._redraw(now=new)

    def rules(self, done: int, total: int, code: str) -> None:
        new = self._checking is None
        if self._checking is None:
            self._checking = self._progress.add_task("Checking", total=total)
        self._progress.update(self._checking, completed=done, description=f"Checking {code}")
        self._redraw(now=new)

    def workbooks(self, done: int, total: int, path: str | None) -> None:
        new = self._portfolio is None
        if self._portfolio is None:
            self._portfolio = self._progress.add_task("Checking workbooks", total=total)
        if path is not None:
            description = f"Checked {terminal_safe(path)}"
            self._progress.update(self._portfolio, completed=done, description=description)
        self._redraw(now=new)

    def writing(self, path: str, findings: int) -> None:
        """A report of ``findings`` findings is being written to ``path``: the Excel report
        of 100,000 takes some 17 s, after the check's own progress is gone."""
        description = f"Writing {terminal_safe(path)} ({findings:,} findings)"
        if self._writing is None:
            self._writing = self._progress.add_task(description, total=None)
        else:
            self._progress.update(self._writing, description=description)
        self._redraw(now=True)

    def _redraw(self, now: bool = False) -> None:
        """Redraw at most every REDRAW seconds, and at once when a new task appears."""
        clock = time.monotonic()
        if now or clock - self._drawn >= self.REDRAW:
            self._drawn = clock
            self._progress.refresh()

    @contextmanager
    def shown(self) -> Iterator[RichProgress]:
        with self._progress:
            yield self
