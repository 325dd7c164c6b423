"""A consultant's first hour: template, inspect, init, and what the CLI says."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import tomllib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from alignhealth.cli import main
from alignhealth.engine import CheckRequest, make_host, prepare
from alignhealth.loaders.workbook import load_workbook
from alignhealth.starter import starter_ruleset
from alignhealth.testing import write_workbook

TODAY = dt.date.today()


def cli(*args: str | Path, cwd: Path | None = None) -> Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(old)


# -- template ------------------------------------------------------------------------------


def test_template_has_every_sheet_headers_validation_and_instructions(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    result = cli("template", path)
    assert result.exit_code == 0 and path.exists()
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Instructions", "Goals", "People", "Projects", "Reviews", "Levels"]
    goals = book["Goals"]
    assert [c.value for c in goals[1]][:4] == ["ID", "Title", "Parent", "Level"]
    assert goals["A2"].value == "G-01" and goals.freeze_panes == "A2"
    lists = {str(v.sqref): v.formula1 for v in goals.data_validations.dataValidation}
    assert lists["H2:H1000"].startswith('"Not started,On track')
    assert lists["D2:D1000"] == "=Levels!$A$2:$A$50"
    assert goals["M5"].number_format == "yyyy-mm-dd"
    instructions = [[c.value for c in row] for row in book["Instructions"].iter_rows()]
    owner = next(r for r in instructions if r[:2] == ["Goals", "Owner"])
    assert "AH201" in owner[4]
    assert next(r for r in instructions if r[:2] == ["Goals", "ID"])[2] == "yes"
    again = cli("template", path)
    assert again.exit_code == 2 and "--force" in again.stderr


def test_template_checks_clean_and_so_does_one_filled_in_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    cli("template", path)
    assert cli("check", path).exit_code == 0
    book = openpyxl.load_workbook(path)
    goals, people = book["Goals"], book["People"]
    start, due = dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 12, 31)
    pace = (TODAY - start).days / (due - start).days
    # A consultant replaces the example row and adds a second goal and its owner.
    rows = [
        [
            "G1",
            "Be the first choice of outdoor families",
            None,
            "Company",
            "Goal",
            "P-01",
            1,
            "On track",
            "Market share %",
            10,
            30,
            10 + 20 * pace,
            start,
            due,
            TODAY,
            "Exec",
        ],
        [
            "G2",
            "Open twenty stores",
            "G1",
            "Division",
            "CSF",
            "P-02",
            1,
            "On track",
            "Stores open",
            0,
            20,
            20 * pace,
            start,
            due,
            TODAY,
            "Retail",
        ],
    ]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            goals.cell(row=r, column=c, value=value)
    people.append(
        ["P-02", "Bo Retail", "bo@example.com", "Director", "Division", "P-01", "Retail", "Yes"]
    )
    book["Projects"]["C2"] = "G1"
    book["Projects"].append(["PR-02", "Store roll-out", "G2", "P-02", "On track", 0.5])
    book["Reviews"]["A2"] = "G1"
    book.save(path)
    result = cli("check", path, "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0, [f["message"] for f in doc["findings"]]
    assert doc["source"]["counts"] == {"goals": 2, "people": 2, "projects": 2, "reviews": 1}
    inspected = cli("inspect", path).stdout
    assert "'Goals'      read as goals     header row 1, 2 row(s)" in inspected
    assert "'Instructions' not read" in inspected.replace("  ", " ").replace("  ", " ")


def test_template_with_the_example_company(tmp_path: Path) -> None:
    path = tmp_path / "acme.xlsx"
    assert cli("template", path, "--example").exit_code == 0
    doc = json.loads(
        cli("check", path, "--as-of", "2026-11-15", "--format", "json", "--no-plugins").stdout
    )
    assert doc["source"]["counts"]["goals"] == 90
    assert {f["code"][:3] for f in doc["findings"]} >= {f"AH{n}" for n in range(9)}


# -- inspect -------------------------------------------------------------------------------


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return write_workbook(
        tmp_path / "messy.xlsx",
        sheets={
            "Strategy FY27": [
                ["Globex strategy"],
                [],
                ["Ref #", "Objective", "Supports", "Tier", "Exec Sponsor", "RAG"],
                ["S1", "Lead the market", None, "Company", "Chris", "Green"],
                ["S2", "Win Europe", "S1", "Division", "Dana", "Purple"],
            ],
            "Staff": [
                ["Staff ID", "Full Name", "Line Manager"],
                ["Chris", "Chris Chief", None],
                ["Dana", "Dana Diaz", "Chris"],
            ],
            "Notes": [["anything"]],
        },
    )


def test_inspect_shows_sheets_headers_synonyms_unmapped_and_problems(messy: Path) -> None:
    out = cli("inspect", messy).stdout
    assert "'Strategy FY27' read as goals     header row 3, 2 row(s)" in out
    assert "'Staff'" in out and "read as people" in out
    assert "'Notes'" in out and "not read (no known sheet name)" in out
    assert "A  'Ref #'" in out and "-> id (by synonym)" in out
    assert "'Exec Sponsor' -> not read (matches no field)" in out
    assert "fields without a column:" in out and "owner" in out
    assert "Counts: 2 goals, 2 people, 0 projects, 0 reviews" in out
    assert "0  Company" in out and "1  Division" in out
    assert "'Strategy FY27'!F5  status: unknown status 'Purple'" in out


def test_emit_mapping_edited_makes_the_check_work(messy: Path, tmp_path: Path) -> None:
    emitted = cli("inspect", messy, "--emit-mapping").stdout
    mapping = tomllib.loads(emitted)["input"]
    assert mapping["goals"]["sheet"] == "Strategy FY27"
    assert mapping["goals"]["header-row"] == 3
    assert mapping["goals"]["columns"]["id"] == "Ref #"
    assert '# not read: column E "Exec Sponsor"' in emitted
    before = json.loads(cli("check", messy, "--format", "json").stdout)
    assert {"AH202"} <= {f["code"] for f in before["findings"]}  # no owner column was read
    edited = emitted.replace(
        'columns = { id = "Ref #"', 'columns = { owner = "Exec Sponsor", id = "Ref #"', 1
    )
    path = tmp_path / "mapping.toml"
    path.write_text(edited)
    after = json.loads(cli("check", messy, "--mapping", path, "--format", "json").stdout)
    assert "AH202" not in {f["code"] for f in after["findings"]}
    owners = {g["id"]: g["score"] for g in after["summary"]["by_owner"]}
    assert set(owners) == {"Chris", "Dana"}


def test_inspect_of_an_unusable_workbook_says_what_to_do(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "bad.xlsx", sheets={"Goals": [["ID", "Titel"], ["G1", "x"]]})
    result = cli("inspect", path)
    assert result.exit_code == 2
    assert "no 'title' column" in result.stderr and "closest header is 'Titel'" in result.stderr


# -- init and alignhealth.toml -----------------------------------------------------------


def test_init_writes_a_ruleset_that_loads_and_check_uses_it(tmp_path: Path) -> None:
    assert cli("init", tmp_path).exit_code == 0
    config = tmp_path / "alignhealth.toml"
    assert 'extends = ["default"]' in config.read_text()
    prepare(CheckRequest(ruleset=str(config)), make_host(autoload=False))
    config.write_text(config.read_text().replace("[rules]\n", '[rules]\nignore = ["AH1"]\n'))
    book = write_workbook(
        tmp_path / "b.xlsx",
        [
            {"ID": "G1", "Title": "x", "Level": "Team"},
            {"ID": "G2", "Title": "y", "Level": "Company"},
        ],
    )
    result = cli("check", book, "--format", "json", "--no-plugins")
    assert f"using ruleset {config}" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["ruleset"]["name"] == "client"
    assert not any(code.startswith("AH1") for code in doc["ruleset"]["selected"])
    quiet = cli("check", book, "--format", "json", "-q", "--no-plugins")
    assert quiet.stderr == ""
    chosen = cli("check", book, "--ruleset", "default", "--format", "json", "--no-plugins")
    assert "using ruleset" not in chosen.stderr


def test_init_in_the_current_folder_and_its_errors(tmp_path: Path) -> None:
    assert cli("init", "--extends", "okr", cwd=tmp_path).exit_code == 0
    assert 'extends = ["okr"]' in (tmp_path / "alignhealth.toml").read_text()
    again = cli("init", cwd=tmp_path)
    assert again.exit_code == 2 and "--force" in again.stderr
    wrong = cli("init", tmp_path / "x", "--extends", "strikt")
    assert wrong.exit_code == 2 and "did you mean 'strict'" in wrong.stderr


@pytest.mark.parametrize("preset", ["default", "strict", "goal-tree", "okr"])
def test_starter_ruleset_is_valid_toml_for_every_preset(preset: str) -> None:
    assert tomllib.loads(starter_ruleset(preset))["extends"] == [preset]


# -- feedback --------------------------------------------------------------------------------


def test_quiet_and_verbose(tmp_path: Path) -> None:
    book = write_workbook(
        tmp_path / "b.xlsx",
        [
            {"ID": "G1", "Title": "x", "Level": "Team"},
            {"ID": "G2", "Title": "y", "Level": "Company"},
        ],
    )
    quiet = cli("check", book, "-q", "--no-plugins")
    assert "Health" not in quiet.stdout and "AH101" in quiet.stdout and quiet.stderr == ""
    verbose = cli("check", book, "-v", "--no-plugins")
    assert "ruleset default: preset 'default'" in verbose.stderr
    assert "slowest rules:" in verbose.stderr


def test_progress_is_reported_while_reading_and_checking(tmp_path: Path) -> None:
    book = write_workbook(
        tmp_path / "big.xlsx", [{"ID": f"G{n}", "Title": "t"} for n in range(4500)]
    )
    seen: dict[str, list[object]] = {"rows": [], "rules": []}

    class Sink:
        def rows(self, sheet: str, count: int) -> None:
            seen["rows"].append((sheet, count))

        def rules(self, done: int, total: int, code: str) -> None:
            seen["rules"].append((done, total, code))

    loaded = load_workbook(book, progress=Sink())
    assert len(loaded.goals) == 4500
    assert seen["rows"] == [("Goals", 2000), ("Goals", 4000)]
    from alignhealth.engine import check_workbook

    session = prepare(CheckRequest(), make_host(autoload=False))
    session.config.progress = Sink()
    check_workbook(session, book, CheckRequest())
    done = [d for d, _, _ in seen["rules"]]
    assert done == sorted(done) and done[0] == 0 and seen["rules"][0][1] == len(done)


def test_the_progress_display_runs_no_thread_of_its_own() -> None:
    # A second thread would stop the reader and the rules from running in forked
    # processes while the display is shown.
    from alignhealth.progress import RichProgress

    before = threading.active_count()
    with RichProgress().shown() as display:
        display.rows("Goals", 2000)
        display.rules(0, 52, "AH101")
        assert threading.active_count() == before


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_shows_on_a_terminal_and_not_when_piped(tmp_path: Path) -> None:
    import pty
    import subprocess

    book = write_workbook(
        tmp_path / "big.xlsx", [{"ID": f"G{n}", "Title": "t"} for n in range(4500)]
    )
    args = [
        sys.executable,
        "-m",
        "alignhealth",
        "check",
        str(book),
        "--no-plugins",
        "--format",
        "json",
        "-o",
        str(tmp_path / "out.json"),
    ]
    pid, fd = pty.fork()
    if pid == 0:  # the child runs the CLI on the terminal
        os.execvp(args[0], args)
    output = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.waitpid(pid, 0)
    assert b"Reading Goals" in output and b"Checking" in output
    piped = subprocess.run(args, capture_output=True, text=True, check=False)
    assert "Reading" not in piped.stderr and "Checking" not in piped.stderr
    assert "finding(s)" in piped.stderr
