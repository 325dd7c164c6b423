"""Time every report format on a check that finds something on nearly every goal.

    python benchmarks/reports.py                         # 10,000 goals
    python benchmarks/reports.py --goals 100000 --repeat 3
    python benchmarks/reports.py --formats xlsx sarif    # only these

A client's workbook can fail one rule on most of its rows (nobody named as owner, nothing
reviewed this year): its reports then hold as many findings as it has goals, where the
planted problems of ``run.py`` make one finding per twenty goals. This checks a generated
workbook (cached with run.py's, in benchmarks/.data/) with the default rules and AH108's
depth allowance lowered to two links, so that every goal deeper than that is a finding
(96% of them), then writes the result to a file in each built-in format, as the check
writes a report, each in a fresh process so that its peak memory is its own, the formats
taking turns in each of ``--repeat`` rounds. It prints per format the median seconds, the
microseconds per finding, the size of the output, and the memory writing it added to the
process holding the result.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import AS_OF, DATA, ensure_workbook

#: Every goal more than two links below its top goal is a finding of AH108.
DENSE_RULESET = """extends = ["default"]

[rules.options.AH108]
max-depth = 2
"""
FORMATS = ["json", "jsonl", "csv", "text", "markdown", "junit", "sarif", "html", "xlsx"]


def _status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _peak_from_now() -> int:
    """Start counting this process's peak memory afresh (Linux: its high-water mark is
    reset to what it holds now, loading the result's own peak forgotten); return it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kb("VmRSS:") or 0


def _peak_kb() -> int:
    return _status_kb("VmHWM:") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def render_once(pickled: Path, name: str) -> dict[str, float]:
    """In a child process: load the result, write it once in format ``name`` to a file,
    as the check writes a report."""
    from alignhealth.engine import available_reporters, make_host

    with pickled.open("rb") as handle:
        result = pickle.load(handle)
    destination = pickled.with_suffix(f".{name}")
    reporter = available_reporters(make_host(autoload=False))[name](destination=destination)
    before = _peak_from_now()
    clock = time.perf_counter()
    reporter.save(result, destination)  # as the check writes a report file
    seconds = time.perf_counter() - clock
    after = _peak_kb()
    size = destination.stat().st_size
    destination.unlink()
    return {"seconds": seconds, "added_mb": (after - before) / 1024, "bytes": size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--formats", nargs="+", default=FORMATS, choices=FORMATS)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(render_once(Path(args.child[0]), args.child[1])))
        return 0

    from alignhealth.engine import CheckRequest, check, make_host

    path, _ = ensure_workbook(args.goals, args.data)
    with tempfile.TemporaryDirectory(prefix="alignhealth-reports-") as scratch:
        folder = Path(scratch)
        ruleset = folder / "dense.toml"
        ruleset.write_text(DENSE_RULESET)
        clock = time.perf_counter()
        request = CheckRequest(as_of=AS_OF, ruleset=str(ruleset), jobs=os.cpu_count() or 1)
        result = check(path, request, host=make_host(autoload=False))
        checked = time.perf_counter() - clock
        if result.errors:
            raise SystemExit(f"the check of {path} failed: {result.errors[0].message}")
        findings = len(result.findings)
        pickled = folder / "result.pickle"
        with pickled.open("wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        del result
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in args.formats}
        for round_number in range(1, args.repeat + 1):
            for name in args.formats:
                print(f"round {round_number} of {args.repeat}: {name}", file=sys.stderr)
                child = subprocess.run(
                    [sys.executable, __file__, "--child", str(pickled), name],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[name].append(json.loads(child.stdout))

    machine = f"{platform.platform()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(
        f"{args.goals:,} goals, {findings:,} findings (check, default rules and AH108 at "
        f"depth 2: {checked:.2f} s); medians of {args.repeat}"
    )
    print(f"  {'format':9} {'seconds':>9} {'us/finding':>11} {'output':>10} {'memory added':>13}")
    for name, measured in runs.items():
        seconds = statistics.median(run["seconds"] for run in measured)
        added = statistics.median(run["added_mb"] for run in measured)
        size = measured[0]["bytes"] / 2**20
        per = seconds / max(findings, 1) * 1e6
        print(f"  {name:9} {seconds:9.3f} {per:11.1f} {size:8.2f} MB {added:10.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
