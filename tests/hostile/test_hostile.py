"""The hostile corpus: every odd, broken or dangerous input ends in a result or one clear
error naming the file (and the cell), never a traceback, a hang or a lost row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from alignhealth.cli import main
from tests.hostile import build as b

# The data rules (and AH101, to locate cells in other formats): this corpus is about reading.
AS_OF = ["--as-of", "2026-11-15", "--no-plugins", "--format", "json", "--select", "AH0,AH101"]


@dataclass
class Case:
    id: str
    make: Callable[[Path], Path]
    exit_code: int
    says: list[str] = field(default_factory=list)  # in the error message(s)
    error_code: str | None = None
    goals: int | None = None  # goals read: nothing lost
    findings: list[tuple[str, str]] = field(default_factory=list)  # (code, cell)
    notices: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def _edit_cells(**cells: Any) -> Callable[[Any, Any], None]:
    def edit(book: Any, sheet: Any) -> None:
        for ref, value in cells.items():
            sheet[ref] = value

    return edit


HEADER = ["ID", "Title", "Parent", "Level", "Owner", "Status"]
ROWS = [
    ["G1", "Grow", None, "Company", "ann", "Green"],
    ["G2", "Sell", "G1", "Division", "ann", "Green"],
]


def _error_cells(book: Any, sheet: Any) -> None:
    for row, error in enumerate(
        ["#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"], start=4
    ):
        sheet.append([f"E{row}", f"Error {error}", "G1", "Division", "ann", error])


def _typed_na(book: Any, sheet: Any) -> None:
    sheet.append(["G3", "#N/A", "G1", "Division", "ann", "Green"])
    sheet["B4"].data_type = "s"


def _hidden_sheet(book: Any, sheet: Any) -> None:
    people = book.create_sheet("People")
    people.append(["ID", "Name"])
    people.append(["ann", "Ann"])
    people.sheet_state = "hidden"


def _hidden_rows(book: Any, sheet: Any) -> None:
    sheet.row_dimensions[3].hidden = True


def _merged(book: Any, sheet: Any) -> None:
    sheet.append(["G3", "Make", "G1", None, "ann", "Green"])
    sheet.merge_cells("D3:D4")


def _mac(book: Any, sheet: Any) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book.epoch = CALENDAR_MAC_1904
    sheet["G1"] = "Due"
    sheet["G2"] = dt.datetime(2026, 12, 31)
    sheet["G3"] = dt.datetime(2026, 1, 31)


def _formula(book: Any, sheet: Any) -> None:
    sheet["F3"] = '=IF(1,"Green","Red")'  # openpyxl saves no result


def _far_value(book: Any, sheet: Any) -> None:
    sheet["XFD1048576"] = "stray"


def _long_rows(book: Any, sheet: Any) -> None:
    for n in range(3, 5003):
        sheet.append([f"T{n}", f"Team goal {n}", "G2", "Team", "ann", "Green"])


CASES = [
    # -- files that cannot be used -------------------------------------------------------
    Case(
        "empty file",
        lambda d: b.raw_bytes(d, "empty.xlsx", b""),
        2,
        ["empty.xlsx", "empty (0 bytes)"],
        "empty-file",
    ),
    Case(
        "encrypted workbook",
        b.encrypted,
        2,
        ["locked.xlsx", "encrypted", "remove the password"],
        "encrypted",
    ),
    Case(
        "encrypted, hand-made OLE",
        lambda d: b.ole(d, "x.xlsx", "EncryptedPackage"),
        2,
        ["x.xlsx", "encrypted"],
        "encrypted",
    ),
    Case(
        "Word 97 document",
        lambda d: b.ole(d, "memo.xls", "WordDocument"),
        2,
        ["memo.xls", "a Word document"],
        "not-a-workbook",
    ),
    Case(
        "other OLE file",
        lambda d: b.ole(d, "other.xls", "Stuff"),
        2,
        ["other.xls", "not a workbook"],
        "not-a-workbook",
    ),
    Case(
        "damaged legacy .xls",
        lambda d: b.ole(d, "broken.xls", "Workbook"),
        2,
        ["broken.xls", "re-save it from Excel"],
        "corrupt",
    ),
    Case("Word .docx named .xlsx", b.docx, 2, ["plan.xlsx", "a Word document"], "not-a-workbook"),
    Case(
        "HTML saved as .xls",
        lambda d: b.raw_bytes(
            d, "report.xls", b"<html><body><table><tr><td>ID</td></tr></table></body></html>"
        ),
        2,
        ["report.xls", "HTML"],
        "not-a-workbook",
    ),
    Case(
        "binary junk",
        lambda d: b.raw_bytes(d, "junk.xlsx", bytes(range(256)) * 8),
        2,
        ["junk.xlsx", "not a spreadsheet"],
        "not-a-workbook",
    ),
    Case("truncated zip", b.truncated, 2, ["cut.xlsx", "damaged"], "corrupt"),
    Case("bad CRC", b.bad_crc, 2, ["crc.xlsx", "damaged"], "corrupt"),
    Case("zip bomb", b.zip_bomb, 2, ["bomb.xlsx", "zip bomb"], "zip-bomb"),
    Case(
        "expanded size over the limit",
        lambda d: b.plain(d, "big.xlsx"),
        2,
        ["big.xlsx", "ALIGNHEALTH_MAX_EXPANDED_BYTES"],
        "too-large",
        env={"ALIGNHEALTH_MAX_EXPANDED_BYTES": "1000"},
    ),
    Case("entity bomb in a sheet", b.entity_bomb, 2, ["entities.xlsx", "DOCTYPE"], "xml-entities"),
    Case(
        "DOCTYPE in the relationships",
        lambda d: b.entity_bomb(d, "xl/_rels/workbook.xml.rels"),
        2,
        ["entities.xlsx", "DOCTYPE"],
        "xml-entities",
    ),
    Case(
        "Office lock file",
        lambda d: b.raw_bytes(d, "~$goals.xlsx", b"\x00" * 162),
        2,
        ["~$goals.xlsx", "lock file"],
        "lock-file",
    ),
    Case(
        "no goals sheet",
        lambda d: b.book_with(
            d,
            "budget.xlsx",
            [["Item", "Cost"]],
            lambda book, s: setattr(s, "title", "Budget") or book.create_sheet("Costs"),
        ),
        2,
        ["budget.xlsx", "no goals sheet", "'Budget'"],
        "no-goals-sheet",
    ),
    Case(
        "no title column",
        lambda d: b.book_with(d, "t.xlsx", [["ID", "Titel"], ["G1", "x"]]),
        2,
        ["t.xlsx", "no 'title' column", "closest header is 'Titel'"],
        "missing-column",
    ),
    Case(
        "duplicate headers",
        lambda d: b.book_with(
            d, "d.xlsx", [["ID", "Title", "Owner", "owner "], ["G1", "x", "a", "b"]]
        ),
        2,
        ["d.xlsx", "Goals!C1", "Goals!D1"],
        "duplicate-header",
    ),
    Case(
        "reader too slow",
        lambda d: b.plain(d, "slow.xlsx"),
        2,
        ["slow.xlsx", "ALIGNHEALTH_READ_TIMEOUT"],
        "timeout",
        env={"ALIGNHEALTH_READ_TIMEOUT": "0.0001"},
    ),
    Case(
        "native abort in calamine (XFD1048576, Strict)",
        lambda d: b.strict(d, far_cell=True),
        2,
        ["strict.xlsx", "stopped", "memory allocation of"],
        "reader-crashed",
        env={"ALIGNHEALTH_READ_MEMORY": str(2 * 1024**3)},
    ),
    Case(
        # the first sheet read fails in both readers: one error naming it, then no other
        # sheet is read from the stopped reader
        "a sheet naming a shared string that is not there",
        b.broken_people,
        2,
        ["people.xlsx", "sheet 'People' cannot be read"],
        "corrupt",
    ),
    # -- files that are read ---------------------------------------------------------------
    Case("Strict Open XML", b.strict, 0, goals=3),
    Case("legacy .xls", b.xls, 1, goals=3, findings=[("AH101", "Goals!C4")]),
    Case(
        "legacy .xls, two columns in",
        lambda d: b.xls(d, margin=2),
        1,
        goals=3,
        findings=[("AH101", "Goals!E4")],
    ),
    Case("OpenDocument .ods", b.ods, 1, goals=3, findings=[("AH101", "Goals!C4")]),
    Case(
        "CSV saved as .xlsx",
        lambda d: b.csv_file(d, "fake.xlsx", "ID,Title,Level,Owner\nG1,Grow,Company,ann\n"),
        0,
        goals=1,
    ),
    Case(
        # calamine fails loading the sheet (after the file opened): openpyxl reads it
        "value at XFD1048576",
        lambda d: b.book_with(d, "far.xlsx", [HEADER, *ROWS], _far_value),
        0,
        goals=2,
        notices=["reader-fallback", "values-outside-columns"],
    ),
    Case("rows past the declared size", lambda d: _understated(d), 0, goals=2),
    Case("declared size overstated", lambda d: _overstated(d), 0, goals=2),
    Case(
        "5,000 rows, none lost",
        lambda d: b.book_with(d, "long.xlsx", [HEADER, *ROWS], _long_rows),
        0,
        goals=5002,
    ),
    Case(
        "formula without a saved value",
        lambda d: b.book_with(d, "f.xlsx", [HEADER, *ROWS], _formula),
        1,
        goals=2,
        findings=[("AH002", "Goals!F3")],
    ),
    Case(
        "Excel error values",
        lambda d: b.book_with(d, "e.xlsx", [HEADER, *ROWS], _error_cells),
        1,
        goals=9,
        findings=[("AH002", f"Goals!F{r}") for r in range(4, 11)],
    ),
    Case(
        "#N/A typed as text",
        lambda d: b.book_with(d, "na.xlsx", [HEADER, *ROWS], _typed_na),
        0,
        goals=3,
    ),
    Case(
        "merged cells",
        lambda d: b.book_with(d, "m.xlsx", [HEADER, *ROWS], _merged),
        0,
        goals=3,
        notices=["merged-cells"],
    ),
    Case(
        "hidden sheet",
        lambda d: b.book_with(d, "h.xlsx", [HEADER, *ROWS], _hidden_sheet),
        0,
        goals=2,
        notices=["hidden-sheet-skipped"],
    ),
    Case(
        "hidden rows",
        lambda d: b.book_with(d, "hr.xlsx", [HEADER, *ROWS], _hidden_rows),
        0,
        goals=2,
        notices=["hidden-rows"],
    ),
    Case(
        "values outside the headers",
        lambda d: b.book_with(d, "o.xlsx", [HEADER, *ROWS], _edit_cells(H2="stray", J3=5)),
        0,
        goals=2,
        notices=["values-outside-columns"],
    ),
    Case(
        "blank rows between",
        lambda d: b.book_with(d, "br.xlsx", [HEADER, ROWS[0], ["   "], [None, "  "], ROWS[1]]),
        0,
        goals=2,
        notices=["blank-rows"],
    ),
    Case(
        "1904 date system", lambda d: b.book_with(d, "mac.xlsx", [HEADER, *ROWS], _mac), 0, goals=2
    ),
    Case(
        "ambiguous text date",
        lambda d: b.book_with(
            d, "amb.xlsx", [[*HEADER, "Due"], ROWS[0] + ["03/04/2026"], ROWS[1] + ["2026-12-31"]]
        ),
        1,
        goals=2,
        findings=[("AH002", "Goals!G2")],
    ),
    Case(
        "ambiguous date, day-first",
        lambda d: b.book_with(
            d, "amb.xlsx", [[*HEADER, "Due"], ROWS[0] + ["03/12/2026"], ROWS[1] + ["2026-12-31"]]
        ),
        0,
        goals=2,
        args=["--ruleset", "DAYFIRST"],
    ),
    Case(
        "numbers and percentages as text",
        lambda d: b.book_with(
            d,
            "n.xlsx",
            [
                [*HEADER, "KPI", "Target", "Actual"],
                ROWS[0] + ["k", "1,250", "45%"],
                ROWS[1] + ["k", " 10 ", "0.5"],
            ],
        ),
        0,
        goals=2,
    ),
    Case(
        "ids that differ in form only",
        lambda d: b.book_with(
            d,
            "ids.xlsx",
            [
                HEADER,
                [101.0, "a", None, "Company", "ann", None],
                [" 101 ", "b", None, "Company", "ann", None],
                ["Cafe\u0301", "c", None, "Company", "ann", None],
                ["Café", "d", None, "Company", "ann", None],
            ],
        ),
        1,
        goals=2,
        findings=[("AH001", "Goals!A3"), ("AH001", "Goals!A5")],
    ),
    Case(
        "zero-width character in an id",
        lambda d: b.book_with(
            d, "z.xlsx", [HEADER, ROWS[0], ["G\u200b2", "Sell", "G1", "Division", "ann", "Green"]]
        ),
        0,
        goals=2,
        says=["U+200B"],
        notices=["suspicious-id-characters"],
    ),
    Case(
        "Cyrillic look-alike in an id",
        lambda d: b.book_with(
            d, "c.xlsx", [HEADER, ROWS[0], ["G\u04272", "Sell", "G1", "Division", "ann", "Green"]]
        ),
        0,
        goals=2,
        says=["CYRILLIC"],
        notices=["suspicious-id-characters"],
    ),
    Case(
        "text over 32,767 characters",
        lambda d: b.csv_file(
            d, "long.csv", f"ID,Title,Level,Owner\nG1,{'x' * 33000},Company,ann\n"
        ),
        0,
        goals=1,
        notices=["text-too-long"],
    ),
    Case(
        "CSV with a byte-order mark",
        lambda d: b.csv_file(d, "bom.csv", "\ufeffID,Title,Level,Owner\nG1,Grow,Company,ann\n"),
        0,
        goals=1,
    ),
    Case(
        "CSV with semicolons",
        lambda d: b.csv_file(d, "semi.csv", "ID;Title;Level;Owner\nG1;Grow, more;Company;ann\n"),
        0,
        goals=1,
    ),
    Case(
        "CSV with tabs",
        lambda d: b.csv_file(d, "tab.csv", "ID\tTitle\tLevel\tOwner\nG1\tGrow\tCompany\tann\n"),
        0,
        goals=1,
    ),
    Case(
        "CSV with an unterminated quote",
        lambda d: b.csv_file(d, "q.csv", 'ID,Title,Level\nG1,"Grow,Company\nG2,Sell,Team\n'),
        2,
        ["q.csv", "line"],
        "bad-csv",
    ),
    Case(
        "CSV in cp1252",
        lambda d: b.csv_file(
            d,
            "w.csv",
            "ID,Title,Level,Owner\nG1,Croissance \u00e0 l'export,Company,ann\n",
            "cp1252",
        ),
        2,
        ["w.csv", "--encoding"],
        "encoding",
    ),
    Case(
        "CSV in cp1252 with --encoding",
        lambda d: b.csv_file(
            d,
            "w.csv",
            "ID,Title,Level,Owner\nG1,Croissance \u00e0 l'export,Company,ann\n",
            "cp1252",
        ),
        0,
        goals=1,
        args=["--encoding", "cp1252"],
    ),
    Case("a folder of CSVs is one dataset", lambda d: _csv_folder(d), 0, goals=2),
    Case(
        "title block above the header",
        lambda d: b.book_with(d, "tb.xlsx", [["Plan"], [], ["by the PMO"], HEADER, *ROWS]),
        0,
        goals=2,
    ),
]


def _understated(folder: Path) -> Path:
    path = b.book_with(folder, "under.xlsx", [HEADER, *ROWS])
    return b.rewrite(
        path,
        {
            "xl/worksheets/sheet1.xml": lambda data: data.replace(
                b'<dimension ref="A1:F3"', b'<dimension ref="A1:B2"'
            )
        },
    )


def _overstated(folder: Path) -> Path:
    path = b.book_with(folder, "over.xlsx", [HEADER, *ROWS])
    return b.rewrite(
        path,
        {
            "xl/worksheets/sheet1.xml": lambda data: data.replace(
                b'<dimension ref="A1:F3"', b'<dimension ref="A1:XFD1048576"'
            )
        },
    )


def _csv_folder(folder: Path) -> Path:
    dataset = folder / "client"
    dataset.mkdir()
    (dataset / "goals.csv").write_text(
        "ID,Title,Parent,Level,Owner\nG1,Grow,,Company,P1\nG2,Sell,G1,Division,P2\n"
    )
    (dataset / "people.csv").write_text(
        "ID,Name,Manager,Level\nP1,Ann,,Company\nP2,Bob,P1,Division\n"
    )
    (dataset / "notes.txt").write_text("ignored")
    return dataset


def run_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    path = case.make(tmp_path)
    args = list(case.args)
    if args[:2] == ["--ruleset", "DAYFIRST"]:
        ruleset = tmp_path / "r.toml"
        ruleset.write_text('[settings]\ndate-order = "day-first"\n')
        args[1] = str(ruleset)
    before = _fingerprint(path)
    result = CliRunner().invoke(main, ["check", str(path), *AS_OF, *args])
    assert "Traceback" not in result.output
    assert _fingerprint(path) == before, "the input was modified"
    document = json.loads(result.stdout)
    return {"exit": result.exit_code, "doc": document, "stderr": result.stderr}


def _fingerprint(path: Path) -> Any:
    if path.is_dir():
        return sorted((p.name, _fingerprint(p)) for p in path.iterdir())
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run_case(case, tmp_path, monkeypatch)
    doc = outcome["doc"]
    assert outcome["exit"] == case.exit_code, (doc["errors"], [f["code"] for f in doc["findings"]])
    assert doc["exit_code"] == case.exit_code
    text = (
        " ".join(e["message"] for e in doc["errors"])
        + " "
        + " ".join(n["message"] for n in doc["notices"])
    )
    for phrase in case.says:
        assert phrase in text, text
    if case.error_code is not None:
        assert [e["code"] for e in doc["errors"]] == [case.error_code]
    if case.exit_code == 2:
        assert doc["errors"] and doc["findings"] == []
        assert all(e["message"].count("\n") == 0 for e in doc["errors"])
    if case.goals is not None:
        assert doc["source"]["counts"]["goals"] == case.goals
    found = {(f["code"], f["location"]["cell"]) for f in doc["findings"] if f["location"]}
    for expected in case.findings:
        assert expected in found, sorted(found)
    codes = {n["code"] for n in doc["notices"]}
    for notice in case.notices:
        assert notice in codes, codes


def test_a_folder_of_workbooks_is_checked_one_by_one(tmp_path: Path) -> None:
    folder = tmp_path / "clients"
    folder.mkdir()
    b.plain(folder, "acme.xlsx")
    b.book_with(folder, "globex.xlsx", [["ID", "Title"], ["G1", "x"], ["G1", "dup"]])
    b.raw_bytes(folder, "~$acme.xlsx", b"\x00" * 162)
    b.raw_bytes(folder, "broken.xlsx", b"")
    result = CliRunner().invoke(main, ["check", str(folder), *AS_OF])
    doc = json.loads(result.stdout)
    assert [Path(r["source"]["path"]).name for r in doc["runs"]] == [
        "acme.xlsx",
        "broken.xlsx",
        "globex.xlsx",
    ]
    assert [r["exit_code"] for r in doc["runs"]] == [0, 2, 1]
    assert doc["exit_code"] == 2
    assert "skipped" in result.stderr and "lock file" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = CliRunner().invoke(main, ["check", str(empty)])
    assert nothing.exit_code == 2 and "no workbooks in this folder" in nothing.stderr


def test_every_command_leaves_the_input_untouched(tmp_path: Path) -> None:
    path = b.book_with(tmp_path, "client.xlsx", [HEADER, *ROWS], _merged)
    before = _fingerprint(path)
    commands = [
        ["check", str(path)],
        [
            "check",
            str(path),
            "--format",
            f"xlsx:{tmp_path}/r.xlsx",
            "--format",
            f"html:{tmp_path}/r.html",
            "--annotate",
            str(tmp_path / "a.xlsx"),
        ],
        ["inspect", str(path)],
        ["inspect", str(path), "--emit-mapping"],
    ]
    for command in commands:
        CliRunner().invoke(main, command)
        assert _fingerprint(path) == before, command
    with zipfile.ZipFile(tmp_path / "a.xlsx") as copy:
        assert "xl/worksheets/sheet1.xml" in copy.namelist()
    assert openpyxl.load_workbook(path)["Goals"]["A1"].value == "ID"
