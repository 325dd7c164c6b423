"""What this machine charges for ten times the data: one plain Python walk over records,
at two sizes, without alignhealth.

The check's rules walk every goal once, so their work grows with the goals; their time
can grow faster where the larger data no longer fits the processor's cache (and, in a
virtual machine, where address translation misses more). This walk shows that step on
its own: records written as a goal sheet is read (each beside two strings of its row),
walked in row order with a look-up of each record's parent (a near neighbour, as in a
tree written top-down), and walked again with a look-up of each record's owner, one of a
quarter as many owners met in no order. Run it beside ``run.py`` to tell the machine's
share of a growth ratio from the code's::

    python benchmarks/cache_step.py                       # 100,000 and 1,000,000 records
    python benchmarks/cache_step.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable

REPEAT = 5


class Record:
    """A goal-like record: an id, an owner cell, a parent id and a few other fields."""

    __slots__ = ("due", "id", "kpi", "level", "owners", "parent", "start", "status", "title")

    def __init__(self, number: int, owners: tuple[str, ...], parent: str) -> None:
        self.id = f"G-{number:07d}"
        self.owners = owners
        self.parent = parent
        self.status = "on track"
        self.level = "Team"
        self.title: str | None = None
        self.kpi: str | None = None
        self.start: str | None = None
        self.due: str | None = None


class Data:
    """``size`` records in row order, by id, and the owners they name, by id."""

    def __init__(self, size: int, seed: int = 1) -> None:
        picker = random.Random(seed)
        owner_cells = [(f"P-{n:06d}",) for n in range(max(1, size // 4))]
        self.records: list[Record] = []
        self.row_mates: list[str] = []  # the other cells of each row, read between records
        for number in range(size):
            cell = owner_cells[picker.randrange(len(owner_cells))]
            self.records.append(Record(number, cell, f"G-{number // 9:07d}"))
            self.row_mates.append(f"Title of goal {number}")
            self.row_mates.append(f"KPI {number}")
        self.by_id = {record.id: record for record in self.records}
        self.owners = {cell[0]: cell for cell in owner_cells}


def walk_in_row_order(data: Data) -> int:
    """Each record's fields and its parent, looked up by id."""
    found = 0
    by_id = data.by_id
    for record in data.records:
        if record.status == "on track" and by_id.get(record.parent) is not None:
            found += 1
    return found


def walk_with_owner_look_ups(data: Data) -> int:
    """Each record's owner, looked up by id among the owners (met in no order)."""
    found = 0
    owners = data.owners
    for record in data.records:
        if owners.get(record.owners[0]) is not None:
            found += 1
    return found


WALKS: dict[str, Callable[[Data], int]] = {
    "walk in row order, parent looked up": walk_in_row_order,
    "walk with the owner looked up": walk_with_owner_look_ups,
}


def timed(walk: Callable[[Data], int], data: Data) -> float:
    """The median of REPEAT walks, in seconds."""
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        walk(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    small, large = args.sizes
    gc.disable()  # as the check runs its rules: the collector paused
    seconds: dict[int, dict[str, float]] = {}
    for size in (small, large):
        data = Data(size)
        seconds[size] = {name: timed(walk, data) for name, walk in WALKS.items()}
        del data
        for name, taken in seconds[size].items():
            print(f"{size:>10,} records  {name:<40} {taken * 1000:10.3f} ms")
    growth = large / small
    print(f"{small:,} -> {large:,} records ({growth:g}x):")
    for name in WALKS:
        print(f"  {name:<40} {seconds[large][name] / seconds[small][name]:6.1f}x")


if __name__ == "__main__":
    main()
