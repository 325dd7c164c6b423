"""Time ``alignhealth check`` of a portfolio: many workbooks in one command, as a firm
schedules it every night.

    python benchmarks/portfolio.py                          # 200 workbooks of 1,000 goals
    python benchmarks/portfolio.py --workbooks 50 --goals 10000 --repeat 3

It generates one workbook (cached with run.py's, in benchmarks/.data/), copies it into a
temporary folder ``--workbooks`` times, and runs the command as a user would, in a fresh
process: ``alignhealth check FOLDER --jobs J -f json:OUT/{stem}.json -q``, for each J
from 1 to the number of cores, the values of J taking turns in each of ``--repeat``
rounds. It prints the median seconds, the workbooks checked per second and the speed-up
over one job, and checks that every workbook's report was written with the findings of
the generated workbook's planted problems.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import AS_OF, DATA, HERE, ensure_workbook


def check_folder(folder: Path, out: Path, jobs: int) -> float:
    """Seconds of one ``alignhealth check`` of every workbook in ``folder``."""
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "alignhealth",
        "check",
        str(folder),
        "--jobs",
        str(jobs),
        "--ruleset",
        str(HERE / "bench.toml"),
        "--as-of",
        AS_OF.isoformat(),
        "--format",
        f"json:{out}/{{stem}}.json",
        "--quiet",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: findings, as planted
        raise SystemExit(f"the check failed (exit code {done.returncode}): {done.stderr}")
    return seconds


def found(report: Path) -> dict[str, int]:
    """Findings per rule code in one workbook's JSON report."""
    counts: dict[str, int] = {}
    for finding in json.loads(report.read_text())["findings"]:
        counts[finding["code"]] = counts.get(finding["code"], 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="alignhealth portfolio benchmark")
    parser.add_argument("--workbooks", type=int, default=200, help="copies checked at once")
    parser.add_argument("--goals", type=int, default=1000, help="goals in each workbook")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are shown")
    parser.add_argument(
        "--data", type=Path, default=DATA, help="where the generated workbook is cached"
    )
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    print(f"machine: {platform.platform()}, {cores} cores, Python {platform.python_version()}")
    source, planted = ensure_workbook(args.goals, args.data)
    seconds: dict[int, list[float]] = {jobs: [] for jobs in range(1, cores + 1)}
    with tempfile.TemporaryDirectory(prefix="alignhealth-portfolio-") as scratch:
        folder = Path(scratch) / "clients"
        folder.mkdir()
        for number in range(args.workbooks):
            shutil.copyfile(source, folder / f"client-{number:04d}.xlsx")
        out = Path(scratch) / "reports"
        for round_number in range(1, args.repeat + 1):
            for jobs in seconds:
                seconds[jobs].append(check_folder(folder, out, jobs))
                print(
                    f"round {round_number} of {args.repeat}: --jobs {jobs}, "
                    f"{seconds[jobs][-1]:.3f} s",
                    file=sys.stderr,
                )
        reports = sorted(out.glob("*.json"))
        wrong = [
            r.name
            for r in reports
            if any(found(r).get(code, 0) != n for code, n in planted.items())
        ]
    size = source.stat().st_size / 1e6
    print(
        f"{args.workbooks} workbooks of {args.goals:,} goals ({size:.1f} MB each), "
        f"medians of {args.repeat} round(s)"
    )
    one = statistics.median(seconds[1])
    for jobs, runs in seconds.items():
        median = statistics.median(runs)
        speedup = "" if jobs == 1 else f"   {one / median:.2f}x the speed of one job"
        print(
            f"  --jobs {jobs}  {median:8.3f} s  {args.workbooks / median:7.1f} workbooks/s"
            f"  ({min(runs):.3f} to {max(runs):.3f} s){speedup}"
        )
    if len(reports) == args.workbooks and not wrong:
        print("every report written, each with every planted problem found exactly")
    else:
        print(f"MISMATCHED: {len(reports)} reports of {args.workbooks}; wrong: {wrong[:5]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
