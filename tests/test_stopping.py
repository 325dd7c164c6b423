"""A command that is stopped leaves nothing running and nothing behind.

Scheduled audits are stopped from outside: a timer's time limit, ``kill``, a CI job
cancelled, the terminal closed. The readers, rule processes and workers a check starts
must end with it (not wait, blocked, for a parent that is gone, each holding a workbook's
memory), and what it was writing (temporary files, a reader's log) must not stay behind.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alignhealth.lifetime import Stopped, stopped_by_signals
from alignhealth.testing import write_workbook

from .conftest import orphaned_tree

ROOT = Path(__file__).resolve().parents[1]

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; children end by prctl"
)


def many_goals(count: int) -> dict[str, list[dict[str, object]]]:
    """A tree of ``count`` goals under one, enough rows that a reader child streaming them
    fills its pipe long before anyone reads it."""
    goals: list[dict[str, object]] = [{"ID": "G0", "Title": "Top", "Level": "Company"}]
    goals += [
        {"ID": f"G{n}", "Title": f"Goal number {n} of the tree", "Level": "Team", "Parent": "G0"}
        for n in range(1, count)
    ]
    return {"goals": goals}


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its new parent to reap it has
    ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def children_of(pid: int) -> list[int]:
    """The processes ``pid`` started that still run."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def wait_until_ended(pids: Iterable[int], seconds: float) -> list[int]:
    """Wait up to ``seconds`` for every one of ``pids`` to end; those still running."""
    deadline = time.monotonic() + seconds
    left = [pid for pid in pids if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if alive(pid)]
    return left


def ended(pids: Iterable[int], seconds: float = 10) -> Iterator[int]:
    """The pids still running after ``seconds``: each is killed, so that a failing test
    leaves nothing behind either."""
    for pid in wait_until_ended(pids, seconds):
        os.kill(pid, signal.SIGKILL)
        yield pid


#: The commands a test started; whatever of them still runs is killed after it.
_started: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _nothing_left_running() -> Iterator[None]:
    """A test that fails half way (a command that does not end in time) leaves no process
    behind: each command's whole process group is killed after the test."""
    yield
    while _started:
        command = _started.pop()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(command.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            command.communicate(timeout=10)


def python(script: str, *args: str, tmp: Path) -> subprocess.Popen[str]:
    """``python -c script args`` with this checkout importable and ``tmp`` its
    temporary folder, in a session of its own (a signal for it reaches it alone)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    command = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    _started.append(command)
    return command


#: Opens a workbook with the fast reader, streaming its goals from a second child as a
#: large workbook's are, prints the two children's pids and waits to be killed.
READER_HOLDER = """
import sys, time
from pathlib import Path
from alignhealth.loaders import isolation
isolation.LANE_FROM = 1
reader = isolation.IsolatedReader(Path(sys.argv[1]), "calamine-xlsx")
print(reader.process.pid, reader.lane.process.pid, flush=True)
time.sleep(60)
"""


@linux_only
def test_reader_children_end_when_the_process_that_started_them_is_killed(
    tmp_path: Path,
) -> None:
    """SIGKILL (the out-of-memory killer, ``kill -9``) gives a process no chance to stop
    its children: they must end by themselves. Before, the first child waited forever for
    a request on a pipe whose other end the second had inherited, and the second forever
    to send rows no one would read: 300 MB each, for good, at a million goals."""
    book = write_workbook(tmp_path / "big.xlsx", **many_goals(20_000))
    holder = python(READER_HOLDER, str(book), tmp=tmp_path)
    assert holder.stdout is not None
    pids = [int(pid) for pid in holder.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(pid) for pid in pids), holder.stderr
    holder.kill()
    holder.wait(10)
    assert list(ended(pids)) == []


#: ``alignhealth ARGS`` that pauses where the test asks (``read``: the parent about to
#: read a sheet while both reader children stream; ``rules``: the parent and the process
#: it shares the rules with each at their first rule), having touched the file PAUSED.
PAUSING_CHECK = """
import os, sys, threading, time
from pathlib import Path
from alignhealth import engine
from alignhealth.loaders import isolation, workbook

where, paused_file = sys.argv[1], Path(sys.argv[2])
sys.argv = ["alignhealth", *sys.argv[3:]]
parent = os.getpid()

def pause():
    # Where a portfolio's workers read, they pause; the rules' child is not the one to say.
    if where == "read" or os.getpid() == parent:
        paused_file.touch()
    time.sleep(60)

if where == "read":
    isolation.LANE_FROM = 1
    read_sheet = workbook.read_sheet
    def pausing_read(*args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            pause()
        return read_sheet(*args, **kwargs)
    workbook.read_sheet = pausing_read
else:
    engine.SHARE_RULES_FROM = 1
    run_one = engine.run_one
    def pausing_rule(*args, **kwargs):
        pause()
        return run_one(*args, **kwargs)
    engine.run_one = pausing_rule

from alignhealth.cli import main
main()
"""


def descendants(pid: int) -> list[int]:
    """Every process ``pid`` started, and theirs."""
    found = children_of(pid)
    for child in list(found):
        found += descendants(child)
    return found


def wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists(), process.communicate(timeout=10)


@linux_only
@pytest.mark.parametrize("where", ["read", "rules"])
def test_a_check_stopped_by_sigterm_stops_its_processes_and_leaves_no_file(
    tmp_path: Path, where: str
) -> None:
    """``kill PID`` (a timer's time limit, a cancelled CI job) to the command alone, as
    it reads or as it runs the rules: it ends at once with 143 (128 + SIGTERM) and one
    line saying so, its reader children or rule process end with it, and neither a
    reader's log nor a half-written report is left behind."""
    tree = {**orphaned_tree(), **many_goals(3_000)} if where == "read" else orphaned_tree()
    tree["people"] = orphaned_tree()["people"]
    book = write_workbook(tmp_path / "acme.xlsx", **tree)
    temporary, out = tmp_path / "tmp", tmp_path / "out"
    temporary.mkdir()
    paused = tmp_path / "paused"
    args = ("check", str(book), "-f", "xlsx", "-o", str(out / "report.xlsx"))
    command = python(PAUSING_CHECK, where, str(paused), *args, tmp=temporary)
    wait_for(paused, command)
    started = descendants(command.pid)
    assert started, f"no child process to stop at {where}"
    os.kill(command.pid, signal.SIGTERM)
    _, err = command.communicate(timeout=20)
    assert command.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM: what was written before is kept" in err
    assert "Traceback" not in err
    assert list(ended(started)) == []
    assert list(temporary.iterdir()) == []
    assert not out.exists() or list(out.iterdir()) == []


@linux_only
@pytest.mark.parametrize("where", ["read", "rules"])
def test_a_check_killed_outright_leaves_no_process_running(tmp_path: Path, where: str) -> None:
    """``kill -9`` or the out-of-memory killer: the command can stop nothing, and each
    process it started ends by itself."""
    tree = {**orphaned_tree(), **many_goals(3_000)} if where == "read" else orphaned_tree()
    tree["people"] = orphaned_tree()["people"]
    book = write_workbook(tmp_path / "acme.xlsx", **tree)
    paused = tmp_path / "paused"
    command = python(PAUSING_CHECK, where, str(paused), "check", str(book), tmp=tmp_path)
    wait_for(paused, command)
    started = descendants(command.pid)
    assert started, f"no child process to stop at {where}"
    command.kill()
    command.communicate(timeout=20)
    assert list(ended(started)) == []


@linux_only
def test_a_portfolio_stopped_as_a_timer_stops_it_leaves_no_file(tmp_path: Path) -> None:
    """systemd stops a service by sending SIGTERM to all its processes at once: a
    portfolio's workers end there and then, without tidying, while their readers stream.
    Their readers' logs (in the command's own scratch folder) go with the command's."""
    books = [
        write_workbook(tmp_path / f"{name}.xlsx", **{**orphaned_tree(), **many_goals(3_000)})
        for name in "ab"
    ]
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    paused = tmp_path / "paused"
    args = ("check", *map(str, books), "--jobs", "2")
    command = python(PAUSING_CHECK, "read", str(paused), *args, tmp=temporary)
    wait_for(paused, command)
    started = descendants(command.pid)
    assert len(started) >= 3  # the workers and their readers
    os.killpg(command.pid, signal.SIGTERM)
    _, err = command.communicate(timeout=20)
    assert command.returncode == 128 + signal.SIGTERM, err
    assert list(ended(started)) == []
    assert list(temporary.iterdir()) == []


@linux_only
def test_a_portfolio_stopped_by_sigterm_stops_its_workers_at_once(tmp_path: Path) -> None:
    """SIGTERM to the command alone (Ctrl-C reaches its workers too, a ``kill`` does
    not): the workers are stopped, not waited for as each finishes its workbook."""
    books = [write_workbook(tmp_path / f"{name}.xlsx", **orphaned_tree()) for name in "ab"]
    books.append(write_workbook(tmp_path / "slow.xlsx", **orphaned_tree()))
    command = python(
        "from alignhealth.cli import main; main()",
        "check",
        *map(str, books),
        "-p",
        "tests.poison_plugin",
        "--jobs",
        "2",
        tmp=tmp_path,
    )
    # The plugin keeps the worker that checks slow.xlsx waiting for 60 s.
    wait_for(tmp_path / "slow.xlsx.waiting", command)
    workers = descendants(command.pid)
    assert workers
    os.kill(command.pid, signal.SIGTERM)
    _, err = command.communicate(timeout=20)
    assert command.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert list(ended(workers, seconds=5)) == []


def test_a_stop_signal_raises_stopped_within_and_nothing_after() -> None:
    """Within, SIGTERM unwinds the command as Ctrl-C does (``Stopped`` is a
    KeyboardInterrupt, which every ``except Exception`` lets through); after, the
    handler that was there is back."""
    before = signal.getsignal(signal.SIGTERM)

    def stopped() -> None:
        with stopped_by_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends

    with pytest.raises(Stopped) as stop:
        stopped()
    assert stop.value.signum == signal.SIGTERM and stop.value.name == "SIGTERM"
    assert isinstance(stop.value, KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_handled_or_ignored_already_is_left_alone() -> None:
    """``nohup`` ignores SIGHUP so that a closed terminal does not stop the command: it
    must not start stopping it; a host program's own SIGTERM handler stays in charge."""
    told: list[int] = []
    previous = {
        signal.SIGHUP: signal.signal(signal.SIGHUP, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: told.append(signum)),
    }
    try:
        with stopped_by_signals():
            os.kill(os.getpid(), signal.SIGHUP)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)
        assert told == [signal.SIGTERM]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_the_cli_puts_the_handlers_back(tmp_path: Path) -> None:
    """Run in-process (a plugin's tests, a notebook), a command leaves the signal
    handlers of the program that ran it as they were."""
    from click.testing import CliRunner

    from alignhealth.cli import main

    book = write_workbook(tmp_path / "acme.xlsx", **orphaned_tree())
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGHUP)}
    result = CliRunner().invoke(main, ["check", str(book), "-q"])
    assert result.exit_code == 1, result.output
    assert {signum: signal.getsignal(signum) for signum in before} == before


@pytest.mark.parametrize("stop", [Stopped(signal.SIGTERM), KeyboardInterrupt()])
def test_a_stop_while_a_thread_reads_the_streamed_sheet_is_the_error_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: KeyboardInterrupt
) -> None:
    """Stopped as a second child streams the goals to a thread of the check: stopping
    closes the stream under that thread, whose read can then fail with whatever the
    closed connection gives (seen: "TypeError: 'NoneType' object cannot be interpreted
    as an integer", a handle set to None between the check that it is open and the
    read). That failure is a consequence and must not replace the stop: before, the
    check ended as "hook load_source raised TypeError", exit code 2, not 143. The race
    is too narrow to meet on purpose, so the thread fails that way as soon as the
    stop is under way."""
    from alignhealth.loaders import isolation, workbook

    monkeypatch.setattr(isolation, "LANE_FROM", 1)
    book = write_workbook(tmp_path / "big.xlsx", **{**orphaned_tree(), **many_goals(2_000)})
    streaming, stopping = threading.Event(), threading.Event()

    def read_or_stop(sheet: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            assert streaming.wait(30)
            stopping.set()
            raise stop
        streaming.set()
        assert stopping.wait(30)
        time.sleep(0.05)  # the stop is being handled: its reader closed, or closing
        raise TypeError("'NoneType' object cannot be interpreted as an integer")

    monkeypatch.setattr(workbook, "read_sheet", read_or_stop)
    with pytest.raises(KeyboardInterrupt) as raised:
        workbook.load_workbook(book)
    assert raised.value is stop
    assert [p for p in multiprocessing.active_children() if p.is_alive()] == []


def test_a_read_cut_short_by_the_other_threads_failure_tells_that_failure(
    tmp_path: Path,
) -> None:
    """The thread reading the streamed sheet finds its connection closed by the other
    thread's failure (a reader that crashed): it tells that failure, whichever error the
    closed connection gave it, never the TypeError of a handle that is gone."""
    from alignhealth.errors import InputError
    from alignhealth.loaders.isolation import IsolatedReader

    book = write_workbook(tmp_path / "acme.xlsx", **orphaned_tree())
    reader = IsolatedReader(book, "calamine-xlsx")
    reader.open()
    failure = reader._fail(InputError("acme.xlsx: the reader stopped", code="reader-crashed"))

    class ClosedUnderIt:
        """A connection closed between the check that it is open and the read."""

        def poll(self, timeout: float) -> bool:
            return True

        def recv(self) -> object:
            return os.read(None, 4)  # type: ignore[arg-type]

    reader.conn = ClosedUnderIt()  # type: ignore[assignment]
    with pytest.raises(InputError) as raised:
        reader._message(None)
    assert raised.value is failure


def test_scratch_files_live_in_the_command_s_folder_and_go_with_it() -> None:
    """Within a command, scratch files (readers' logs) go in its own folder, which is
    removed with whatever is left in it; outside one, in the system's temporary folder."""
    import tempfile

    from alignhealth.lifetime import SCRATCH_ENV, scratch_file, scratch_folder

    before = os.environ.get(SCRATCH_ENV)
    with scratch_folder() as folder:
        inside = Path(scratch_file("alignhealth-reader-", ".log"))
        assert inside.parent == folder and inside.exists()
        assert os.environ[SCRATCH_ENV] == str(folder)  # what a process started afresh sees
        with scratch_folder() as within:  # an audit within the command: the command's
            assert within == folder
        assert folder.exists() and inside.exists()
    assert not folder.exists()
    assert os.environ.get(SCRATCH_ENV) == before
    outside = Path(scratch_file("alignhealth-reader-", ".log"))
    try:
        assert outside.parent == Path(tempfile.gettempdir())
    finally:
        outside.unlink()


def test_a_stop_that_lands_where_python_cannot_raise_is_raised_after() -> None:
    """A signal handled while a weakref callback or a ``__del__`` runs: Python prints
    the exception raised there ("Exception ignored in ...", a traceback) and carries
    on, so the check went on to the end and exited as if never stopped. The stop is
    now said again, and raised once the callback is over."""
    import weakref

    class Thing:
        pass

    def stop_here(reference: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs here, within the callback
            pass

    reached: list[str] = []

    def collect() -> None:
        with stopped_by_signals():
            thing = Thing()
            watch = weakref.ref(thing, stop_here)
            del thing  # the callback runs now
            reached.append("after the callback")
            time.sleep(5)  # the stop is raised before this ends
            reached.append("not stopped")
            del watch

    started = time.monotonic()
    with pytest.raises(Stopped):
        collect()
    assert time.monotonic() - started < 2
    assert "not stopped" not in reached
