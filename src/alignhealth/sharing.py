"""Share independent jobs between this process and forked copies of it.

The rules of one check are independent reads of one graph. A forked child sees that graph
as it is, copy-on-write, without pickling it. This process takes jobs from the front of
the list and the children from the back, one at a time, until they meet (so a slow rule
does not leave a core idle); neighbouring jobs (the rules of one family) tend to share
the indexes they build, which each process builds for itself, so they are best run in
one process. Each child sends back the result of each job it took as the job ends, and
this process takes them in between its own jobs, so that little is left to send and
receive once the last job ends. A job with a large result may send parts of it ahead
while it runs (:func:`send_ahead`), taken by this process as they come, while the child
makes the rest. Anything that goes wrong in a child (it cannot fork, it dies, a result
does not arrive) only means this process runs the jobs the child did not report.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Sequence
from functools import partial
from multiprocessing.connection import Connection
from queue import SimpleQueue
from typing import Any, TypeVar

from alignhealth.lifetime import tie_to_parent

T = TypeVar("T")


def can_fork() -> bool:
    """Whether forking is safe here: the platform has it and this process runs one thread
    (a fork beside other threads can inherit a lock one of them held)."""
    return hasattr(os, "fork") and threading.active_count() == 1


#: The child's way of sending parts of the job it runs ahead (None in the parent).
_sending: Callable[[object], None] | None = None


def sends_ahead() -> bool:
    """Whether this process runs jobs for a parent, so that :func:`send_ahead` sends."""
    return _sending is not None


def send_ahead(part: object) -> bool:
    """In a child, running a job: send ``part`` of the job's result to the parent now,
    ahead of the rest, so that the parent takes it in (unpickles it) while the child goes
    on; ``run_shared``'s ``combine`` puts the parts and the rest together. False where
    there is no parent to send to (this process runs the job for itself): the caller
    keeps the part."""
    if _sending is None:
        return False
    _sending(part)
    return True


def run_shared(
    jobs: Sequence[str],
    run: Callable[[str], T],
    workers: int,
    starting: Callable[[str, int], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
    combine: Callable[[list[Any], T], T] | None = None,
) -> dict[str, T]:
    """``run(job)`` for every job, on up to ``workers`` processes (this one included).

    Results come back keyed by job; a job's result must pickle. With ``workers`` of 1,
    or where forking is unsafe, every job runs here, in order. ``starting(job, started)``
    is called in this process as it starts a job, with the number of jobs all the
    processes started before it (for a progress display). ``meanwhile()`` is work this
    process does once the children have started, before its first job: work for after
    the jobs, done while the children take more of them (it is not called where the jobs
    are not shared: the caller does that work when it needs it). ``combine(parts,
    result)`` makes a job's result of the parts a child sent ahead (:func:`send_ahead`),
    in order, and what its job returned; the parts of a job whose result never came are
    dropped with it (the job runs here).
    """
    if workers <= 1 or len(jobs) < 2 or not can_fork():
        results_here: dict[str, T] = {}
        for started, job in enumerate(jobs):
            if starting is not None:
                starting(job, started)
            results_here[job] = run(job)
        return results_here
    context: Any = multiprocessing.get_context("fork")
    # The next job from the front, and the end of the jobs not yet taken from the back.
    counter = context.Array("i", [0, len(jobs)])
    children = []
    for _ in range(min(workers, len(jobs)) - 1):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(jobs, run, counter, sender), daemon=True)
        process.start()
        sender.close()
        children.append((process, receiver))
    results: dict[str, T] = {}
    received = _Received(results, combine)
    # A child that sent its results ends by itself; handing back the pages it copied
    # takes it a while (30 ms for a million goals) that this process need not wait out.
    # It is a daemon, reaped when the next process starts or this one exits.
    done: list[Any] = []
    try:
        if meanwhile is not None:
            meanwhile()
        for job, started in _taken(jobs, counter, front=True):
            if starting is not None:
                starting(job, started)
            results[job] = run(job)
            for process, receiver in children:
                if process not in done and received.take(receiver, wait=False):
                    done.append(process)
        for process, receiver in children:
            if process not in done and received.take(receiver, wait=True):
                done.append(process)
    finally:
        for process, receiver in children:
            if process not in done and process.is_alive():
                process.kill()
                process.join()
            receiver.close()
    # What a child took but never reported (it died) is run here.
    for job in jobs:
        if job not in results:
            results[job] = run(job)
    return {job: results[job] for job in jobs}


def _taken(jobs: Sequence[str], counter: Any, front: bool = False) -> Any:
    """The jobs this process takes, one at a time, from the front or the back of those
    not yet taken (``counter`` holds their bounds), each with the number of jobs taken
    before it."""
    while True:
        with counter.get_lock():
            start, end = counter[0], counter[1]
            if start >= end:
                return
            if front:
                index = start
                counter[0] = start + 1
            else:
                index = end - 1
                counter[1] = index
        yield jobs[index], start + len(jobs) - end


class _Received:
    """What this process takes from its children: each job's result, made of the parts
    sent ahead of it, if any."""

    def __init__(self, results: dict[str, Any], combine: Callable[[list[Any], Any], Any] | None):
        self.results = results
        self.combine = combine
        self.parts: dict[str, list[Any]] = {}

    def take(self, receiver: Connection, wait: bool) -> bool:
        """Take what a child has sent (waiting for the rest, with ``wait``); True once it
        said it is done. A child that died is done too: what it did not report is run
        here."""
        try:
            while wait or receiver.poll():
                message = receiver.recv()
                if message is None:
                    return True
                if len(message) == 3:  # a part sent ahead: (job, None, part)
                    job, _, part = message
                    self.parts.setdefault(job, []).append(part)
                    continue
                job, result = message
                parts = self.parts.pop(job, None)
                if parts is not None:
                    if self.combine is None:
                        raise TypeError(f"job {job!r} sent parts ahead, and nothing combines them")
                    result = self.combine(parts, result)
                self.results[job] = result
        except (EOFError, OSError):
            return True
        return False


def _child(jobs: Sequence[str], run: Callable[[str], T], counter: Any, sender: Connection) -> None:
    """Run the jobs this child takes, sending each result as its job ends. Whatever goes
    wrong (a result that will not pickle, say) ends the child quietly: the parent runs
    what it did not get, so the user sees one result and no traceback."""
    global _sending
    tie_to_parent()
    try:
        ahead = Ahead(sender)
        for job, _ in _taken(jobs, counter):
            _sending = partial(_part, ahead, job)
            ahead.send((job, run(job)))
        _sending = None
        ahead.send(None)
        ahead.close()
        sender.close()
    except BaseException:
        os._exit(1)


def _part(ahead: Ahead, job: str, part: object) -> None:
    ahead.send((job, None, part))


class Ahead:
    """The sending end of a pipe that never keeps its sender waiting: messages are pickled
    as they are made and sent by a thread of their own, however far ahead of the reader
    (they wait here, pickled, until it reads them)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.queue: SimpleQueue[bytes | None] = SimpleQueue()
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.thread.start()

    def send(self, message: object) -> None:
        self.queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def poll(self) -> bool:
        return False  # nothing is received on this end: its reader stops it instead

    def close(self) -> None:
        """Wait until the reader has taken every message (or is gone)."""
        self.queue.put(None)
        self.thread.join()

    def _send(self) -> None:
        while (data := self.queue.get()) is not None:
            try:
                self.conn.send_bytes(data)
            except OSError:
                return  # the reader stopped reading
