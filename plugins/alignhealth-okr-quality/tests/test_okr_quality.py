"""The OKRQ rules, tested with the kit alignhealth ships for plugin authors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import alignhealth_okr_quality
import pytest

from alignhealth.testing import (
    RuleCase,
    assert_linear,
    assert_plugin_contract,
    flagged,
    load_cases,
    run_rule,
    write_workbook,
)

CASES = load_cases(Path(__file__).parent / "cases")
PLUGIN = [("alignhealth-okr-quality", alignhealth_okr_quality)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: RuleCase) -> None:
    assert flagged(case.run(plugins=PLUGIN)) == case.expect


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    codes = {rule.code for rule in alignhealth_okr_quality.get_rules()}
    assert {c.rule for c in CASES if c.expect} == codes
    assert {c.rule for c in CASES if not c.expect} == codes


def test_the_plugin_keeps_the_contract() -> None:
    assert_plugin_contract(alignhealth_okr_quality, "alignhealth-okr-quality")


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="larger than"):
        run_rule(
            "OKRQ002",
            [{"ID": "O1", "Title": "o", "Type": "Objective"}],
            options={"min-key-results": 6, "max-key-results": 2},
            plugins=PLUGIN,
        )


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k != "ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD"
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "alignhealth", *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def test_installed_plugin_is_found_without_any_other_step(tmp_path: Path) -> None:
    """The entry point alone makes the rules appear and fire (the package is installed)."""
    rules = json.loads(cli("rules", "--format", "json").stdout)
    mine = {r["code"]: r["plugin"] for r in rules if r["code"].startswith("OKRQ")}
    assert mine == dict.fromkeys(("OKRQ001", "OKRQ002", "OKRQ003"), "alignhealth-okr-quality")
    book = write_workbook(
        tmp_path / "okrs.xlsx",
        [
            {
                "ID": "O1",
                "Title": "Delight partners",
                "Type": "Objective",
                "Owner": "Ann",
                "KPI": "NPS",
                "Target": 40,
            },
            {
                "ID": "K1",
                "Title": "Launch the portal",
                "Parent": "O1",
                "Type": "KR",
                "Owner": "Ann",
                "KPI": "Users",
                "Target": 10,
                "Baseline": 0,
            },
        ],
    )
    result = cli("check", str(book), "--as-of", "2026-11-15", "--format", "json")
    found = {(f["code"], f["entity"]["id"]) for f in json.loads(result.stdout)["findings"]}
    assert {("OKRQ001", "K1"), ("OKRQ002", "O1")} <= found
    plugins = json.loads(cli("plugins", "--format", "json").stdout)
    entry = next(p for p in plugins if p["name"] == "alignhealth-okr-quality")
    assert entry["prefixes"] == ["OKRQ"] and entry["presets"] == ["okr-quality"]
    assert entry["version"] == "0.1.0" and entry["error"] is None
    off = cli("rules", "--format", "json", "--no-plugins")
    assert not any(r["code"].startswith("OKRQ") for r in json.loads(off.stdout))


def test_the_preset_loads_and_selects_the_rules(tmp_path: Path) -> None:
    book = write_workbook(
        tmp_path / "okrs.xlsx",
        [
            {"ID": "O1", "Title": "Objective", "Type": "Objective"},
            {"ID": "K1", "Title": "Ship it", "Parent": "O1", "Type": "KR"},
        ],
    )
    result = cli(
        "check", str(book), "--ruleset", "okr-quality", "--as-of", "2026-11-15", "--format", "json"
    )
    doc = json.loads(result.stdout)
    assert {"OKRQ001", "OKRQ002", "OKRQ003", "AH105"} <= set(doc["ruleset"]["selected"])
    missing = cli("check", str(book), "--ruleset", "okr-quality", "--no-plugins")
    assert missing.returncode == 2 and "unknown ruleset 'okr-quality'" in missing.stderr


def okrs(n: int) -> dict[str, list[dict[str, object]]]:
    """About n rows of objectives and key results, each rule's problem among them: a
    fifth of the objectives have one key result, every other key result is worded as a
    task, every third has no baseline."""
    goals: list[dict[str, object]] = []
    for o in range(max(1, n // 4)):
        goals.append({"ID": f"O{o}", "Title": f"Delight segment {o}", "Type": "Objective"})
        for _ in range(1 if o % 5 == 0 else 3):
            kr = len(goals)
            goals.append(
                {
                    "ID": f"KR{kr}",
                    "Title": ("Launch portal " if kr % 2 else "Raise NPS ") + str(kr),
                    "Type": "Key Result",
                    "Parent": f"O{o}",
                    "Baseline": None if kr % 3 == 0 else 10,
                    "Target": 40,
                }
            )
    return {"goals": goals}


@pytest.mark.parametrize("code", ["OKRQ001", "OKRQ002", "OKRQ003"])
def test_each_rule_does_work_in_proportion_to_the_rows(code: str) -> None:
    rows = okrs(250)
    assert run_rule(code, **rows, plugins=PLUGIN), "the rows must give the rule findings"
    before, after = assert_linear(code, okrs, plugins=PLUGIN)
    assert after > 4 * before
