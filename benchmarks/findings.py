"""What a check costs by the number of its findings, run as a user runs it.

    python benchmarks/findings.py                        # 10,000 goals
    python benchmarks/findings.py --goals 1000000 --repeat 3

``run.py`` measures the check of issue #8, whose planted problems make one finding per
twenty-four goals. A client's workbook can have many more: a tree deeper than AH108
allows, or reviews all dated after the as-of date, give a finding on most goals, and
every finding is made, sent across from the process the rules are shared with, sorted,
summarised and written. This runs ``alignhealth check WORKBOOK -f json:FILE`` on the
generated workbook (cached with run.py's) three ways, each in turns in each of
``--repeat`` rounds:

- ``planted``: benchmarks/bench.toml, as run.py checks it (the planted problems);
- ``deep tree``: the default preset, whose AH108 finds most goals too deep;
- ``as of June``: the default preset as of 2026-06-30, before every review: AH502 on every
  goal as well.

It prints per way the median seconds, the findings, the memory the check and its child
processes held at once (their proportional set sizes, sampled from outside) and the
largest process's own peak, and the size of the JSON report; then what each finding
beyond the planted ones cost, in time and in memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run import AS_OF, DATA, HERE, _tree_memory_kb, ensure_workbook

#: name -> the arguments of ``alignhealth check`` beyond the workbook and the report.
WAYS = {
    "planted": ["--ruleset", str(HERE / "bench.toml"), "--as-of", AS_OF.isoformat()],
    "deep tree": ["--as-of", AS_OF.isoformat()],
    "as of June": ["--as-of", "2026-06-30"],
}
FOUND = re.compile(r"([\d,]+) finding\(s\)")


def check_once(workbook: Path, way: str, scratch: Path) -> dict[str, Any]:
    """Run the check one way in a fresh process, its memory sampled from out here."""
    report = scratch / "report.json"
    command = [sys.executable, "-m", "alignhealth", "check", str(workbook), *WAYS[way]]
    command += ["--no-plugins", "--format", f"json:{report}"]
    with (scratch / "stderr").open("w+b") as errors:
        clock = time.perf_counter()
        child = subprocess.Popen(command, stderr=errors, stdout=subprocess.DEVNULL)
        together_kb = 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            started = time.perf_counter()
            together_kb = max(together_kb, _tree_memory_kb(child.pid))
            # Counting a large process's pages takes the kernel a while: sample less
            # often than that costs, so that sampling takes a tenth of a core at most.
            time.sleep(max(0.01, 9 * (time.perf_counter() - started)))
        seconds = time.perf_counter() - clock
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        said = errors.read().decode(errors="replace")
    found = FOUND.search(said)
    if child.returncode not in (0, 1) or found is None:
        raise SystemExit(f"the check ({way}) failed, exit code {child.returncode}: {said}")
    return {
        "seconds": seconds,
        "findings": int(found.group(1).replace(",", "")),
        "together_mb": together_kb / 1024,
        # The largest process (of the check and the children it waited for), in KB.
        "largest_mb": usage.ru_maxrss / 1024,
        "report_mb": report.stat().st_size / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    workbook, _ = ensure_workbook(args.goals, args.data)
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    with tempfile.TemporaryDirectory(prefix="alignhealth-findings-") as scratch:
        for round_number in range(1, args.repeat + 1):
            for way in WAYS:
                print(f"round {round_number} of {args.repeat}: {way}", file=sys.stderr)
                runs[way].append(check_once(workbook, way, Path(scratch)))

    print(f"machine: {platform.platform()}, {os.cpu_count()} cores")
    print(f"{args.goals:,} goals, alignhealth check -f json:FILE; medians of {args.repeat}")
    header = f"  {'way':11} {'seconds':>9} {'findings':>10} {'at once':>9} {'largest':>9}"
    print(f"{header} {'report':>9}")
    medians: dict[str, dict[str, float]] = {}
    for way, measured in runs.items():
        median = {key: statistics.median(run[key] for run in measured) for key in measured[0]}
        medians[way] = median
        print(
            f"  {way:11} {median['seconds']:9.2f} {int(median['findings']):10,} "
            f"{median['together_mb']:6.0f} MB {median['largest_mb']:6.0f} MB "
            f"{median['report_mb']:6.0f} MB"
        )
    planted = medians["planted"]
    for way in list(WAYS)[1:]:
        more = medians[way]["findings"] - planted["findings"]
        if more > 0:
            seconds = (medians[way]["seconds"] - planted["seconds"]) / more * 1e6
            memory = (medians[way]["together_mb"] - planted["together_mb"]) * 2**20 / more
            print(
                f"  each finding more ({way}): {seconds:.1f} us, {memory:,.0f} bytes held "
                "at the peak"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
