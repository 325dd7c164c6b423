"""``--format statistics``: the findings counted by rule, most first."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from alignhealth.cli import main
from alignhealth.findings import Severity
from alignhealth.reporters.statistics import StatisticsReporter
from alignhealth.reporters.text import MANY_FINDINGS, TextReporter
from alignhealth.runresult import RunResult
from alignhealth.testing import write_workbook
from tests.conftest import orphaned_tree
from tests.test_reports import fixed_result

ROW = re.compile(r"^\s+([\d,]+)  (\S+)\s+(\w+)\s+(\S+)$", re.M)


def _result_in(folder: Path) -> RunResult:
    folder.mkdir()
    return fixed_result(folder)


def _with_copies(result: RunResult, copies: dict[str, int]) -> RunResult:
    """The result with more findings of some rules (copies of its first of each)."""
    for code, extra in copies.items():
        first = next(f for f in result.findings if f.code == code)
        result.findings += [first.model_copy() for _ in range(extra)]
    return result


def test_rules_are_counted_most_first_then_by_code(tmp_path: Path) -> None:
    result = _with_copies(fixed_result(tmp_path), {"AH201": 2, "AH101": 2})
    out = StatisticsReporter().render(result)
    rows = ROW.findall(out)
    active = [f for f in result.findings if not f.suppressed]
    assert sum(int(count) for count, _, _, _ in rows) == len(active)
    assert [(count, code) for count, code, _, _ in rows[:2]] == [("3", "AH101"), ("3", "AH201")]
    counts = [int(count) for count, _, _, _ in rows]
    assert counts == sorted(counts, reverse=True)
    severity = {f.code: f.severity.value for f in active}
    name = {f.code: f.name for f in active}
    assert all(severity[code] == sev and name[code] == rule for _, code, sev, rule in rows)
    # a suppressed finding is not counted, and the run's totals end the report
    assert "AH703" not in {code for _, code, _, _ in rows}
    last = out.splitlines()[-1]
    assert last.startswith(f"{len(active)} finding(s): ") and "1 suppressed" in last
    assert out.splitlines()[0].startswith("client.xlsx  as of 2026-11-15  ruleset")


def test_a_rule_whose_findings_differ_in_severity_shows_its_highest(tmp_path: Path) -> None:
    result = _with_copies(fixed_result(tmp_path), {"AH201": 1})
    first = next(f for f in result.findings if f.code == "AH201")
    first.severity = Severity.INFO
    rows = {
        code: (count, sev)
        for count, code, sev, _ in ROW.findall(StatisticsReporter().render(result))
    }
    assert rows["AH201"] == ("2", "critical")


def test_no_findings_and_a_workbook_not_read(tmp_path: Path) -> None:
    result = fixed_result(tmp_path)
    result.findings = []
    assert "  no findings" in StatisticsReporter().render(result)
    result.source.sha256 = None
    out = StatisticsReporter().render(result)
    assert "not checked: the workbook could not be read" in out
    assert "count" not in out and "no findings" not in out


def test_several_workbooks_are_counted_each_and_together(tmp_path: Path) -> None:
    one = _with_copies(_result_in(tmp_path / "a"), {"AH201": 1})
    two = _result_in(tmp_path / "b")
    out = StatisticsReporter().render_many([one, two], 1)
    head, together = out.split("All 2 workbooks\n")
    assert head.count("count  code") == 2
    rows = {code: int(count) for count, code, _, _ in ROW.findall(together)}
    assert rows["AH201"] == 3 and rows["AH101"] == 2
    assert together.rstrip().splitlines()[-1].startswith("2 workbooks: 2 checked; ")


def test_rule_names_cannot_drive_the_terminal(tmp_path: Path) -> None:
    result = fixed_result(tmp_path)
    result.findings[0].name = "evil\x1b[2J\x1b]0;owned\x07"
    result.findings[0].code = "ZZ\x1b[31m1"
    out = StatisticsReporter().render(result)
    assert "\x1b" not in out and "\x07" not in out


def test_the_check_prints_the_counts_as_its_own_summary(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "client.xlsx", **orphaned_tree())
    done = CliRunner().invoke(
        main, ["check", str(path), "--as-of", "2026-11-15", "-f", "statistics"]
    )
    assert done.exit_code == 1, done.output
    rows = {code for _, code, _, _ in ROW.findall(done.stdout)}
    assert {"AH101", "AH201"} <= rows
    # a format for people: no second summary on standard error, as beside JSON
    assert "finding(s) (" not in done.stderr
    beside_json = CliRunner().invoke(
        main, ["check", str(path), "--as-of", "2026-11-15", "-f", "json"]
    )
    assert "finding(s) (" in beside_json.stderr


def test_the_text_report_says_how_to_count_many_findings(tmp_path: Path) -> None:
    hint = "--format statistics counts them by rule"
    few = _result_in(tmp_path / "a")
    assert hint not in TextReporter().render(few)
    many = _with_copies(_result_in(tmp_path / "b"), {"AH201": MANY_FINDINGS})
    assert hint in TextReporter().render(many).splitlines()[-1]
