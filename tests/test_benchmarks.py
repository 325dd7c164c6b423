"""The benchmark command still runs: it is not a timed test, but a broken benchmark would
go unnoticed until someone needs its figures."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_benchmark_prints_phases_ratios_and_memory_for_each_size(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(RUN), "--sizes", "200", "400", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert out.count("planted problems all found exactly") == 2, out
    memory = r"(  +(\d+ MB at most|\(over before a sample\)))"
    assert len(re.findall(r"^  calamine read \(reference\)\s+\d+\.\d+ s$", out, re.M)) == 2
    for phase in ("read and validate", "graph", "rules", "report", "check (read to report)"):
        line = rf"^  {re.escape(phase)}\s+\d+\.\d+ s{memory}$"
        assert len(re.findall(line, out, re.M)) == 2, (phase, out)
    # the peak of the check and its children at once, for the whole check and by phase
    assert len(re.findall(r"^  check \(read to report\)\s+\d+\.\d+ s\s+\d+ MB", out, re.M)) == 2
    assert re.search(r"^  (read and validate|rules)\s+\d+\.\d+ s\s+\d+ MB at most$", out, re.M)
    assert len(re.findall(r"ratio to the calamine read\s+\d+\.\d+ x", out)) == 2
    assert re.search(r"all at once \d+ MB", out), out
    assert "200 -> 400 goals (2x):" in out
    written = sorted(tmp_path.glob("*.xlsx"))
    assert [re.sub(r"-[0-9a-f]{8}\.xlsx$", "", p.name) for p in written] == [
        "goals-200",
        "goals-400",
    ]
    # text in a shared-strings table, as Excel writes it, not inline in the sheets
    with zipfile.ZipFile(written[0]) as package:
        assert "xl/sharedStrings.xml" in package.namelist()
        assert b"inlineStr" not in package.read("xl/worksheets/sheet1.xml")


def test_repeated_runs_show_medians_and_the_spread(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(RUN), "--sizes", "200", "--repeat", "3", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "planted problems all found exactly" in out, out
    spread = re.search(r"\(medians of 3 runs; the check took (\d+\.\d+) to (\d+\.\d+) s\)", out)
    assert spread, out
    median = float(re.findall(r"check \(read to report\)\s+(\d+\.\d+) s", out)[0])
    assert float(spread[1]) <= median <= float(spread[2])
