"""Several workbooks at once: the worker pool and the order its results come back in."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alignhealth.pool import in_input_order, map_workbooks


@given(st.integers(min_value=0, max_value=30).flatmap(lambda n: st.permutations(range(n))))
def test_results_come_in_input_order_each_as_soon_as_those_before_it_are_in(
    ending: list[int],
) -> None:
    taken = 0

    def ends() -> Iterator[tuple[int, str]]:
        nonlocal taken
        for index in ending:
            taken += 1
            yield index, f"result {index}"

    given_at = []
    for result in in_input_order(ends()):
        given_at.append((result, taken))
    assert [r for r, _ in given_at] == [f"result {i}" for i in range(len(ending))]
    # The k-th is given once the last of the first k+1 to end has ended, not later.
    position = {index: at for at, index in enumerate(ending, start=1)}
    assert [t for _, t in given_at] == [
        max(position[i] for i in range(k + 1)) for k in range(len(ending))
    ]


def _sizer(suffix: str) -> Callable[[Path], tuple[int, str]]:
    """Made once in each worker: reports the worker's process and the path it was given
    (or raises, or kills the worker, as the path says)."""

    def size(path: Path) -> tuple[int, str]:
        if path.name == "broken":
            raise ValueError(f"cannot read {path}")
        if path.name.startswith("poison"):
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid(), path.name + suffix

    return size


class _Count:
    def __init__(self) -> None:
        self.told: list[tuple[int, int, str | None]] = []

    def workbooks(self, done: int, total: int, path: str | None) -> None:
        self.told.append((done, total, path))


def test_each_workbook_is_done_by_a_worker_and_told_as_it_ends() -> None:
    paths = [Path(f"book-{n}") for n in range(6)]
    count = _Count()
    found = dict(map_workbooks(paths, _sizer, ("!",), 2, count))
    assert sorted(found) == list(range(6))
    assert [found[n][1] for n in range(6)] == [f"book-{n}!" for n in range(6)]
    assert os.getpid() not in {pid for pid, _ in found.values()}
    assert count.told[0] == (0, 6, None)
    assert [done for done, _, _ in count.told] == list(range(7))
    assert sorted(str(p) for _, _, p in count.told[1:]) == [str(p) for p in paths]


def test_a_workbook_that_fails_raises_in_its_turn() -> None:
    paths = [Path("book"), Path("broken")]
    with pytest.raises(ValueError, match="cannot read broken"):
        list(in_input_order(map_workbooks(paths, _sizer, ("",), 2)))


@pytest.mark.parametrize("poisoned", [[0], [3], [0, 1], [2, 7]])
def test_a_worker_that_dies_costs_only_its_own_workbook(poisoned: list[int]) -> None:
    paths = [Path(f"poison-{n}" if n in poisoned else f"book-{n}") for n in range(8)]
    count = _Count()
    found = dict(map_workbooks(paths, _sizer, ("!",), 2, count, died=lambda p: (0, f"{p} died")))
    assert sorted(found) == list(range(8))
    for n, path in enumerate(paths):
        expected = f"{path} died" if n in poisoned else f"{path}!"
        assert found[n][1] == expected
    assert [done for done, _, _ in count.told] == list(range(9))


def test_without_a_fallback_a_worker_that_dies_raises() -> None:
    with pytest.raises(BrokenProcessPool):
        list(map_workbooks([Path("book"), Path("poison")], _sizer, ("",), 2))
