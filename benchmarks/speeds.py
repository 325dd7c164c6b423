"""The table the portfolio and mail benchmarks print: each setting's median seconds, the
work done per second, the spread, and the speed against the first setting."""

from __future__ import annotations

import statistics
from collections.abc import Callable


def speed_table(
    seconds: dict[int, list[float]], done: int, unit: str, name: Callable[[int], str], one: str
) -> list[str]:
    """A line per setting (in ``seconds``' order, the first the one compared with): its
    ``name``, median seconds, ``done`` ``unit`` per second, fastest to slowest run, and,
    after the first, how many times the speed of ``one`` it has."""
    first = statistics.median(next(iter(seconds.values())))
    lines: list[str] = []
    for setting, runs in seconds.items():
        median = statistics.median(runs)
        speedup = f"   {first / median:.2f}x the speed of {one}" if lines else ""
        lines.append(
            f"  {name(setting)}  {median:8.3f} s  {done / median:7.1f} {unit}/s"
            f"  ({min(runs):.3f} to {max(runs):.3f} s){speedup}"
        )
    return lines
