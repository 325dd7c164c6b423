"""The command line, run in-process as a user would type it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from alignhealth.cli import main
from tests.conftest import orphaned_tree, simple_tree

Book = Callable[..., Path]
AS_OF = ["--as-of", "2026-11-15"]


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def orphaned(workbook: Book) -> Path:
    return workbook(**orphaned_tree())


def test_json_output_follows_the_contract(orphaned: Path) -> None:
    result = cli("check", orphaned, *AS_OF, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    assert doc["tool"]["name"] == "alignhealth"
    assert doc["as_of"] == "2026-11-15"
    assert doc["source"]["path"] == str(orphaned)
    assert len(doc["source"]["sha256"]) == 64
    assert doc["source"]["counts"] == {"goals": 5, "people": 3, "projects": 4, "reviews": 0}
    assert doc["ruleset"]["name"] == "default" and "AH101" in doc["ruleset"]["selected"]
    by_code = {f["code"]: f for f in doc["findings"]}
    orphan = by_code["AH101"]
    assert set(orphan) >= {
        "code",
        "name",
        "severity",
        "message",
        "entity",
        "location",
        "related",
        "evidence",
        "hint",
        "plugin",
        "fingerprint",
        "suppressed",
        "suppression",
    }
    assert orphan["entity"] == {"kind": "goal", "id": "G9", "label": "Orphan"}
    assert orphan["location"] == {
        "workbook": orphaned.name,
        "sheet": "Goals",
        "row": 5,
        "column": "I",
        "cell": "Goals!I5",
    }
    assert len(orphan["fingerprint"]) == 16 and "discriminator" not in orphan
    assert by_code["AH201"]["location"]["cell"] == "Goals!D6"
    assert {o["status"] for o in doc["outcomes"]} <= {"ok", "findings", "skipped", "error"}
    assert doc["summary"]["by_severity"] == {
        "critical": 1,
        "high": 1,
        "medium": 0,
        "low": 0,
        "info": 0,
    }
    assert doc["summary"]["health_score"] == 60 and doc["summary"]["band"] == "good"
    assert doc["exit_code"] == 1
    assert "health score 60/100" in result.stderr  # the human summary goes to stderr


def test_text_output_groups_by_severity_with_cells_and_hints(orphaned: Path) -> None:
    result = cli("check", orphaned, *AS_OF)
    out = result.stdout
    assert result.exit_code == 1
    assert out.index("CRITICAL (1)") < out.index("HIGH (1)")
    assert "Goals!I5  AH101 orphaned-goal" in out
    assert "hint: Link G9 to the goal it supports" in out
    assert "2 finding(s): 1 critical, 1 high" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_clean_workbook_exits_0(workbook: Book) -> None:
    result = cli("check", workbook(**simple_tree()), *AS_OF)
    assert result.exit_code == 0, result.output
    assert "0 finding(s): no findings" in result.stdout


def test_formats_to_files_and_stdout(orphaned: Path, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out" / "report.json"
    result = cli("check", orphaned, *AS_OF, "--format", f"json:{target}")
    assert result.stdout == ""
    assert json.loads(target.read_text())["exit_code"] == 1
    assert "2 finding(s)" in result.stderr
    out = tmp_path / "r.json"
    result = cli("check", orphaned, *AS_OF, "--format", "json", "--output", out)
    assert json.loads(out.read_text())["findings"]


def test_json_on_standard_output_is_written_in_pieces_as_to_a_file(
    orphaned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped on, the JSON of a large run is written as a file is, a few findings at a
    time; it is the same document as the file, to the byte but for the rules' timings."""
    from alignhealth.reporters import json as json_format
    from alignhealth.reporters.json import JsonReporter

    pieces: list[int] = []
    real_write = JsonReporter.write

    def write(self: JsonReporter, result: Any, out: Any) -> None:
        class Counted:
            def write(self, data: bytes) -> int:
                pieces.append(len(data))
                return int(out.write(data))

        real_write(self, result, Counted())

    monkeypatch.setattr(json_format, "FINDINGS_AT_ONCE", 1)
    monkeypatch.setattr(JsonReporter, "write", write)
    piped = cli("check", orphaned, *AS_OF, "--format", "json").stdout
    target = tmp_path / "report.json"
    cli("check", orphaned, *AS_OF, "--format", f"json:{target}")

    def untimed(text: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(text)
        for outcome in document["outcomes"]:
            outcome["duration_ms"] = 0
        return document

    assert untimed(piped) == untimed(target.read_text())
    findings = len(json.loads(piped)["findings"])
    assert findings == 2 and len(pieces) >= 2 * (findings + 1)  # piped and the file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "json", "--format", "text"], "at most one format may go to standard output"),
        (["--format", "jsn"], "unknown format 'jsn' (did you mean 'json'?)"),
        (
            ["--select", "AH1,orphan-goal"],
            "unknown rule selector 'orphan-goal' (did you mean 'orphaned-goal'?)",
        ),
        (["--ruleset", "nope"], "unknown ruleset 'nope'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(orphaned: Path, args: list[str], message: str) -> None:
    result = cli("check", orphaned, *AS_OF, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_selectors_repeatable_and_comma_separated(orphaned: Path) -> None:
    result = cli(
        "check",
        orphaned,
        *AS_OF,
        "--select",
        "AH101,AH102",
        "--select",
        "AH201",
        "--format",
        "json",
    )
    doc = json.loads(result.stdout)
    assert doc["ruleset"]["selected"] == ["AH101", "AH102", "AH201"]
    assert {f["code"] for f in doc["findings"]} == {"AH101", "AH201"}
    ignored = json.loads(
        cli("check", orphaned, *AS_OF, "--ignore", "AH1", "--format", "json").stdout
    )
    assert "AH101" not in ignored["ruleset"]["selected"]


def test_fail_on_and_exit_zero(orphaned: Path) -> None:
    assert cli("check", orphaned, *AS_OF, "--fail-on", "critical").exit_code == 1
    assert (
        cli("check", orphaned, *AS_OF, "--ignore", "AH201", "--fail-on", "critical").exit_code == 0
    )
    assert cli("check", orphaned, *AS_OF, "--exit-zero").exit_code == 0


def test_unusable_workbook_exits_2_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "client.xlsx"
    empty.write_bytes(b"")
    result = cli("check", empty)
    assert result.exit_code == 2
    assert f"{empty}: the file is empty" in result.stdout
    assert "not checked" in result.stdout and "finding(s)" not in result.stdout
    assert "Traceback" not in result.output
    machine = cli("check", empty, "--format", "json")
    doc = json.loads(machine.stdout)
    assert doc["exit_code"] == 2 and doc["findings"] == []
    assert doc["errors"][0]["code"] == "empty-file"
    # the one line on stderr names the file once
    assert machine.stderr.count(str(empty)) == 1, machine.stderr


def test_mapping_option(workbook: Book, tmp_path: Path) -> None:
    path = workbook(sheets={"Plan": [["Ref #", "What", "Exec Sponsor"], ["S1", "Win", None]]})
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[input.goals]\nsheet = "Plan"\ncolumns = { title = "What", owner = "Exec Sponsor" }\n'
    )
    assert cli("check", path, *AS_OF).exit_code == 2
    result = cli("check", path, *AS_OF, "--mapping", mapping, "--format", "json", "--ignore", "AH6")
    doc = json.loads(result.stdout)
    assert [f["code"] for f in doc["findings"]] == ["AH202"]
    assert doc["findings"][0]["location"]["cell"] == "Plan!C2"


def test_several_workbooks(orphaned: Path, workbook: Book) -> None:
    clean = workbook(**simple_tree())
    doc = json.loads(cli("check", orphaned, clean, *AS_OF, "--format", "json").stdout)
    assert [run["exit_code"] for run in doc["runs"]] == [1, 0]
    assert doc["exit_code"] == 1
    bad = cli("check", orphaned, clean, *AS_OF, "--format", "json:out.json")
    assert bad.exit_code == 2 and "{stem}" in bad.stderr


def test_several_workbooks_end_with_a_combined_summary(
    orphaned: Path, workbook: Book, tmp_path: Path
) -> None:
    clean = workbook(**simple_tree())
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    args = ("check", clean, empty, orphaned, *AS_OF)
    result = cli(*args, "--format", "json")
    doc = json.loads(result.stdout)
    summary = doc["summary"]
    runs = {run["source"]["path"]: run for run in doc["runs"]}
    active = {
        path: [f for f in run["findings"] if not f["suppressed"]] for path, run in runs.items()
    }
    found = [f for findings in active.values() for f in findings]
    assert (summary["workbooks"], summary["checked"], summary["not_read"]) == (3, 2, 1)
    assert summary["with_findings"] == sum(1 for findings in active.values() if findings) > 0
    assert summary["findings"] == len(found) == sum(summary["by_severity"].values())
    assert summary["by_severity"]["high"] == sum(f["severity"] == "high" for f in found)
    # Worst first: the workbook that could not be read, then the lowest health score.
    assert [w["path"] for w in summary["by_workbook"]] == [str(empty), str(orphaned), str(clean)]
    unread, worst, best = summary["by_workbook"]
    assert not unread["checked"] and "empty" in unread["errors"][0] and unread["exit_code"] == 2
    assert worst["health_score"] < best["health_score"]
    assert worst["findings"] == len(active[str(orphaned)])
    assert doc["exit_code"] == 2
    headline = f"3 workbooks: 2 checked, 1 not read; {len(found)} finding(s): "
    assert result.stderr.splitlines()[-1].startswith(headline)

    text = cli(*args).stdout.splitlines()
    table = text[text.index("Summary of 3 workbooks") + 2 :]
    assert "not read" in table[0] and f"{empty}: the file is empty" in table[0]
    assert str(orphaned) in table[1] and f"{len(active[str(orphaned)]):>8}" in table[1]
    assert str(clean) in table[2] and table[3].startswith(headline)

    markdown = cli(*args, "--format", "markdown").stdout
    combined = markdown[markdown.index("## alignhealth: summary of 3 workbooks") :]
    rows = [line for line in combined.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0][2:] for row in rows] == [
        str(p).replace("_", "\\_") for p in (empty, orphaned, clean)
    ]
    assert "the file is empty" in rows[0]


def test_workbooks_checked_in_parallel_tell_progress_as_each_ends(
    orphaned: Path, workbook: Book
) -> None:
    import datetime as dt

    from alignhealth.cli.check import check_in_parallel
    from alignhealth.engine import CheckRequest

    clean = workbook(**simple_tree())
    seen: list[tuple[int, int, str | None]] = []

    class Sink:
        def workbooks(self, done: int, total: int, path: str | None) -> None:
            seen.append((done, total, path))

    request = CheckRequest(as_of=dt.date(2026, 11, 15))
    results = check_in_parallel([orphaned, clean], request, 2, True, (), False, Sink())
    assert [r.source.path for r in results] == [str(orphaned), str(clean)]
    assert [(done, total) for done, total, _ in seen] == [(0, 2), (1, 2), (2, 2)]
    assert seen[0][2] is None  # shown before the first workbook ends
    assert sorted(str(path) for _, _, path in seen[1:]) == sorted([str(orphaned), str(clean)])


def test_workbooks_checked_in_parallel_send_their_graphs_back_only_when_asked(
    orphaned: Path, workbook: Book
) -> None:
    import datetime as dt

    from alignhealth.cli.check import check_in_parallel
    from alignhealth.engine import CheckRequest
    from alignhealth.graph import OrgGraph

    paths = [orphaned, workbook(**simple_tree())]
    request = CheckRequest(as_of=dt.date(2026, 11, 15))
    bare = check_in_parallel(paths, request, 2, True, (), False, keep_graph=False)
    kept = check_in_parallel(paths, request, 2, True, (), False, keep_graph=True)
    assert [r.graph for r in bare] == [None, None]
    assert all(isinstance(r.graph, OrgGraph) and r.graph.goals for r in kept)
    assert [r.findings for r in bare] == [r.findings for r in kept]


def test_several_workbooks_draw_their_goal_trees_in_html_and_let_the_graphs_go(
    orphaned: Path, workbook: Book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HTML report draws the tree from the graph: a check of several workbooks in
    parallel writes each workbook's page in the worker that checked it, and the graphs
    do not come back to this process (standard output's formats do not read them)."""
    import importlib

    from alignhealth.runresult import RunResult

    command = importlib.import_module("alignhealth.cli.check")
    rendered: list[RunResult] = []
    real = command.render
    monkeypatch.setattr(
        command, "render", lambda results, *rest: (rendered.extend(results), real(results, *rest))
    )
    clean = workbook(**simple_tree())
    pattern = tmp_path / "out" / "{stem}.html"
    args = ("check", orphaned, clean, *AS_OF, "--jobs", "2")
    result = cli(*args, "--format", f"html:{pattern}", "--format", "json")
    assert result.exit_code == 1, result.output
    for path in (orphaned, clean):
        page = (tmp_path / "out" / f"{path.stem}.html").read_text()
        assert 'aria-label="goal tree"' in page
    assert len(rendered) == 2 and all(r.graph is None for r in rendered)
    assert len(json.loads(result.stdout)["runs"]) == 2  # the results are whole but for graphs


def test_the_progress_of_workbooks_cannot_drive_the_terminal() -> None:
    from alignhealth.progress import RichProgress

    display = RichProgress()
    display.workbooks(0, 3, None)
    (task,) = display._progress.tasks
    assert task.completed == 0 and task.description == "Checking workbooks"
    display.workbooks(1, 3, "evil \x1b[2J.xlsx")
    assert task.completed == 1 and task.total == 3
    assert "\x1b" not in task.description and "evil" in task.description


def test_each_report_file_is_named_on_the_terminal_as_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large report takes a while (100,000 findings in Excel: some 17 s) once the
    check's progress is gone: the display names each file, with its findings, before it
    is written; and the line cannot drive the terminal."""
    from collections.abc import Iterator
    from contextlib import contextmanager

    from alignhealth.cli.common import Ui
    from alignhealth.progress import RichProgress
    from alignhealth.testing import write_workbook

    told: list[tuple[str, int, bool]] = []

    class Display:
        def rows(self, sheet: str, count: int) -> None:
            pass

        def rules(self, done: int, total: int, code: str) -> None:
            pass

        def writing(self, path: str, findings: int) -> None:
            told.append((path, findings, Path(path).exists()))

    @contextmanager
    def shown(self: Ui) -> Iterator[Display]:
        yield Display()

    monkeypatch.setattr(Ui, "progress", shown)
    book = write_workbook(tmp_path / "acme.xlsx", **orphaned_tree())
    out = tmp_path / "out"
    formats = ["-f", f"json:{out}/acme.json", "-f", f"xlsx:{out}/{{stem}}.xlsx", "-f", "text"]
    result = cli("check", book, *AS_OF, *formats)
    assert result.exit_code == 1, result.output
    found = len(json.loads((out / "acme.json").read_text())["findings"])
    assert found > 0
    assert told == [(str(out / "acme.json"), found, False), (str(out / "acme.xlsx"), found, False)]
    assert (out / "acme.xlsx").exists() and "AH101" in result.stdout

    display = RichProgress()
    display.writing("evil \x1b[2J.xlsx", 100_000)
    (task,) = display._progress.tasks
    assert task.description == "Writing evil \\x1b[2J.xlsx (100,000 findings)"


def test_cell_text_cannot_drive_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "goals.csv"
    path.write_text("ID,Title,Level,Owner\nG1,Top,Company,a\nG2,evil \x1b[2J title,Team,a\n")
    result = cli("check", path, *AS_OF)
    assert "\x1b" not in result.stdout and "\\x1b[2J" in result.stdout


def test_rules_lists_every_rule_as_json() -> None:
    rules = json.loads(cli("rules", "--format", "json").stdout)
    by_code = {r["code"]: r for r in rules}
    assert {"AH001", "AH101", "AH201", "AH301", "AH703", "AH801", "AH901"} <= set(by_code)
    assert by_code["AH104"]["options"] == [
        {
            "name": "max-roots",
            "type": "int",
            "default": 1,
            "description": "how many top goals are allowed",
        }
    ]
    assert (
        by_code["AH101"]["groups"] == ["structure"] and by_code["AH101"]["plugin"] == "alignhealth"
    )
    table = cli("rules").stdout
    assert "AH101  orphaned-goal" in table


def test_rule_shows_its_documentation() -> None:
    out = cli("rule", "AH301").stdout
    for heading in ("What it checks", "Why it matters", "How to fix", "Example", "Options"):
        assert f"### {heading}" in out
    assert "`allow-same-level`" in out
    assert cli("rule", "level-inversion").stdout == out
    missing = cli("rule", "AH3O1")
    assert missing.exit_code == 2 and "did you mean 'AH301'" in missing.stderr


def test_console_script_and_module_run(orphaned: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alignhealth", "check", str(orphaned), *AS_OF, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["exit_code"] == 1


CATALOGUE = (
    [f"AH00{n}" for n in range(1, 4)]
    + [f"AH10{n}" for n in range(1, 10)]
    + [f"AH20{n}" for n in range(1, 9)]
    + [f"AH30{n}" for n in range(1, 7)]
    + [f"AH40{n}" for n in range(1, 6)]
    + [f"AH50{n}" for n in range(1, 5)]
    + [f"AH60{n}" for n in range(1, 6)]
    + [f"AH70{n}" for n in range(1, 7)]
    + [f"AH80{n}" for n in range(1, 4)]
    + [f"AH90{n}" for n in range(1, 4)]
)


def test_rules_lists_the_whole_catalogue_and_rule_documents_each() -> None:
    rules = json.loads(cli("rules", "--format", "json").stdout)
    assert [r["code"] for r in rules] == CATALOGUE
    for code in CATALOGUE:
        result = cli("rule", code)
        assert result.exit_code == 0 and f"## {code} " in result.stdout


def test_parallel_jobs_give_the_same_results(workbook: Book, tmp_path: Path) -> None:
    books = [workbook(**orphaned_tree(), name=f"c{n}.xlsx") for n in range(3)]
    serial = json.loads(cli("check", *books, *AS_OF, "--format", "json", "-j", "1").stdout)
    parallel = json.loads(
        cli(
            "check",
            *books,
            *AS_OF,
            "--format",
            "json",
            "-j",
            "3",
            "--format",
            f"html:{tmp_path}/{{stem}}.html",
        ).stdout
    )
    assert [[f["fingerprint"] for f in r["findings"]] for r in serial["runs"]] == [
        [f["fingerprint"] for f in r["findings"]] for r in parallel["runs"]
    ]
    assert parallel["exit_code"] == serial["exit_code"] == 1
    assert (tmp_path / "c2.html").read_text().count('class="goal"') == 5


def test_a_command_that_is_done_leaves_nothing_for_the_collector_to_walk(
    orphaned: Path,
) -> None:
    # What the check still holds as the interpreter shuts down is frozen out of the
    # collector's sight: its passes then would walk every record (2.2 s at 1M goals).
    import gc

    gc.unfreeze()
    result = cli("check", orphaned, *AS_OF, "--format", "json")
    assert result.exit_code == 1 and json.loads(result.stdout)["findings"]
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_workbooks_that_share_a_name_write_files_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """clients/acme/goals.xlsx and clients/beta/goals.xlsx: each its own reports and
    annotated copy, whether written by workers or here."""
    from alignhealth.testing import write_workbook

    monkeypatch.chdir(tmp_path)
    for client, tree in (("acme", orphaned_tree()), ("beta", simple_tree())):
        Path("clients", client).mkdir(parents=True)
        write_workbook(Path("clients", client, "goals.xlsx"), **tree)
    files = ["--format", "json:out/{stem}.json", "--annotate", "out/{stem}-flagged.xlsx"]
    result = cli("check", "clients/acme", "clients/beta", *AS_OF, "--jobs", jobs, "-q", *files)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in Path("out").iterdir()) == [
        "clients-acme-goals-flagged.xlsx",
        "clients-acme-goals.json",
        "clients-beta-goals-flagged.xlsx",
        "clients-beta-goals.json",
    ]
    acme, beta = (
        json.loads(Path(f"out/clients-{c}-goals.json").read_text()) for c in ("acme", "beta")
    )
    assert acme["source"]["path"] == "clients/acme/goals.xlsx"
    assert "AH101" in {f["code"] for f in acme["findings"]}
    assert beta["source"]["path"] == "clients/beta/goals.xlsx" and not beta["findings"]


def test_a_workbook_whose_worker_dies_is_reported_and_the_others_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its worker is killed (as the out-of-memory killer would), twice: the workbook gets
    an error and its report, every other workbook its findings, and nobody a traceback."""
    from alignhealth.testing import write_workbook

    monkeypatch.chdir(tmp_path)
    names = ["a", "b", "poison", "c", "d"]
    for name in names:
        write_workbook(Path("books", f"{name}.xlsx"), **orphaned_tree())
    files = ["--format", "json:out/{stem}.json"]
    result = cli("check", "books", *AS_OF, "--jobs", "2", "-p", "tests.poison_plugin", *files)
    assert result.exit_code == 3, result.output
    reports = {n: json.loads(Path(f"out/{n}.json").read_text()) for n in names}
    for name in ("a", "b", "c", "d"):
        assert reports[name]["exit_code"] == 1
        assert "AH101" in {f["code"] for f in reports[name]["findings"]}
    (error,) = reports["poison"]["errors"]
    assert error["code"] == "worker-died" and reports["poison"]["exit_code"] == 3
    assert "books/poison.xlsx: the process checking it ended abruptly" in result.stderr
    assert "5 workbooks: 4 checked, 1 not read" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("names", [["slow"], ["a", "slow", "b"]])
def test_ctrl_c_stops_with_its_own_exit_code(tmp_path: Path, names: list[str]) -> None:
    """Ctrl-C (SIGINT to the command's process group, workers included): exit code 130,
    not the 1 of findings, a line saying so, and no traceback from any process."""
    import os
    import signal
    import time

    from alignhealth.testing import write_workbook

    for name in names:
        write_workbook(tmp_path / f"{name}.xlsx", **orphaned_tree())
    books = [str(tmp_path / f"{name}.xlsx") for name in names]
    command = [sys.executable, "-m", "alignhealth", "check", *books, "-p", "tests.poison_plugin"]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env
    )
    waiting = tmp_path / "slow.xlsx.waiting"
    deadline = time.monotonic() + 60
    while not waiting.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert waiting.exists(), "the check never reached the slow workbook"
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted: what was written before is kept" in err.decode()
    assert "Traceback" not in err.decode()


def test_a_workbook_that_is_not_there_is_one_clear_error_and_the_others_are_checked(
    tmp_path: Path,
) -> None:
    """A mistyped path (or a client's file moved away before the weekly run): the file
    named, "no such file", exit code 2; not a plugin error quoting Python's exception; and
    the workbooks beside it still checked."""
    from alignhealth.testing import write_workbook

    book = write_workbook(tmp_path / "acme.xlsx", **orphaned_tree())
    gone = tmp_path / "gone.xlsx"
    result = cli("check", str(gone), str(book), *AS_OF, "-f", "json")
    assert result.exit_code == 2, result.output
    runs = {Path(r["source"]["path"]).name: r for r in json.loads(result.stdout)["runs"]}
    (error,) = runs["gone.xlsx"]["errors"]
    assert error["code"] == "not-found" and error["message"] == f"{gone}: no such file"
    assert "AH101" in {f["code"] for f in runs["acme.xlsx"]["findings"]}
    assert "FileNotFoundError" not in result.output and "hook" not in result.stderr


@pytest.mark.parametrize("args", [["-f", "json", "-o", "out"], ["--annotate", "out"]])
def test_a_folder_where_a_file_should_be_written_is_refused_before_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """`-o out` naming a folder: said before any workbook is read (a large one takes a
    while), not once the check is done."""
    from alignhealth.testing import write_workbook

    monkeypatch.chdir(tmp_path)
    write_workbook(Path("acme.xlsx"), **orphaned_tree())
    Path("out").mkdir()
    result = cli("check", "acme.xlsx", *AS_OF, *args)
    assert result.exit_code == 2, result.output
    assert f"{args[-1]}: that is a folder; name a file in it" in result.stderr
    assert "AH101" not in result.output and list(Path("out").iterdir()) == []


def test_a_workbook_named_twice_is_checked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.testing import write_workbook

    monkeypatch.chdir(tmp_path)
    write_workbook(Path("books", "acme.xlsx"), **orphaned_tree())
    write_workbook(Path("books", "beta.xlsx"), **simple_tree())
    beta = tmp_path / "books" / "beta.xlsx"
    result = cli("check", "books/acme.xlsx", "books", beta, *AS_OF, "-f", "json")
    assert result.exit_code == 1, result.output
    runs = json.loads(result.stdout)["runs"]
    assert [r["source"]["path"] for r in runs] == ["books/acme.xlsx", "books/beta.xlsx"]
    assert "skipped books/acme.xlsx: named twice" in result.stderr
    assert f"skipped {beta}: it is books/beta.xlsx, named already" in result.stderr


def test_workbooks_checked_in_parallel_where_this_process_cannot_fork(
    orphaned: Path, workbook: Book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process with a second thread must not fork: its workers start afresh (spawn),
    from what pickles, and give the same results and report files."""
    import datetime as dt

    import alignhealth.pool
    from alignhealth.cli.check import FormatTarget, check_in_parallel
    from alignhealth.engine import CheckRequest

    paths = [orphaned, workbook(**simple_tree())]
    request = CheckRequest(as_of=dt.date(2026, 11, 15))
    files = [FormatTarget("json", str(tmp_path / "out" / "{stem}.json"))]
    forked = check_in_parallel(paths, request, 2, True, (), False, keep_graph=False)
    monkeypatch.setattr(alignhealth.pool, "can_fork", lambda: False)
    spawned = check_in_parallel(paths, request, 2, True, (), False, files=files, keep_graph=False)
    assert [r.findings for r in spawned] == [r.findings for r in forked]
    written = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "out").iterdir()}
    assert sorted(written) == sorted(p.stem for p in paths)
    assert written[orphaned.stem]["exit_code"] == 1


def test_a_folder_whose_workbooks_are_in_its_subfolders_says_how_to_name_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.testing import write_workbook

    monkeypatch.chdir(tmp_path)
    for client in ("acme", "beta"):
        write_workbook(Path("clients", client, "goals.xlsx"), **simple_tree())
    Path("clients", "notes").mkdir()
    result = CliRunner().invoke(main, ["check", "clients", *AS_OF])
    assert result.exit_code == 2
    assert "clients: no workbooks in this folder" in result.stderr
    assert "2 of its subfolders hold workbooks (acme, beta)" in result.stderr
    assert "alignhealth check clients/*/" in result.stderr
    named = cli("check", "clients/acme", "clients/beta", *AS_OF, "-q")
    assert named.exit_code == 0, named.output


def test_reports_written_beside_the_workbooks_are_not_read_back_as_workbooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Last week's Excel reports written into the clients' folder: this week's check of
    the folder leaves them out, each with a note, rather than failing on each (no goals
    sheet) with exit code 2; a folder holding nothing else has no workbooks. A client's
    workbook, even one once annotated, is read."""
    from alignhealth.testing import write_workbook

    monkeypatch.chdir(tmp_path)
    write_workbook(Path("clients", "acme.xlsx"), **orphaned_tree())
    write_workbook(Path("clients", "beta.xlsx"), **simple_tree())
    first = cli("check", "clients", *AS_OF, "-f", "xlsx:clients/{stem}-report.xlsx", "-q")
    assert first.exit_code == 1, first.output
    again = cli("check", "clients", *AS_OF, "-f", "json")
    assert again.exit_code == 1, again.output
    for name in ("acme", "beta"):
        report = Path("clients", f"{name}-report.xlsx")
        assert f"skipped {report}: an alignhealth report, not a goal workbook" in again.stderr
    runs = json.loads(again.stdout)["runs"]
    assert [r["source"]["path"] for r in runs] == ["clients/acme.xlsx", "clients/beta.xlsx"]
    cli("check", "clients/acme.xlsx", *AS_OF, "--annotate", "clients/acme-marked.xlsx")
    runs = json.loads(cli("check", "clients", *AS_OF, "-f", "json").stdout)["runs"]
    assert "clients/acme-marked.xlsx" in [r["source"]["path"] for r in runs]
    Path("reports").mkdir()
    Path("clients", "acme-report.xlsx").rename(Path("reports", "acme-report.xlsx"))
    alone = cli("check", "reports", *AS_OF)
    assert alone.exit_code == 2 and "reports: no workbooks in this folder" in alone.stderr


def test_several_workbooks_are_annotated_by_the_workers_and_told_of_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each annotated copy (0.65 s for 1,000 goals in openpyxl) is made by the worker
    that checked its workbook, beside the others; the notes come in input order."""
    import os

    from alignhealth.testing import write_workbook

    module = sys.modules["alignhealth.cli.check"]  # the package names the command `check`

    monkeypatch.chdir(tmp_path)
    for name in ("c", "a", "b"):
        write_workbook(Path("books", f"{name}.xlsx"), **orphaned_tree())
    made_in = Path("made-in")
    real = module.annotate_copy

    def witnessed(source: Path, findings: list[Any], target: Path) -> list[str]:
        with made_in.open("a") as log:
            log.write(f"{os.getpid()}\n")
        return real(source, findings, target)

    monkeypatch.setattr(module, "annotate_copy", witnessed)
    result = cli("check", "books", *AS_OF, "--jobs", "2", "-f", "json:out/{stem}.json",
                 "--annotate", "out/{stem}-flagged.xlsx")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in Path("out").glob("*-flagged.xlsx")) == [
        "a-flagged.xlsx",
        "b-flagged.xlsx",
        "c-flagged.xlsx",
    ]
    pids = made_in.read_text().split()
    assert len(pids) == 3 and str(os.getpid()) not in pids
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: wrote")]
    assert [n.split()[2] for n in notes] == [f"out/{n}-flagged.xlsx," for n in "abc"]


def test_annotating_several_workbooks_into_one_file_is_refused_before_any_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.testing import write_workbook

    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        write_workbook(Path("books", f"{name}.xlsx"), **orphaned_tree())
    result = CliRunner().invoke(
        main, ["check", "books", *AS_OF, "-f", "json:out/{stem}.json", "--annotate", "x.xlsx"]
    )
    assert result.exit_code == 2
    assert "--annotate: with several workbooks the FILE must contain {stem}" in result.stderr
    assert not Path("out").exists()  # nothing was checked


def test_a_large_workbooks_annotated_copy_is_said_to_take_a_while_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.testing import write_workbook

    module = sys.modules["alignhealth.cli.check"]
    path = write_workbook(tmp_path / "client.xlsx", **orphaned_tree())
    args = ["check", str(path), *AS_OF, "--annotate", str(tmp_path / "marked.xlsx")]
    small = CliRunner().invoke(main, args)
    assert small.exit_code == 1 and "takes a while" not in small.stderr
    monkeypatch.setattr(module, "SLOW_ANNOTATION_ROWS", 5)
    large = CliRunner().invoke(main, args)
    assert large.exit_code == 1, large.output
    said = large.stderr.splitlines()
    slow = next(i for i, line in enumerate(said) if "takes a while" in line)
    wrote = next(i for i, line in enumerate(said) if line.startswith("note: wrote "))
    assert slow < wrote and "openpyxl reads and writes each of its" in said[slow]
