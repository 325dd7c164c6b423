"""Run the workbook reader in a child process with memory and time limits.

Readers are native code or parse untrusted XML: a pathological file can make them abort
the interpreter (python-calamine given one value at XFD1048576 asks for 512 GiB), exhaust
memory or spin. The reader therefore runs in a child process under ``RLIMIT_AS`` and a
deadline; the parent pulls rows from it in chunks, and a child that dies or overstays
becomes one clear input error instead of a crash or a hang.
"""

from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat, zip_longest
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from alignhealth.collector import gc_paused
from alignhealth.errors import InputError
from alignhealth.lifetime import scratch_file, tie_to_parent
from alignhealth.loaders.excel import sheet_parts, sheet_sizes
from alignhealth.loaders.raw import RawSheet, RawWorkbook, RowStream, no_rows
from alignhealth.sharing import Ahead, can_fork

CHUNK_ROWS = 2000

#: The unpacked size of sheet XML (bytes) from which a workbook's largest sheet (the
#: goals, as a rule) is streamed by a second child from the start, ahead of the parent
#: asking for it: one child streams and sends a sheet at a time, as fast as one core,
#: while the parent parses the smaller sheets on the other.
LANE_FROM = 8 * 1024 * 1024


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """How much the reader may take: address space (bytes) and wall time (seconds), from
    ALIGNHEALTH_READ_MEMORY and ALIGNHEALTH_READ_TIMEOUT when set."""

    memory: int = field(
        default_factory=lambda: int(_env_number("ALIGNHEALTH_READ_MEMORY", 8 * 1024**3))
    )
    seconds: float = field(default_factory=lambda: _env_number("ALIGNHEALTH_READ_TIMEOUT", 600))


def _open(path: Path, backend: str) -> RawWorkbook:
    if backend in ("calamine", "calamine-xlsx"):
        from alignhealth.loaders.calamine import read_calamine

        return read_calamine(path, xlsx=backend == "calamine-xlsx")
    from alignhealth.loaders.excel import read_xlsx

    return read_xlsx(path)


def _serve(
    conn: Connection, path: str, backend: str, memory: int, log: str, lane: str | None = None
) -> None:
    """The child: open the workbook, then answer requests for rows until told to stop;
    or, as a lane, stream the sheet named ``lane`` at once, and end.

    What native code writes as it dies (a Rust panic, "memory allocation of ... bytes
    failed", and its backtrace) goes to ``log``, not the user's terminal: the parent
    quotes its first line in one clear error.
    """
    tie_to_parent()
    os.environ["RUST_BACKTRACE"] = "0"
    faulthandler.disable()  # it writes to a descriptor of its own (pytest's, say)
    with contextlib.suppress(OSError):
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass  # no limit where the platform has none; the deadline still holds
    try:
        raw = _open(Path(path), backend)
    except InputError as exc:
        conn.send(("error", exc.message, exc.code, exc.location))
        return
    except MemoryError:
        conn.send(
            (
                "error",
                f"{path}: reading the workbook needs more memory than the "
                f"{memory // 1024**2} MiB allowed (ALIGNHEALTH_READ_MEMORY)",
                "too-large",
                path,
            )
        )
        return
    except Exception as exc:
        conn.send(
            (
                "error",
                f"{path}: the workbook cannot be read ({type(exc).__name__}: "
                f"{exc}); re-save it from Excel as .xlsx",
                "corrupt",
                path,
            )
        )
        return
    if lane is not None:
        ahead = Ahead(conn)
        sheet = next(sheet for sheet in raw.sheets if sheet.name == lane)
        raw.want([sheet])
        _answer(ahead, 0, raw, sheet, path, memory)
        ahead.close()
        return
    sheets = [(s.name, s.hidden, s.merged, s.hidden_rows, s.size) for s in raw.sheets]
    conn.send(("ok", sheets, raw.notices, raw.date_epoch_1904))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request[0] == "stop":
            return
        if request[0] == "prefetch":
            _prefetch(raw, request[1])
        if request[0] != "open":
            continue  # a cancel for a stream that already ended
        _, stream_id, index = request
        _answer(conn, stream_id, raw, raw.sheets[index], path, memory)


def _answer(
    conn: Connection | Ahead,
    stream_id: int,
    raw: RawWorkbook,
    sheet: RawSheet,
    path: str,
    memory: int,
) -> None:
    """Stream ``sheet``, or say in one message why it cannot be read.

    The cyclic garbage collector is paused meanwhile: streaming makes a few lists and
    tuples per row, none of them in a cycle, and a collection every 700 of them cost a
    fifth of a goals lane's processor time (a million goals: 9.7 s -> 7.8 s). The read
    takes both cores, so that is time the check waits for.
    """
    try:
        with gc_paused():
            _stream(conn, stream_id, raw, sheet)
    except InputError as exc:
        conn.send(("error", exc.message, exc.code, exc.location))
    except MemoryError:
        conn.send(
            (
                "error",
                f"{path}: sheet {sheet.name!r} needs more memory than the "
                f"{memory // 1024**2} MiB allowed (ALIGNHEALTH_READ_MEMORY)",
                "too-large",
                path,
            )
        )
    except Exception as exc:
        conn.send(
            (
                "error",
                f"{path}: sheet {sheet.name!r} cannot be read ({type(exc).__name__}: {exc}); "
                "re-save it from Excel as .xlsx",
                "corrupt",
                path,
            )
        )


def _prefetch(raw: RawWorkbook, indexes: list[int]) -> None:
    if raw.prefetch is not None:
        raw.prefetch(indexes)


def _stream(conn: Connection | Ahead, stream_id: int, raw: RawWorkbook, sheet: RawSheet) -> None:
    """Send a sheet's rows ahead of the parent, in chunks, so that reading (here) and
    parsing (there) overlap; stop early when the parent cancels. A reader that loads
    sheets lazily knows the sheet's merged ranges and hidden rows once ``rows()`` has
    loaded it: they go first."""
    rows = sheet.rows()
    conn.send(("meta", stream_id, sheet.merged, sheet.hidden_rows))
    chunk: list[tuple[int, Sequence[object]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            if conn.poll() and _cancelled(conn, stream_id, raw):
                break
            conn.send(_by_columns(stream_id, chunk))
            chunk = []
    else:
        if chunk:
            conn.send(_by_columns(stream_id, chunk))
    conn.send(("end", stream_id))


def _by_columns(stream_id: int, chunk: list[tuple[int, Sequence[object]]]) -> tuple[Any, ...]:
    """A chunk of rows as it crosses to the parent: its row numbers, each row's length
    (None where they are all one), and its cells a column at a time.

    The parent unpickles a column's values one after another, so the values its records
    keep (ids, titles, a person's name) lie side by side in memory rather than between
    the cells of their row that are dropped once parsed: a walk over a million goals'
    ids touches 16,000 pages instead of 65,000, and a forked rule process that reads
    them copies that many fewer pages (each object read has its reference count written).

    Columns are as long as the chunk's widest row: where a few rows are far wider than
    the rest (a stray value far to the right), padding would multiply the cells sent, and
    the chunk goes row by row instead.
    """
    numbers, rows = zip(*chunk, strict=True)
    lengths = list(map(len, rows))
    widest = max(lengths)
    if widest == min(lengths):
        return ("columns", stream_id, numbers, None, list(zip(*rows, strict=True)), widest)
    if widest * len(rows) > 2 * sum(lengths):
        return ("rows", stream_id, chunk)
    return ("columns", stream_id, numbers, lengths, list(zip_longest(*rows)), 0)


def _by_rows(message: tuple[Any, ...]) -> RowStream:
    """The rows of a chunk :func:`_by_columns` sent by columns, each as long as it was."""
    _, _, numbers, lengths, columns, width = message
    if lengths is None:
        if width == 0:  # rows of no cells: no columns to turn back into rows
            return zip(numbers, repeat((), len(numbers)), strict=True)
        return zip(numbers, zip(*columns, strict=True), strict=True)
    return (
        (number, row if len(row) == length else row[:length])
        for number, row, length in zip(numbers, zip(*columns, strict=True), lengths, strict=True)
    )


def _cancelled(conn: Connection | Ahead, stream_id: int, raw: RawWorkbook) -> bool:
    assert isinstance(conn, Connection)  # a lane is never polled true
    message = conn.recv()
    if message[0] == "prefetch":
        _prefetch(raw, message[1])
    return bool(message[0] == "cancel" and message[1] == stream_id)


def _preload(backend: str) -> None:
    """Import the backend's reader in this process, so that every child forked from it
    starts with the reader imported: a child importing python-calamine itself took 15 ms
    of each workbook's check, most of a small workbook's wait for its reader. Importing
    reads no file, so it cannot crash this process the way reading one can."""
    if backend.startswith("calamine"):
        import python_calamine  # noqa: F401
        import python_calamine_plus  # noqa: F401


class IsolatedReader:
    """The parent's end: a RawWorkbook whose rows come from the child."""

    def __init__(self, path: Path, backend: str, limits: Limits | None = None) -> None:
        self.path = path
        self.backend = backend
        self.limits = limits or Limits()
        self.deadline = time.monotonic() + self.limits.seconds
        # fork is cheap and needs no re-import, but is unsafe beside other threads (a
        # progress display); then the child starts afresh.
        method = "fork" if can_fork() else "spawn"
        self.context: Any = multiprocessing.get_context(method)
        if method == "fork":
            _preload(backend)
        self.streams = 0
        #: The stream the child is sending, if the parent stopped reading it half way.
        self.active: int | None = None
        #: The child opened the workbook and answers requests (it did not overstay).
        self.ready = False
        #: Why reading failed, once it has.
        self.failed: InputError | None = None
        # The lane's sheet is read by a thread of the parent's own beside the other
        # sheets: the first failure is the one both are told, and stopping is done once.
        self._stopping = threading.RLock()
        #: The second child streaming the largest sheet ahead (see LANE_FROM); it starts
        #: with the first, before the parent knows which sheets it will read.
        self.lane: _Lane | None = None
        self.process, self.conn, self.log = self._start(None)
        try:
            if backend == "calamine-xlsx":
                sizes = sheet_sizes(path, sheet_parts(path))
                largest = max(sizes, key=sizes.__getitem__, default=None)
                if largest is not None and sizes[largest] >= LANE_FROM:
                    self.lane = _Lane(largest, *self._start(largest))
        except BaseException:  # a stop (SIGTERM) as much as an error: no child is left
            self.close()
            raise

    def _start(self, lane: str | None) -> tuple[Any, Connection, str]:
        log = scratch_file("alignhealth-reader-", ".log")
        try:
            conn, child = self.context.Pipe()
            process = self.context.Process(
                target=_serve,
                args=(child, str(self.path), self.backend, self.limits.memory, log, lane),
                daemon=True,
            )
            process.start()
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(log)
            raise
        child.close()
        return process, conn, log

    def _send(self, request: object) -> None:
        if self.failed is not None:
            raise self.failed
        self.conn.send(request)

    def _receive(self, lane: _Lane | None = None) -> Any:
        """The next message from the child (or from ``lane``), or the error it means. Once
        reading failed (the children are stopped), every later read of any sheet fails
        with the same error."""
        if self.failed is not None:
            raise self.failed
        try:
            return self._message(lane)
        except InputError as exc:
            raise self._fail(exc) from None

    def _fail(self, exc: InputError) -> InputError:
        """Stop the children for ``exc``, unless reading already failed: then the first
        failure is the one to tell (the other thread's read broke off because of it)."""
        with self._stopping:
            if self.failed is None:
                self.failed = exc
                self.close()
            return self.failed

    def _message(self, lane: _Lane | None) -> Any:
        child = lane or self
        conn, process, log = child.conn, child.process, child.log
        remaining = self.deadline - time.monotonic()
        try:
            message = conn.recv() if remaining > 0 and conn.poll(remaining) else None
        except (EOFError, OSError, TypeError) as exc:
            if self.failed is not None:
                # The other thread stopped the children and closed this connection
                # (between the check that it is open and the read, its handle is None:
                # a TypeError).
                raise self.failed from None
            if isinstance(exc, TypeError):
                raise
            process.join(5)
            code = process.exitcode
            how = (
                f"signal {signal.Signals(-code).name}"
                if code is not None and code < 0
                else f"exit code {code}"
            )
            said = _last_words(log)
            if said:
                how += f": {said}"
            raise InputError(
                f"{self.path}: the spreadsheet reader stopped ({how}) on this file, which is "
                "malformed or asks for more memory than allowed (ALIGNHEALTH_READ_MEMORY); "
                "re-save it from Excel as .xlsx",
                code="reader-crashed",
                location=str(self.path),
            ) from None
        if message is None:
            self.ready = False  # it may be stuck: stopped for sure
            raise InputError(
                f"{self.path}: reading took longer than {self.limits.seconds:.0f} s "
                "(ALIGNHEALTH_READ_TIMEOUT) and was stopped; the file is pathological or far "
                "larger than a goal workbook",
                code="timeout",
                location=str(self.path),
            )
        if message[0] == "error":
            raise InputError(message[1], code=message[2], location=message[3])
        return message

    def open(self) -> RawWorkbook:
        _, sheets, notices, epoch_1904 = self._receive()
        self.ready = True
        raw = RawWorkbook(
            path=str(self.path),
            sheets=[
                RawSheet(name, hidden, no_rows, merged, hidden_rows, size)
                for name, hidden, merged, hidden_rows, size in sheets
            ],
            notices=notices,
            date_epoch_1904=epoch_1904,
            reader=self.backend,
            closer=self.close,
            prefetch=lambda indexes: self._want(raw, indexes),
            apart=self._apart,
        )
        for index, sheet in enumerate(raw.sheets):
            sheet.rows = self._rows(index, sheet)
        return raw

    def _apart(self, sheet: RawSheet) -> bool:
        """Whether the sheet's rows will come from the lane, on a pipe of their own."""
        lane = self.lane
        return lane is not None and lane.name == sheet.name and not lane.taken

    def _want(self, raw: RawWorkbook, indexes: Sequence[int]) -> None:
        """Tell the child which sheets will be read (not the lane's); a lane whose sheet
        is not read is stopped."""
        lane = self.lane
        if lane is not None and not lane.taken:
            wanted = [raw.sheets[index].name for index in indexes]
            if lane.name in wanted:
                indexes = [index for index in indexes if raw.sheets[index].name != lane.name]
            else:
                self._stop_lane()
        self._send(("prefetch", list(indexes)))

    def _rows(self, index: int, sheet: RawSheet) -> Any:
        def rows() -> RowStream:
            lane = self.lane
            if lane is not None and lane.name == sheet.name and not lane.taken:
                lane.taken = True
                yield from self._lane_rows(lane, sheet)
                return
            if self.active is not None:
                self._cancel(self.active)
            self.streams += 1
            stream_id = self.active = self.streams
            self._send(("open", stream_id, index))

            def mine() -> Any:  # what is left of a stream cancelled before is dropped
                while (message := self._receive())[1] != stream_id:
                    pass
                return message

            yield from _stream_rows(sheet, mine)
            self.active = None

        return rows

    def _lane_rows(self, lane: _Lane, sheet: RawSheet) -> RowStream:
        try:
            yield from _stream_rows(sheet, lambda: self._receive(lane))
            lane.done = True
        finally:
            if not lane.done:
                # The parent stopped half way (it looked at the head of the sheet for its
                # headers, say): the rest would go unread while the lane took a core. A
                # second read of the sheet goes to the first child.
                self._stop_lane()

    def _cancel(self, stream_id: int) -> None:
        """Stop a stream the parent no longer reads, and drop what it already sent."""
        self._send(("cancel", stream_id))
        while True:
            message = self._receive()
            if message[0] == "end" and message[1] == stream_id:
                self.active = None
                return

    def close(self) -> None:
        with self._stopping:
            self._close()

    def _close(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(("stop",))
            # A child waiting for a request ends at "stop". Handing back a large
            # workbook's memory takes it a while (0.15 s for a million goals) that this
            # process need not wait out: it is a daemon, reaped when the next process
            # starts or this one exits. One still opening the workbook or mid-stream reads
            # no request until that work ends, and holds nothing worth waiting for: it
            # is killed (a check stopped mid-read ends at once, not 2 s later).
            if not self.ready or self.active is not None:
                self.process.kill()
                self.process.join(2)
        _discard(self.conn, self.log)
        self._stop_lane()

    def _stop_lane(self) -> None:
        lane, self.lane = self.lane, None
        if lane is None:
            return
        if not lane.done and lane.process.is_alive():
            # A lane holds nothing worth waiting for, and does not end by itself until
            # its sheet has been read to the end.
            lane.process.kill()
            lane.process.join(2)
        _discard(lane.conn, lane.log)


@dataclass
class _Lane:
    """The second child, streaming the sheet named ``name`` ahead of the parent."""

    name: str
    process: Any
    conn: Connection
    log: str
    #: The parent has begun reading its rows (a second read goes to the first child).
    taken: bool = False
    #: It sent every row: it ends by itself.
    done: bool = False


def _stream_rows(sheet: RawSheet, receive: Callable[[], Any]) -> RowStream:
    """The rows of one stream's messages, to its end; the sheet's merged ranges and hidden
    rows as they come."""
    while True:
        message = receive()
        if message[0] == "columns":
            yield from _by_rows(message)
        elif message[0] == "rows":
            yield from message[2]
        elif message[0] == "meta":
            sheet.merged, sheet.hidden_rows = message[2], message[3]
        elif message[0] == "end":
            return


def _discard(conn: Connection, log: str) -> None:
    """Close this end of a child's pipe and remove its log."""
    conn.close()
    with contextlib.suppress(OSError):
        os.unlink(log)


def _last_words(log: str) -> str:
    """The first line a dead child wrote to its log (a native error), if any."""
    try:
        with open(log, encoding="utf-8", errors="replace") as handle:
            lines = [line.strip() for line in handle.read(4096).splitlines()]
    except OSError:
        return ""
    return next((line[:200] for line in lines if line), "")


def read_isolated(path: Path, backend: str, limits: Limits | None = None) -> RawWorkbook:
    """Open ``path`` with ``backend`` ("openpyxl", "calamine" or "calamine-xlsx") in a
    limited child."""
    reader = IsolatedReader(path, backend, limits)
    try:
        return reader.open()
    except BaseException:  # open closes it on an input error; a stop (SIGTERM) too
        reader.close()
        raise
