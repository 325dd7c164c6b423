"""Time ``alignhealth check`` phase by phase on generated workbooks of growing size.

    python benchmarks/run.py                 # 1k and 10k goals
    python benchmarks/run.py --sizes 1000 10000 100000
    python benchmarks/run.py --sizes 100000 --repeat 5   # medians of five runs

Each size runs in a fresh child process (so peak memory is its own; the memory it and its
child processes hold at once is sampled from outside, phase by phase, in one more run, as
sampling slows the run it watches): read (and validate) the workbook into records, build
the graph, run every default rule, render the JSON report. It prints
the seconds and peak memory of each phase, the ratio of each size's time to the previous
size's (linear is 10x for 10x the goals), the slowest rules and their own ratios, the
time of a bare python-calamine read of the same file (the reference the check is measured
against; BENCH_OPENPYXL=1 adds openpyxl's), checks that every planted problem was found,
and ends with the targets of issue #8, each met or missed by these figures. With
``--repeat N`` each check and each bare read runs N times, taken in turns, and the medians
are shown (with the spread of the check's total): on a shared machine one run can be 10%
off. The sizes take turns too: each of the N rounds runs every size once (progress on
stderr), and the figures are printed once all have run.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gc
import hashlib
import itertools
import json
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: The environment variable naming the file the check writes its current phase to.
PHASE_FILE = "BENCH_PHASE_FILE"
DATA = HERE / ".data"
AS_OF = dt.date(2026, 11, 15)


def _memory_kb(pid: int | str) -> int:
    """The process's proportional set size (a page shared with a forked child counts
    half in each), or its resident set where the kernel does not give that."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


def _tree_memory_kb(pid: int) -> int:
    """Memory of ``pid`` and its children (the isolated reader, the processes the rules
    are shared among), from /proc."""
    total = _memory_kb(pid)
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return total
    for task in tasks:
        try:
            total += sum(map(_memory_kb, (task / "children").read_text().split()))
        except OSError:
            continue
    return total


def run_measured(path: Path, job: str, sample: bool = False) -> dict[str, Any]:
    """Run ``job`` ("check" or "reference") in a fresh process; with ``sample``, sample
    from out here the memory it and its children (the reader process, the processes the
    rules are shared among) hold at once (sampling inside would add a thread, and a
    second thread makes the check run single-process). ``ru_maxrss`` gives each process's
    own peak; their sum overstates what they ever held together.

    Sampling takes processor time from the check it watches (the kernel walks every page
    of a process to count its proportional size), so timed runs are not sampled.
    """
    sampled = sample and Path("/proc").is_dir()
    env = dict(os.environ)
    if sampled:
        handle, marker = tempfile.mkstemp(prefix="bench-phase-")
        os.close(handle)
        env[PHASE_FILE] = marker
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", job, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak_kb = 0
    phase_kb: dict[str, int] = {}
    while child.poll() is None:
        pause = 0.01
        if sampled:
            started = time.perf_counter()
            now = Path(marker).read_text()
            held = _tree_memory_kb(child.pid)
            peak_kb = max(peak_kb, held)
            if now and now != "done":
                phase_kb[now] = max(phase_kb.get(now, 0), held)
            # The kernel walks every page to count a large process's proportional size
            # (some 2 ms per 400 MB): sample less often than that costs, so the sampling
            # takes at most a tenth of a core from the check it measures.
            pause = max(pause, 9 * (time.perf_counter() - started))
        time.sleep(pause)
    out, _ = child.communicate()
    if sampled:
        Path(marker).unlink()
    if child.returncode != 0:
        raise SystemExit(f"the benchmark of {path} failed (exit code {child.returncode})")
    result: dict[str, Any] = json.loads(out)
    result["together_mb"] = peak_kb / 1024 if sampled else None
    result["phase_mb"] = {name: kb / 1024 for name, kb in phase_kb.items()}
    return result


def measure(path: Path) -> dict[str, object]:
    """Run in the child: the phases of one check, timed."""
    from alignhealth.collector import gc_paused
    from alignhealth.engine import (
        CheckRequest,
        assign_owners,
        build_graph,
        make_host,
        prepare,
        run_rules,
    )
    from alignhealth.findings import Finding
    from alignhealth.health import Census, summarize, take_census
    from alignhealth.loaders.workbook import load_workbook
    from alignhealth.reporters.json import JsonReporter
    from alignhealth.runresult import RulesetInfo, RunResult, SourceInfo, ToolInfo

    times: dict[str, float] = {}
    phase_file = os.environ.get(PHASE_FILE)

    def phase(name: str) -> None:
        """Tell a sampler watching from outside which phase runs now."""
        if phase_file:
            Path(phase_file).write_text(name)

    request = CheckRequest(as_of=AS_OF, ruleset=str(HERE / "bench.toml"), jobs=os.cpu_count() or 1)
    session = prepare(request, make_host(autoload=False))
    with gc_paused():  # from the read until the graph is frozen, as check_workbook does
        phase("read")
        clock = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_SELF)
        loaded = load_workbook(path)
        times["read"] = time.perf_counter() - clock
        after = resource.getrusage(resource.RUSAGE_SELF)
        # This process's share of the read: the rows the readers send, unpickled, parsed,
        # checked and made records (and the goals linked), while the readers read on.
        validate = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        phase("graph")
        clock = time.perf_counter()
        graph = build_graph(session, loaded)
        times["graph"] = time.perf_counter() - clock
    phase("rules")
    clock = time.perf_counter()
    taken: list[Census] = []
    with gc_paused():  # and the rules' indexes frozen with the graph, as check_workbook does
        findings, outcomes, _ = run_rules(
            session, graph, meanwhile=lambda: taken.append(take_census(graph))
        )
        gc.freeze()
    times["rules"] = time.perf_counter() - clock
    phase("report")
    clock = time.perf_counter()
    # what check_workbook does between the rules and the report
    assign_owners(findings, graph)
    findings.sort(key=Finding.sort_key)
    groups = {c: r.rule.groups for c, r in session.registry.rules.items()}
    result = RunResult(
        tool=ToolInfo(version="bench"),
        as_of=AS_OF,
        source=SourceInfo(path=str(path)),
        ruleset=RulesetInfo(name="default", selected=session.config.selected),
        findings=findings,
        outcomes=outcomes,
        summary=summarize(
            graph, findings, groups, incomplete=False, census=next(iter(taken), None)
        ),
    )
    JsonReporter().render(result)
    times["report"] = time.perf_counter() - clock
    phase("done")
    times["check (read to report)"] = sum(times[k] for k in ("read", "graph", "rules", "report"))
    # The check does not wait for its child processes to hand their memory back as they
    # end; their peak counts once they are reaped.
    for process in multiprocessing.active_children():
        process.join()
    return {
        "times": times,
        "rules": {o.code: o.duration_ms / 1000 for o in outcomes},
        "found": dict(collections.Counter(f.code for f in findings)),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # the largest child: the isolated reader's process, or one the rules are shared with
        "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "processor": processor_time(),
        "validate": validate,
    }


def processor_time() -> dict[str, float]:
    """The processor time of this process and its children (reaped), in its own code
    ("user") and in the kernel's on its behalf ("kernel": mostly page faults, as memory
    is first touched or, after a fork, copied), with the page faults counted."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "user": own.ru_utime + children.ru_utime,
        "kernel": own.ru_stime + children.ru_stime,
        "faults": own.ru_minflt + children.ru_minflt + own.ru_majflt + children.ru_majflt,
    }


def reference(path: Path) -> dict[str, object]:
    """Run in a child of its own: the bare reads the check is measured against."""
    import openpyxl
    import python_calamine

    times: dict[str, float] = {}
    started = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = sum(1 for name in book.sheet_names for _ in book.get_sheet_by_name(name).iter_rows())
    times["calamine read (reference)"] = time.perf_counter() - started
    if os.environ.get("BENCH_OPENPYXL"):
        started = time.perf_counter()
        workbook = openpyxl.load_workbook(path, read_only=True)
        sum(1 for ws in workbook.worksheets for _ in ws.iter_rows(values_only=True))
        workbook.close()
        times["openpyxl read (reference)"] = time.perf_counter() - started
    return {"rows": rows, "times": times}


#: How a phase is shown: the cells are parsed and checked in the one pass that reads them
#: (records are made typed, not validated a second time), so reading is validating.
LABELS = {"read": "read and validate"}


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's figures from several: the median of each time, the largest memory."""
    merged = dict(runs[0])
    merged["times"] = {
        phase: statistics.median(run["times"][phase] for run in runs) for phase in runs[0]["times"]
    }
    if "processor" in merged:
        merged["processor"] = {
            key: statistics.median(run["processor"][key] for run in runs)
            for key in runs[0]["processor"]
        }
    if "validate" in merged:
        merged["validate"] = statistics.median(run["validate"] for run in runs)
    if "rules" in merged:
        merged["rules"] = {
            code: statistics.median(run["rules"][code] for run in runs) for code in merged["rules"]
        }
    for key in ("peak_mb", "child_peak_mb", "together_mb"):
        values = [run[key] for run in runs if run.get(key) is not None]
        if key in merged:
            merged[key] = max(values) if values else None
    return merged


def ensure_workbook(goals: int, data: Path = DATA) -> tuple[Path, dict[str, int]]:
    sys.path.insert(0, str(HERE))
    from generate import generate

    data.mkdir(parents=True, exist_ok=True)
    # Named for the generator's own text, so that a changed generator writes afresh.
    version = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:8]
    path = data / f"goals-{goals}-{version}.xlsx"
    counts_file = path.with_suffix(".json")
    if not path.exists() or not counts_file.exists():
        counts = generate(goals, path)
        counts_file.write_text(json.dumps(counts))
    return path, json.loads(counts_file.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="alignhealth phase benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--data", type=Path, default=DATA, help="where generated workbooks are cached"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each size; medians are shown"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        job, target = args.child
        print(json.dumps((measure if job == "check" else reference)(Path(target))))
        return 0

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
    )
    books = {size: ensure_workbook(size, args.data) for size in args.sizes}
    # The bare read runs in a process of its own, so that what it holds is not counted
    # in the check's memory; the two take turns, so that a slow spell of the machine falls
    # on both. The sizes take turns as well (each round runs every size once): the growth
    # from one size to the next compares their medians, which a spell of a few minutes
    # would otherwise move for one size and not the other.
    rounds = max(1, args.repeat)
    timed: dict[int, list[tuple[dict[str, Any], dict[str, Any]]]] = {s: [] for s in books}
    for turn in range(1, rounds + 1):
        for size, (path, _) in books.items():
            check, read = run_measured(path, "check"), run_measured(path, "reference")
            timed[size].append((check, read))
            print(
                f"round {turn} of {rounds}: {size:,} goals, check "
                f"{check['times']['check (read to report)']:.3f} s, calamine read "
                f"{read['times']['calamine read (reference)']:.3f} s",
                file=sys.stderr,
                flush=True,
            )
    results = []
    for size, (path, planted) in books.items():
        runs = timed[size]
        result = _median_run([check for check, _ in runs])
        # What the check and its children hold at once, in all and in each phase, from a
        # run of its own.
        watched = run_measured(path, "check", sample=True)
        result["together_mb"] = watched["together_mb"]
        result["phase_mb"] = watched["phase_mb"]
        bare = _median_run([read for _, read in runs])
        result["rows"] = bare["rows"]
        result["times"] = bare["times"] | result["times"]
        result["times"]["ratio to the calamine read"] = (
            result["times"]["check (read to report)"] / result["times"]["calamine read (reference)"]
        )
        result["rounds"] = [check["times"]["check (read to report)"] for check, _ in runs]
        totals = sorted(result["rounds"])
        results.append((size, result))
        # Every run must find every planted problem, exactly.
        missing = {
            c: n for check, _ in runs for c, n in planted.items() if check["found"].get(c, 0) != n
        }
        both = result["together_mb"]
        together = "n/a" if both is None else f"{both:.0f} MB"
        print(
            f"\n{size:,} goals ({path.stat().st_size / 1e6:.1f} MB, {result['rows']:,} rows), "
            f"peak {result['peak_mb']:.0f} MB (largest child process "
            f"{result['child_peak_mb']:.0f} MB, all at once {together}); "
            "planted problems "
            + (
                "all found exactly"
                if not missing
                else f"MISMATCHED: {missing} (found {result['found']})"
            )
        )
        for phase, seconds in result["times"].items():
            unit = "x" if phase.startswith("ratio") else "s"
            held = result["phase_mb"].get(phase)
            if phase == "check (read to report)":
                held = both
            if unit == "x" or phase.startswith("calamine"):
                memory = ""
            elif held is None:
                memory = "  (over before a sample)"
            else:
                memory = f"  {held:6.0f} MB at most"
            label = LABELS.get(phase, phase)
            print(f"  {label:<28} {seconds:8.3f} {unit}{memory}".rstrip())
        print(
            f"  {'validating, processor time':<28} {result['validate']:8.3f} s in this process, "
            "beside the readers"
        )
        used = result["processor"]
        print(
            f"  {'processor time':<28} {used['user']:8.3f} s user, {used['kernel']:.3f} s kernel, "
            f"{used['faults']:,.0f} page faults (its processes, from their start)"
        )
        if len(totals) > 1:
            print(
                f"  (medians of {len(totals)} runs; the check took {totals[0]:.3f} to "
                f"{totals[-1]:.3f} s)"
            )
    for (small, a), (big, b) in itertools.pairwise(results):
        factor = big / small
        print(f"\n{small:,} -> {big:,} goals ({factor:.0f}x):")
        phases = ("calamine read (reference)", "read", "graph", "rules", "report")
        for phase in (*phases, "check (read to report)"):
            ratio = b["times"][phase] / max(a["times"][phase], 1e-9)
            print(f"  {LABELS.get(phase, phase):<28} {ratio:6.1f}x")
        if len(b["rounds"]) > 1:  # each round ran both sizes within minutes of each other
            each = " ".join(f"{y / x:.1f}x" for x, y in zip(a["rounds"], b["rounds"], strict=True))
            print(f"  {'check, round by round':<28} {each}")
        ratio = b["validate"] / max(a["validate"], 1e-9)
        print(f"  {'validating, processor time':<28} {ratio:6.1f}x")
        for key in ("user", "kernel"):
            ratio = b["processor"][key] / max(a["processor"][key], 1e-9)
            print(f"  {'processor time, ' + key:<28} {ratio:6.1f}x")
        slow = sorted(b["rules"], key=lambda c: -b["rules"][c])[:8]
        print("  slowest rules at the larger size (seconds, ratio):")
        for code in slow:
            ratio = b["rules"][code] / max(a["rules"][code], 1e-6)
            print(f"    {code}  {b['rules'][code]:7.3f} s  {ratio:6.1f}x")
    print_targets(results)
    return 0


#: The targets of issue #8: the check at most this many times the bare calamine read, at
#: these sizes and up (below them a check's fixed costs outweigh a read of a small file);
#: its processes' peak memory, all at once, below this; and each size's time at most
#: this share more than in proportion to the previous size's (10x the goals, 11x the time).
TARGET_RATIO = 2.0
TARGET_RATIO_FROM = 100_000
TARGET_MEMORY_MB = 4096
TARGET_GROWTH = 1.1


def print_targets(results: list[tuple[int, dict[str, Any]]]) -> None:
    """Whether each of the issue's targets was met by these medians, figure by figure."""

    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    print("\ntargets:")
    for size, result in results:
        ratio = result["times"]["ratio to the calamine read"]
        if size >= TARGET_RATIO_FROM:
            print(
                f"  {size:>9,} goals: check {ratio:.2f}x the calamine read "
                f"(at most {TARGET_RATIO:g}x): {verdict(ratio <= TARGET_RATIO)}"
            )
        together = result["together_mb"]
        if together is not None:
            print(
                f"  {size:>9,} goals: {together:,.0f} MB at most, its processes at once "
                f"(under {TARGET_MEMORY_MB:,} MB): {verdict(together < TARGET_MEMORY_MB)}"
            )
    for (small, a), (big, b) in itertools.pairwise(results):
        growth = b["times"]["check (read to report)"] / a["times"]["check (read to report)"]
        limit = TARGET_GROWTH * big / small
        print(
            f"  {small:,} -> {big:,} goals: check {growth:.2f}x the time (at most "
            f"{limit:.1f}x): {verdict(growth <= limit)}"
        )


if __name__ == "__main__":
    sys.exit(main())
