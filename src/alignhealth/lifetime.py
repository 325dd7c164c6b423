"""How long alignhealth's processes live: no longer than the command that started them.

A check starts processes of its own: the reader's children, the process that shares the
rules of a large workbook, the workers of a portfolio. A command stopped from outside
(``kill``, a timer's time limit, a cancelled CI job, the terminal closed) unwinds as it
does for Ctrl-C: its children are stopped, its temporary files removed, what it wrote
before kept. A command killed outright (``kill -9``, the out-of-memory killer) can do
none of that, so on Linux each child asks the kernel to kill it when its parent ends;
otherwise one waiting on a pipe its sibling had inherited would wait for good, holding a
workbook's memory. The scratch files of the command and all its processes live in one
folder of its own, removed as the command ends: a worker that ends without tidying (a
timer stops every process of a service at once) leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

#: The signals that stop a command as Ctrl-C does, by name (Windows has no SIGHUP).
STOP_SIGNALS = ("SIGTERM", "SIGHUP")

#: Seconds after which a stop that landed where it could not be raised is sent again.
AGAIN_AFTER = 0.05

#: ``prctl`` option: the signal this process gets when its parent ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def _libc() -> ctypes.CDLL | None:
    # Loaded once, here, rather than in each child as it starts (a third of a millisecond
    # each, while its parent is already taking the jobs they share).
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()


class Stopped(KeyboardInterrupt):
    """The command was told to stop by the signal ``signum``.

    A :class:`KeyboardInterrupt`, so that it passes every place that lets Ctrl-C
    through: a plugin's or a rule's exception is caught and reported, a stop is not.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        """The signal's name (``SIGTERM``)."""
        return signal.Signals(self.signum).name


def _signals() -> list[signal.Signals]:
    return [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Within, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread, wherever it
    is, so that the command unwinds; the handlers are put back after.

    A signal handled or ignored already (``nohup`` ignores SIGHUP) is left as it is, and
    outside the main thread, where Python cannot set handlers, nothing changes.

    A signal can land while a weakref callback or a ``__del__`` runs, where Python does
    not let an exception through (it prints it as "Exception ignored in" and carries
    on): such a stop is said again, to be raised once that code is over.
    """
    previous: dict[signal.Signals, object] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _signals():
            if signal.getsignal(signum) is signal.SIG_DFL:
                previous[signum] = signal.signal(signum, _stop)
    unraisable = sys.unraisablehook

    def again(raised: Any) -> None:
        if isinstance(raised.exc_value, Stopped):
            # Sent again a moment later, from another thread: sent now, its handler would
            # run here, still within the code that cannot let it through.
            timer = threading.Timer(AGAIN_AFTER, os.kill, (os.getpid(), raised.exc_value.signum))
            timer.daemon = True
            timer.start()
        else:
            unraisable(raised)

    if previous:
        sys.unraisablehook = again
    try:
        yield
    finally:
        if previous:
            sys.unraisablehook = unraisable
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def tie_to_parent() -> None:
    """What each child process alignhealth starts does first.

    The stop signals do what they do by default (the handlers it inherited unwind a
    command, which is not here to unwind), and on Linux the kernel kills it when the
    process that started it ends, however that ends. Elsewhere the parent's unwinding
    stops its children, which ``kill -9`` does not let it do.
    """
    for signum in _signals():
        signal.signal(signum, signal.SIG_DFL)
    parent = multiprocessing.parent_process()
    if parent is None or _LIBC is None:
        return
    try:
        asked = _LIBC.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except AttributeError:  # a C library without prctl
        return
    if asked and os.getppid() != parent.pid:
        os._exit(1)  # the parent ended before the kernel was asked to tell


#: Where the running command's scratch folder is, for every process it starts (an
#: environment variable: a process started afresh, rather than forked, sees it too).
SCRATCH_ENV = "ALIGNHEALTH_SCRATCH"


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """Within, :func:`scratch_file` makes its files in a new folder, in this process and
    every process it starts; the folder and whatever is left in it are removed after.
    Within a scratch folder already, that one is used (and left to its maker to remove)."""
    existing = scratch_dir()
    if existing is not None:
        yield Path(existing)
        return
    folder = Path(tempfile.mkdtemp(prefix="alignhealth-"))
    previous = os.environ.get(SCRATCH_ENV)
    os.environ[SCRATCH_ENV] = str(folder)
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop(SCRATCH_ENV, None)
        else:
            os.environ[SCRATCH_ENV] = previous
        shutil.rmtree(folder, ignore_errors=True)


def scratch_dir() -> str | None:
    """The running command's scratch folder (:func:`scratch_folder`), for a library that
    makes temporary files of its own; None outside a command (the system's folder)."""
    folder = os.environ.get(SCRATCH_ENV)
    return folder if folder and os.path.isdir(folder) else None


def scratch_file(prefix: str, suffix: str) -> str:
    """The path of a new, empty scratch file: in the running command's folder
    (:func:`scratch_folder`), or the system's temporary folder outside a command."""
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=scratch_dir())
    os.close(handle)
    return path
