"""The bundled example: its planted problems, and nothing else, are found."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest
from click.testing import CliRunner

from alignhealth.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_acme", EXAMPLES / "make_acme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_acme"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(EXAMPLES / "acme-goals.xlsx"),
            "--ruleset",
            str(EXAMPLES / "acme.toml"),
            "--format",
            "json",
            "--no-plugins",
        ],
    )
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_example_reports_exactly_the_planted_problems(report: dict) -> None:  # type: ignore[type-arg]
    make = generator()
    found = sorted(
        (f["code"], f["entity"]["id"], f["location"]["cell"] if f["location"] else None)
        for f in report["findings"]
    )
    assert found == sorted(make.build().planted + make.RULESET_FINDINGS)


def test_example_exercises_every_rule_family(report: dict) -> None:  # type: ignore[type-arg]
    codes = {f["code"] for f in report["findings"]}
    ran = {o["code"] for o in report["outcomes"] if o["status"] != "skipped"}
    # Every rule that ran found its planted problem; AH901 needs a crash, AH105 the okr preset.
    assert ran - codes == {"AH901"}
    assert {code[:3] for code in codes} == {f"AH{n}" for n in range(10)}
    assert report["as_of"] == "2026-11-15"
    (skip,) = [f for f in report["findings"] if f["code"] == "AH302"]
    assert skip["suppressed"] and skip["suppression"]["expires"] == "2027-03-31"


def test_okr_preset_reports_the_goal_with_two_parents() -> None:
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(EXAMPLES / "acme-goals.xlsx"),
            "--ruleset",
            "okr",
            "--as-of",
            "2026-11-15",
            "--select",
            "AH105",
            "--format",
            "json",
        ],
    )
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "AH105" and finding["evidence"]["parents"] == ["G-11", "G-12"]


def test_committed_workbook_matches_its_generator(tmp_path: Path) -> None:
    fresh = generator().write(tmp_path / "acme.xlsx")

    def cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
        book = openpyxl.load_workbook(path, read_only=True)
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}

    assert cells(fresh) == cells(EXAMPLES / "acme-goals.xlsx")
