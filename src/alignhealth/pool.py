"""Several workbooks checked at once, each by one of a pool of worker processes.

A portfolio (``check`` of a folder, an audit of a firm's clients) is checked by
``workers`` processes, one workbook at a time each. Each worker makes its per-workbook
function once, from ``make(*args)``, so that what a workbook's check needs (plugins,
rules, ruleset) is resolved once per worker rather than once per workbook. Where this
process can fork, the workers are forked from it and ``args`` are inherited as they are
(a plugin host need not pickle); elsewhere they start afresh and ``make`` and ``args``
must pickle. Only each workbook's path goes to a worker, and its function's result back.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shlex
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from alignhealth.findings import RunError
from alignhealth.lifetime import tie_to_parent
from alignhealth.progress import PortfolioProgress
from alignhealth.sharing import can_fork

T = TypeVar("T")

#: The worker's function for one workbook, made once per worker by ``_start``.
_made: list[Callable[[Path], Any]] = []


def _start(make: Callable[..., Callable[[Path], Any]], args: tuple[Any, ...]) -> None:
    tie_to_parent()
    # Ctrl-C reaches every worker with the command (they share its process group): a
    # worker ends at once and quietly, rather than each printing a traceback of wherever
    # it was (waiting for work, say); the command says it was interrupted.
    signal.signal(signal.SIGINT, _interrupted)
    _made[:] = [make(*args)]


def _interrupted(signum: int, frame: object) -> None:
    os._exit(128 + signum)


def _run(path: Path) -> Any:
    return _made[0](path)


def map_workbooks(
    paths: Sequence[Path],
    make: Callable[..., Callable[[Path], T]],
    args: tuple[Any, ...],
    workers: int,
    progress: PortfolioProgress | None = None,
    died: Callable[[Path], T] | None = None,
) -> Iterator[tuple[int, T]]:
    """``(index, result)`` for each of ``paths``, as each workbook's check ends, where
    ``result`` is what the function ``make(*args)`` made in a worker returned for it.

    ``progress`` is told of each workbook as it ends (and of none before the first). An
    exception the function raises for a workbook is raised here when that workbook's
    turn comes; the workbooks not yet started are then not checked.

    A worker that dies (killed, out of memory, a crash in native code) takes the pool
    with it, and every workbook not yet done with it. Those are checked again in a fresh
    pool; where a pool dies before any of its workbooks is done, the process that died
    held one of the first it started, and each of those is checked again alone, in a pool
    of its own: a workbook that kills that one too gets ``died(path)`` as its result (or,
    without ``died``, the error is raised). So one such workbook costs the others a second
    start, never their results.
    """
    context = multiprocessing.get_context("fork" if can_fork() else "spawn")

    def pool(size: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=size, mp_context=context, initializer=_start, initargs=(make, args)
        )

    def alone(index: int) -> T:
        with pool(1) as single:
            try:
                result: T = single.submit(_run, paths[index]).result()
                return result
            except BrokenProcessPool:
                if died is None:
                    raise
                return died(paths[index])

    done = 0

    def ended(index: int) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress.workbooks(done, len(paths), str(paths[index]))

    if progress is not None:
        progress.workbooks(0, len(paths), None)
    todo = list(range(len(paths)))
    while todo:
        broken = []
        for index, result in _as_each_ends(pool(min(workers, len(todo))), paths, todo):
            if isinstance(result, _Died):
                broken.append(index)
                continue
            ended(index)
            yield index, result
        broken.sort()  # into the order they were started in
        # The pool died before any of its workbooks was done: the one that killed it is
        # among the first it started.
        suspects = broken[:workers] if len(broken) == len(todo) else []
        for index in suspects:
            result = alone(index)
            ended(index)
            yield index, result
        todo = broken[len(suspects) :]


class _Died:
    """What a workbook's future holds when its pool died before it was done."""


def _as_each_ends(
    pool: ProcessPoolExecutor, paths: Sequence[Path], todo: Sequence[int]
) -> Iterator[tuple[int, Any]]:
    """``(index, result)`` for each workbook of ``todo``, checked by ``pool``, as each
    ends; ``_Died`` for those the pool died before it was done with."""
    try:
        futures = {}
        for at, index in enumerate(todo):
            try:
                futures[pool.submit(_run, paths[index])] = index
            except BrokenProcessPool:  # it died already: the rest were never started
                for later in todo[at:]:
                    yield later, _Died()
                break
        for future in as_completed(futures):
            try:
                result = future.result()
            except BrokenProcessPool:
                result = _Died()
            yield futures[future], result
    except KeyboardInterrupt:
        # Ctrl-C reached the workers with the command; a stop sent to the command alone
        # (SIGTERM) did not, and shutting down waits for each to finish its workbook.
        _kill_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # Python 3.14 has ProcessPoolExecutor.kill_workers(); before, only this attribute,
    # which the pool's own thread may change meanwhile (copied until it holds still).
    processes: dict[int, Any] = getattr(pool, "_processes", None) or {}
    while True:
        try:
            workers = list(processes.values())
            break
        except RuntimeError:  # changed size during the copy
            continue
    for process in workers:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()


def worker_died(path: Path) -> RunError:
    """The error of a workbook whose worker died checking it, twice."""
    return RunError(
        code="worker-died",
        message=f"{path}: the process checking it ended abruptly, twice (killed, out of "
        "memory, or a crash in native code); the other workbooks were checked. Check it "
        f"on its own (alignhealth check {shlex.quote(str(path))}) to see where it stops",
    )


def in_input_order(results: Iterable[tuple[int, T]]) -> Iterator[T]:
    """The results of :func:`map_workbooks` in the order of its paths: each as soon as
    it and every one before it have ended."""
    waiting: dict[int, T] = {}
    following = 0
    for index, result in results:
        waiting[index] = result
        while following in waiting:
            yield waiting.pop(following)
            following += 1
