"""The reader-neutral view of a workbook: named sheets of numbered rows of cell values."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from alignhealth.findings import Notice

RowStream = Iterator[tuple[int, Sequence[object]]]


class CellError(str):
    """An Excel error value (``#REF!``, ``#N/A``...), as opposed to the same text typed in."""

    __slots__ = ()


class UncalculatedFormula(CellError):
    """A formula whose result was never saved (the file was written by a tool that does
    not calculate): the reader sees no value."""

    __slots__ = ()


def no_rows() -> RowStream:
    """The rows of a sheet whose reader has yet to be attached."""
    return iter(())


@dataclass
class RawSheet:
    """One sheet: its name as the workbook spells it, whether it is hidden, and its rows.

    ``rows()`` yields ``(row number, values)`` for each row that holds anything, the row
    number being the spreadsheet's own (1-based) and ``values[0]`` column A.
    """

    name: str
    hidden: bool
    rows: Callable[[], RowStream]
    #: Merged ranges (``A1:F1``); their top-left values already fill ``rows()``.
    #: A reader that loads sheets lazily fills this (and ``hidden_rows``) in when
    #: ``rows()`` is called, so read them after the rows.
    merged: list[str] = field(default_factory=list)
    #: Rows hidden in the sheet (1-based). They are read like any other, and reported.
    hidden_rows: list[int] = field(default_factory=list)
    #: Bytes of the sheet's data, where the reader knows it (0: unknown).
    size: int = 0


@dataclass
class RawWorkbook:
    """The sheets of a workbook, and what the reader noticed while opening it."""

    path: str
    sheets: list[RawSheet]
    notices: list[Notice] = field(default_factory=list)
    date_epoch_1904: bool = False
    #: The reader behind the rows (an isolated reader's backend), where it matters.
    reader: str = ""
    #: Releases what the reader holds (an isolated reader's process); idempotent.
    closer: Callable[[], None] | None = None
    #: Tells a reader that loads sheets lazily which sheets (indexes into ``sheets``)
    #: will be read, in order, so that it can load them ahead.
    prefetch: Callable[[Sequence[int]], None] | None = None
    #: Whether a sheet's rows come from a reader of their own (a second process streaming
    #: it), so that it can be read at the same time as the other sheets.
    apart: Callable[[RawSheet], bool] | None = None

    def reads_apart(self, sheet: RawSheet) -> bool:
        """Whether ``sheet`` can be read while other sheets are."""
        return self.apart is not None and self.apart(sheet)

    def want(self, sheets: Sequence[RawSheet]) -> None:
        """Say which sheets will be read, in order (a hint; any sheet can still be read)."""
        if self.prefetch is not None:
            indexes = {id(sheet): index for index, sheet in enumerate(self.sheets)}
            self.prefetch([indexes[id(sheet)] for sheet in sheets])

    def close(self) -> None:
        if self.closer is not None:
            closer, self.closer = self.closer, None
            closer()
