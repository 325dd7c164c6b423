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

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, TypeVar

from alignhealth.progress import PortfolioProgress
from alignhealth.sharing import can_fork

T = TypeVar("T")

#: The worker's function for one workbook, made once per worker by ``_start``.
_made: list[Callable[[Path], Any]] = []


def _start(make: Callable[..., Callable[[Path], Any]], args: tuple[Any, ...]) -> None:
    _made[:] = [make(*args)]


def _run(path: Path) -> Any:
    return _made[0](path)


def map_workbooks(
    paths: Sequence[Path],
    make: Callable[..., Callable[[Path], T]],
    args: tuple[Any, ...],
    workers: int,
    progress: PortfolioProgress | None = None,
) -> Iterator[tuple[int, T]]:
    """``(index, result)`` for each of ``paths``, as each workbook's check ends, where
    ``result`` is what the function ``make(*args)`` made in a worker returned for it.

    The workers start now, before the first result is asked for. ``progress`` is told of
    each workbook as it ends (and of none before the first). An exception the function
    raises for a workbook is raised here when that workbook's turn comes; the workbooks
    not yet started are then not checked.
    """
    context = multiprocessing.get_context("fork" if can_fork() else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start, initargs=(make, args)
    )
    try:
        futures = {pool.submit(_run, path): index for index, path in enumerate(paths)}
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return _as_each_ends(pool, futures, paths, progress)


def _as_each_ends(
    pool: ProcessPoolExecutor,
    futures: dict[Future[T], int],
    paths: Sequence[Path],
    progress: PortfolioProgress | None,
) -> Iterator[tuple[int, T]]:
    try:
        if progress is not None:
            progress.workbooks(0, len(futures), None)
        for done, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            if progress is not None:
                progress.workbooks(done, len(futures), str(paths[index]))
            yield index, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
