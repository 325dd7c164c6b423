"""Time ``alignhealth check`` (or ``audit``) of a portfolio: many workbooks in one
command, as a firm schedules it every night.

    python benchmarks/portfolio.py                          # 200 workbooks of 1,000 goals
    python benchmarks/portfolio.py --workbooks 50 --goals 10000 --repeat 3
    python benchmarks/portfolio.py --audit                  # the nightly audit of them

It generates one workbook (cached with run.py's, in benchmarks/.data/), copies it into a
temporary folder ``--workbooks`` times, and runs the command as a user would, in a fresh
process: ``alignhealth check FOLDER --jobs J -f json:OUT/{stem}.json -q``, for each J
from 1 to the number of cores, the values of J taking turns in each of ``--repeat``
rounds. It prints the median seconds, the workbooks checked per second and the speed-up
over one job, and checks that every workbook's report was written with the findings of
the generated workbook's planted problems. With ``--audit`` it times ``alignhealth audit``
of the folder instead (``--dry-run --no-history``, JSON reports, a mail to each leader
with findings), and says how many messages each audit wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import AS_OF, DATA, HERE, ensure_workbook
from speeds import speed_table


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
    return timed(command)


def timed(command: list[str]) -> float:
    """Seconds the command took, run as a user runs it (it must exit 0, or 1 for the
    findings planted)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[3]} failed (exit code {done.returncode}): {done.stderr}")
    return seconds


#: The audit of ``--audit``: the folder's workbooks, their JSON reports, and a mail to
#: each leader with findings, written to the outbox (``--dry-run``), as a firm's nightly
#: audit of its clients does.
AUDIT_CONFIG = """\
workbooks = ["clients/*.xlsx"]
ruleset = "{ruleset}"
as-of = {as_of}
[reports]
folder = "reports"
formats = ["json"]
[email]
from = "alignhealth@example.com"
to = ["pmo@example.com"]
per-leader = true
outbox = "outbox"
[email.smtp]
host = "127.0.0.1"
"""


def audit_folder(folder: Path, out: Path, jobs: int) -> float:
    """Seconds of one ``alignhealth audit`` of every workbook in ``folder`` (its reports
    go to ``out``, beside the config, and its mail to the outbox there)."""
    config = out.parent / "audit.toml"
    config.write_text(
        AUDIT_CONFIG.format(ruleset=(HERE / "bench.toml").as_posix(), as_of=AS_OF.isoformat())
    )
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out.parent / "outbox", ignore_errors=True)
    command = [sys.executable, "-m", "alignhealth", "audit", str(config)]
    command += ["--jobs", str(jobs), "--dry-run", "--no-history", "--quiet"]
    return timed(command)


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
    parser.add_argument(
        "--audit",
        action="store_true",
        help="time `alignhealth audit` of the folder (JSON reports, mail to each leader "
        "written to an outbox) instead of `alignhealth check`",
    )
    args = parser.parse_args(argv)
    run_one = audit_folder if args.audit else check_folder
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
                seconds[jobs].append(run_one(folder, out, jobs))
                print(
                    f"round {round_number} of {args.repeat}: --jobs {jobs}, "
                    f"{seconds[jobs][-1]:.3f} s",
                    file=sys.stderr,
                )
        reports = sorted(out.glob("*.json"))
        mail = len(list((out.parent / "outbox").glob("*.eml")))
        wrong = [
            r.name
            for r in reports
            if any(found(r).get(code, 0) != n for code, n in planted.items())
        ]
    size = source.stat().st_size / 1e6
    command = "alignhealth audit" if args.audit else "alignhealth check"
    print(
        f"{command} of {args.workbooks} workbooks of {args.goals:,} goals ({size:.1f} MB "
        f"each), medians of {args.repeat} round(s)"
    )
    for line in speed_table(seconds, args.workbooks, "workbooks", "--jobs {}".format, "one job"):
        print(line)
    if args.audit:
        print(f"  {mail:,} messages written to the outbox by each audit")
    if len(reports) == args.workbooks and not wrong:
        print("every report written, each with every planted problem found exactly")
    else:
        print(f"MISMATCHED: {len(reports)} reports of {args.workbooks}; wrong: {wrong[:5]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
