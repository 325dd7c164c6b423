"""Reading workbooks: sheets and headers by synonym, header rows, mappings, values, errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from alignhealth.errors import InputError
from alignhealth.loaders.mapping import InputMapping, SheetMapping
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.loaders.workbook import load_workbook
from alignhealth.testing import write_workbook
from tests.xlsx_tools import drop_dimension, set_dimension

Book = Callable[..., Path]


def load(path: Path, **kwargs: Any) -> Any:
    return load_workbook(path, **kwargs)


# -- sheets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Goals",
        "objectives",
        "OKRs",
        "Goal Tree",
        "STRATEGY",
        "Goals & Objectives",
        "Strategy FY27",
        "FY27 Goals",
        "goal_tree",
    ],
)
def test_goals_sheet_found_by_synonym(workbook: Book, name: str) -> None:
    path = workbook(sheets={"Notes": [["x"]], name: [["ID", "Title"], ["G1", "Grow"]]})
    loaded = load(path)
    assert [g.id for g in loaded.goals] == ["G1"]
    assert loaded.goals[0].origin.sheet == name


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("people", "Org Chart"),
        ("people", "Owners"),
        ("people", "Staff"),
        ("projects", "Initiatives"),
        ("projects", "Programmes"),
        ("projects", "Actions"),
        ("reviews", "Check-ins"),
        ("reviews", "Updates"),
        ("levels", "Tiers"),
        ("levels", "Org Levels"),
    ],
)
def test_other_sheets_found_by_synonym(workbook: Book, kind: str, name: str) -> None:
    headers = {
        "people": [["ID", "Name"], ["P1", "Ann"]],
        "projects": [["ID", "Name", "Goal"], ["PR1", "Build", "G1"]],
        "reviews": [["Goal", "Date"], ["G1", dt.date(2026, 11, 1)]],
        "levels": [["Name", "Rank"], ["Company", 1]],
    }
    path = workbook(sheets={"Goals": [["ID", "Title"], ["G1", "Grow"]], name: headers[kind]})
    loaded = load(path)
    assert len(getattr(loaded, kind)) == 1


def test_absent_sheets_are_none_not_empty(workbook: Book) -> None:
    loaded = load(workbook([{"ID": "G1", "Title": "Grow"}]))
    assert loaded.people is None and loaded.projects is None and loaded.reviews is None


def test_single_sheet_with_goal_headers_is_the_goals_sheet(workbook: Book) -> None:
    path = workbook(sheets={"Sheet1": [["Goal ID", "Objective"], ["G1", "Grow"]]})
    loaded = load(path)
    assert [g.title for g in loaded.goals] == ["Grow"]
    assert any(n.code == "goals-sheet-by-headers" for n in loaded.notices)


def test_no_goals_sheet_is_an_input_error_listing_the_sheets(workbook: Book) -> None:
    path = workbook(sheets={"Budget": [["Item", "Cost"]], "Sheet2": [["a"]]})
    with pytest.raises(InputError, match=r"no goals sheet.*'Budget', 'Sheet2'") as info:
        load(path)
    assert info.value.code == "no-goals-sheet"


def test_hidden_sheet_is_skipped_unless_mapped(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Goals"
    book.active.append(["ID", "Title"])
    book.active.append(["G1", "Grow"])
    people = book.create_sheet("People")
    people.append(["ID", "Name"])
    people.append(["P1", "Ann"])
    people.sheet_state = "hidden"
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    loaded = load(path)
    assert loaded.people is None
    assert any(n.code == "hidden-sheet-skipped" for n in loaded.notices)
    mapped = load(path, mapping=InputMapping(people=SheetMapping(sheet="People")))
    assert [p.id for p in mapped.people] == ["P1"]


# -- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field", "value", "expected"),
    [
        ("Goal ID", "id", "G9", "G9"),
        ("Ref #", "id", "G9", "G9"),
        ("Objective", "title", "Grow", "Grow"),
        ("Statement", "title", "Grow", "Grow"),
        ("Aligned To", "parent_ids", "G1", ("G1",)),
        ("contributes_to", "parent_ids", "G1", ("G1",)),
        ("Tier", "level", "Team", "Team"),
        ("Object Type", "kind", "KR", "key result"),
        ("Accountable", "owners", "ann", ("ann",)),
        ("Sponsor", "owners", "ann", ("ann",)),
        ("Is Priority", "priority", "Y", "yes"),
        ("RAG", "status", "Red", "off track"),
        ("Metric", "kpi", "NPS", "NPS"),
        ("Start Value", "baseline", 3, 3.0),
        ("Current", "actual", "45%", 0.45),
        ("Deadline", "due", "2026-12-31", dt.date(2026, 12, 31)),
        ("Last Check-in", "last_reviewed", "2026-11-01", dt.date(2026, 11, 1)),
        ("Function", "unit", "Sales", "Sales"),
        ("  LAST   REVIEWED  ", "last_reviewed", "2026-11-01", dt.date(2026, 11, 1)),
        ("Owner(s)", "owners", "ann", ("ann",)),
        ("parentId", "parent_ids", "G1", ("G1",)),
        ("lastReviewed", "last_reviewed", "2026-11-01", dt.date(2026, 11, 1)),
    ],
)
def test_goal_header_synonyms(
    workbook: Book, header: str, field: str, value: Any, expected: Any
) -> None:
    row = {"ID": "G0", "Title": "T", header: value}
    if header in ("Goal ID", "Ref #"):
        row = {header: value, "Title": "T"}
    if header in ("Objective", "Statement"):
        row = {"ID": "G0", header: value}
    loaded = load(workbook([row]))
    got = getattr(loaded.goals[0], field)
    got = got.label if field == "priority" else got
    assert got == expected


def test_people_without_an_id_column_use_the_email(workbook: Book) -> None:
    loaded = load(
        workbook(
            [{"ID": "G1", "Title": "T"}], people=[{"Full Name": "Ann", "E-mail": "ann@x.example"}]
        )
    )
    assert loaded.people[0].id == "ann@x.example"


def test_header_row_found_under_a_title_block(workbook: Book) -> None:
    path = workbook(
        sheets={
            "Goals": [
                ["ACME strategy FY27"],
                [],
                ["Prepared by the PMO", None, "Confidential"],
                [],
                ["Ref", "Goal", "Supports", "Tier"],
                ["G1", "Grow", None, "Company"],
                ["G2", "Sell", "G1", "Division"],
            ]
        }
    )
    loaded = load(path)
    assert [(g.id, g.origin.row) for g in loaded.goals] == [("G1", 6), ("G2", 7)]
    assert loaded.goals[1].origin.cell("parent").cell == "Goals!C7"


def test_duplicate_headers_after_folding_name_both_cells(workbook: Book) -> None:
    path = workbook(sheets={"Goals": [["ID", "Title", "Owner", "owner "], ["G1", "T", "a", "b"]]})
    with pytest.raises(InputError, match=r"Goals!C1 'Owner' and Goals!D1 'owner '"):
        load(path)


def test_missing_title_column_names_what_was_expected_and_found(workbook: Book) -> None:
    path = workbook(sheets={"Goals": [["ID", "Titel", "Owner"], ["G1", "T", "a"]]})
    with pytest.raises(InputError, match=r"no 'title' column.*closest header is 'Titel'") as info:
        load(path)
    assert info.value.code == "missing-column"


def test_unmapped_columns_are_reported(workbook: Book) -> None:
    loaded = load(workbook([{"ID": "G1", "Title": "T", "Exec Sponsor": "Ann", "Notes": "x"}]))
    notice = next(n for n in loaded.notices if n.code == "unmapped-columns")
    assert notice.cells == ["Goals!C1", "Goals!D1"]


# -- the mapping -------------------------------------------------------------------------


def test_mapping_names_sheet_header_row_and_columns(workbook: Book) -> None:
    path = workbook(
        sheets={
            "Plan 2027": [
                ["Strategy"],
                ["x"],
                ["y"],
                ["Ref #", "What", "Exec Sponsor", "Ladders up to"],
                ["S1", "Win", "Ann", None],
                ["S2", "Sell", "Bob", "S1"],
            ]
        }
    )
    mapping = InputMapping(
        goals=SheetMapping(
            sheet="Plan 2027",
            header_row=4,
            columns={"title": "What", "owner": "Exec Sponsor", "parent": "Ladders up to"},
        )
    )
    loaded = load(path, mapping=mapping)
    assert [(g.id, g.title, g.owners, g.parent_ids) for g in loaded.goals] == [
        ("S1", "Win", ("Ann",), ()),
        ("S2", "Sell", ("Bob",), ("S1",)),
    ]


def test_mapping_to_a_missing_column_names_the_closest(workbook: Book) -> None:
    path = workbook([{"ID": "G1", "Title": "T", "Exec Sponsor": "Ann"}])
    mapping = InputMapping(goals=SheetMapping(columns={"owner": "Exec Sponser"}))
    with pytest.raises(InputError, match=r"no such header; the closest is 'Exec Sponsor'"):
        load(path, mapping=mapping)


def test_mapping_to_a_missing_sheet_names_the_closest(workbook: Book) -> None:
    path = workbook([{"ID": "G1", "Title": "T"}])
    mapping = InputMapping(goals=SheetMapping(sheet="Goal"))
    with pytest.raises(InputError, match=r"no such sheet; the closest is 'Goals'"):
        load(path, mapping=mapping)


def test_mapping_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match=r"unknown goals field 'ownr' \(did you mean 'owner'"):
        InputMapping.model_validate({"goals": {"columns": {"ownr": "Sponsor"}}})


# -- values and cells --------------------------------------------------------------------


def test_invalid_cells_become_problems_and_the_rest_is_read(workbook: Book) -> None:
    loaded = load(
        workbook(
            [
                {"ID": "G1", "Title": "T", "Status": "Purple", "Due": "soon", "Target": 10},
            ]
        )
    )
    assert loaded.goals[0].target == 10
    problems = {(p.kind, p.location.cell, p.field) for p in loaded.problems}
    assert problems == {
        ("invalid-value", "Goals!C2", "status"),
        ("invalid-value", "Goals!D2", "due"),
    }


def test_a_repeated_value_is_parsed_once_and_shared_but_true_is_not_one(
    workbook: Book,
) -> None:
    due = dt.date(2026, 12, 31)
    rows = [
        {"ID": "G1", "Title": "A", "Parent": "G0", "Target": 1, "Due": due},
        {"ID": "G2", "Title": "B", "Parent": "G0", "Target": True, "Due": due},
        {"ID": "G3", "Title": "C", "Parent": "G0", "Target": 1.0, "Due": due},
    ]
    loaded = load(workbook(rows))
    g1, g2, g3 = loaded.goals
    assert g1.due == due and g1.due is g2.due is g3.due  # one date object, not three
    assert g1.parent_ids == ("G0",) and g1.parent_ids is g2.parent_ids
    assert (g1.target, g2.target, g3.target) == (1.0, None, 1.0)
    assert [(p.location.cell, p.field) for p in loaded.problems] == [("Goals!D3", "target")]


def test_excel_error_values_are_invalid_but_typed_text_is_not(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    sheet.append(["ID", "Title", "KPI", "Target"])
    sheet.append(["G1", "Grow", "NPS", "#REF!"])
    sheet.append(["G2", "Sell", "#N/A", 5])
    sheet["C3"].data_type = "s"  # typed in as text
    path = tmp_path / "errors.xlsx"
    book.save(path)
    loaded = load(path)
    assert [(p.location.cell, p.value) for p in loaded.problems] == [("Goals!D2", "#REF!")]
    assert loaded.goals[1].kpi == "#N/A"


def test_the_byte_scan_finds_what_calamine_cannot_see_deep_in_a_large_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scan skips a window of the sheet's XML without the bytes its markers are made
    # of; the header and footer of every sheet hold them all, so the markers here sit in
    # a window of plain cells far from both (small windows stand in for a large sheet).
    from alignhealth.loaders import excel

    monkeypatch.setattr(excel, "_CHUNK", 256)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    for n in range(1, 401):
        sheet.append([f"G{n}", n, n * 2, n * 3])
    sheet["B150"] = "#DIV/0!"
    sheet["C151"] = "=SUM(B1:B2)"
    sheet.row_dimensions[152].hidden = True
    sheet.merge_cells("D153:D154")
    path = tmp_path / "deep.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert 4096 + 256 < xml.index(b'r="B150"') < len(xml) - 2 * (4096 + 256)
    scan = excel.scan_sheet(path, "xl/worksheets/sheet1.xml")
    assert scan.errors == {(150, 1): "#DIV/0!"}  # row from 1, column from 0
    assert scan.bare_formulas == {(151, 2)}
    assert scan.hidden_rows == [152]
    assert scan.merged == ["D153:D154"]


def test_merged_cells_give_every_cell_the_top_left_value(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    sheet.append(["ID", "Title", "Department"])
    for n in range(1, 5):
        sheet.append([f"G{n}", f"Goal {n}", "Sales" if n == 1 else None])
    sheet.merge_cells("C2:C4")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    loaded = load(path)
    assert [g.unit for g in loaded.goals] == ["Sales", "Sales", "Sales", None]
    notice = next(n for n in loaded.notices if n.code == "merged-cells")
    assert notice.cells == ["Goals!C2:C4"]


def test_1904_date_system(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "Goals"
    sheet.append(["ID", "Title", "Due"])
    sheet.append(["G1", "Grow", dt.datetime(2026, 11, 15)])
    sheet.append(["G2", "Sell", 44879])  # a bare serial number in the 1904 system
    path = tmp_path / "mac.xlsx"
    book.save(path)
    loaded = load(path)
    assert [g.due for g in loaded.goals] == [dt.date(2026, 11, 15)] * 2


def test_rows_past_the_declared_size_are_read(workbook: Book) -> None:
    path = workbook([{"ID": f"G{n}", "Title": f"Goal {n}"} for n in range(1, 51)])
    set_dimension(path, "A1:B2")
    assert len(load(path).goals) == 50


def test_an_overstated_size_does_not_pad_rows(workbook: Book) -> None:
    path = workbook([{"ID": "G1", "Title": "Grow"}])
    set_dimension(path, "A1:XFD1048576")
    loaded = load(path)
    assert [g.id for g in loaded.goals] == ["G1"]


def test_ids_and_text_are_trimmed_and_normalized_however_they_are_written(
    workbook: Book,
) -> None:
    # Plain ASCII takes a shorter path through the row loop than other values: both must
    # give the same records.
    decomposed = "Cafe\u0301 growth"  # e + combining accent: NFC makes it one character
    path = workbook(
        sheets={
            "Goals": [
                ["ID", "Title", "KPI", "Owner"],
                ["  G1 ", "  Grow  ", " NPS ", "Ann"],
                [12.0, decomposed, "   ", "Ann"],
                ["   ", "Orphan row", None, "Ann"],
                [" G\u00e9 ", "   ", None, None],
            ]
        }
    )
    loaded = load(path)
    by_id = {g.id: g for g in loaded.goals}
    assert list(by_id) == ["G1", "12", "G\u00e9"]
    assert (by_id["G1"].title, by_id["G1"].kpi) == ("Grow", "NPS")
    assert by_id["12"].title == "Caf\u00e9 growth" and by_id["12"].kpi is None
    assert by_id["G\u00e9"].title == ""
    found = {(p.kind, p.location.cell) for p in loaded.problems}
    assert found == {("missing-required", "Goals!A4"), ("missing-required", "Goals!B5")}


def test_blank_rows_are_skipped_and_counted_and_id_only_rows_kept(workbook: Book) -> None:
    path = workbook(
        sheets={
            "Goals": [
                ["ID", "Title", "Owner"],
                ["G1", "Grow", "Ann"],
                [None, None, None],
                [],
                ["G2", None, None],
            ]
        }
    )
    loaded = load(path)
    assert [g.id for g in loaded.goals] == ["G1", "G2"]
    assert [p.field for p in loaded.problems] == ["title"]


def test_progress_column_on_a_0_to_100_scale(workbook: Book) -> None:
    loaded = load(
        workbook(
            [{"ID": "G1", "Title": "T"}],
            projects=[
                {"ID": "PR1", "Name": "a", "Goal": "G1", "% Complete": 45},
                {"ID": "PR2", "Name": "b", "Goal": "G1", "% Complete": "30%"},
                {"ID": "PR3", "Name": "c", "Goal": "G1", "% Complete": 100},
            ],
        )
    )
    assert [p.progress for p in loaded.projects] == [0.45, 0.30, 1.0]


def test_progress_column_on_a_0_to_1_scale(workbook: Book) -> None:
    loaded = load(
        workbook(
            [{"ID": "G1", "Title": "T"}],
            projects=[
                {"ID": "PR1", "Name": "a", "Goal": "G1", "Progress": 0.5},
                {"ID": "PR2", "Name": "b", "Goal": "G1", "Progress": 1},
            ],
        )
    )
    assert [p.progress for p in loaded.projects] == [0.5, 1.0]


def test_locations_quote_sheet_names_as_excel_does(workbook: Book) -> None:
    path = workbook(sheets={"Strategy FY27": [["ID", "Title", "Status"], ["G1", "T", "Mauve"]]})
    loaded = load(path)
    assert loaded.problems[0].location.cell == "'Strategy FY27'!C2"


def test_csv_goals_file(tmp_path: Path) -> None:
    path = tmp_path / "goals.csv"
    path.write_text('\ufeffID;Title;Parent\nG1;Grow;\nG2;"Sell; more";G1\n', encoding="utf-8")
    loaded = load(path)
    assert [(g.id, g.title, g.parent_ids) for g in loaded.goals] == [
        ("G1", "Grow", ()),
        ("G2", "Sell; more", ("G1",)),
    ]
    assert loaded.goals[1].origin.cell("title").cell == "goals!B3"


# -- files that cannot be used ---------------------------------------------------------------


def _ole(tmp_path: Path, name: str, payload: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + payload)
    return path


@pytest.mark.parametrize(
    ("make", "code", "says"),
    [
        (lambda d: (d / "empty.xlsx").write_bytes(b"") and None, "empty-file", "empty"),
        (
            lambda d: _ole(d, "locked.xlsx", "EncryptedPackage".encode("utf-16-le")),
            "encrypted",
            "remove the password",
        ),
        (
            lambda d: _ole(d, "old.xls", "Workbook".encode("utf-16-le")),
            "corrupt",
            "re-save it from Excel as .xlsx",
        ),
        (
            lambda d: _ole(d, "memo.xls", "WordDocument".encode("utf-16-le")),
            "not-a-workbook",
            "a Word document",
        ),
        (
            lambda d: (d / "page.xlsx").write_text("<html><body>report</body></html>") and None,
            "not-a-workbook",
            "HTML",
        ),
        (
            lambda d: (d / "bin.xlsx").write_bytes(bytes(range(256)) * 4) and None,
            "not-a-workbook",
            "not a spreadsheet",
        ),
        (
            lambda d: (d / "cut.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40) and None,
            "corrupt",
            "damaged",
        ),
    ],
)
def test_unusable_files_give_one_clear_error(
    tmp_path: Path, make: Callable[[Path], Any], code: str, says: str
) -> None:
    make(tmp_path)
    path = next(p for p in tmp_path.iterdir())
    with pytest.raises(InputError, match=says) as info:
        load(path)
    assert info.value.code == code
    assert str(path) in info.value.message


def test_a_word_document_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(InputError, match="a Word document"):
        load(path)


def test_a_folder_is_not_a_workbook(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        load(tmp_path)


def test_loading_never_writes_the_workbook(workbook: Book) -> None:
    path = workbook([{"ID": "G1", "Title": "Grow", "Status": "Purple"}])
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    load(path)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


def test_write_workbook_round_trips_rows(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "w.xlsx",
        [{"ID": "G1", "Title": "Grow", "Owner": "Ann"}],
        people=[{"ID": "P1", "Name": "Ann"}],
    )
    loaded = load(path)
    assert loaded.goals[0].owners == ("Ann",) and loaded.people[0].name == "Ann"


def test_a_different_clients_layout_is_read_without_a_mapping(workbook: Book) -> None:
    path = workbook(
        sheets={
            "Strategy FY27": [
                ["Globex strategy, FY27"],
                ["Owner: the PMO"],
                [],
                [
                    "Goal #",
                    "Objective",
                    "Aligned To",
                    "Tier",
                    "Accountable",
                    "Is Priority",
                    "RAG",
                    "Deadline",
                ],
                [
                    "1",
                    "Lead the market",
                    None,
                    "Group",
                    "ceo@globex.example",
                    "Y",
                    "Green",
                    dt.date(2027, 3, 31),
                ],
                ["1.1", "Win Europe", "1", "Division", "Dana Diaz", "High", "Amber", "2027-03-31"],
            ],
            "Org Chart": [
                ["Staff ID", "Full Name", "Email", "Line Manager", "Grade"],
                ["E1", "Chris Chief", "ceo@globex.example", None, "Group"],
                ["E2", "Dana Díaz", "dana@globex.example", "E1", "Division"],
            ],
            "Initiatives": [
                ["Initiative ID", "Initiative", "Linked Goal", "Lead", "State", "% Complete"],
                ["I-1", "Open Paris", "1.1", "E2", "Done", 100],
            ],
        }
    )
    loaded = load(path)
    assert [
        (g.id, g.parent_ids, g.owners, g.priority.label, g.status.value) for g in loaded.goals
    ] == [
        ("1", (), ("ceo@globex.example",), "yes", "on track"),
        ("1.1", ("1",), ("Dana Diaz",), "high", "at risk"),
    ]
    assert [p.manager for p in loaded.people] == [None, "E1"]
    assert loaded.projects[0].progress == 1.0
    assert loaded.problems == []


# -- the order sheets are read in ------------------------------------------------------


def test_sheets_read_largest_last_still_report_in_the_sheets_order(tmp_path: Path) -> None:
    # People is the largest sheet, so it is read last; its problems still come after
    # the goals', as they would in the sheets' order.
    people = [{"ID": f"P{n}", "Name": f"Person {n}", "Active": "maybe"} for n in range(300)]
    path = write_workbook(
        tmp_path / "order.xlsx",
        [{"ID": "G1", "Title": "Grow", "Status": "Purple"}],
        people=people,
    )
    loaded = load(path)
    sheets = [p.location.sheet for p in loaded.problems]
    assert sheets[0] == "Goals" and set(sheets[1:]) == {"People"} and len(sheets) == 301


def test_the_first_sheet_in_order_with_an_error_is_the_one_reported(tmp_path: Path) -> None:
    people = [{"Level": "Team"} for _ in range(300)]  # read last: no id, e-mail or name
    path = write_workbook(tmp_path / "errors.xlsx", [{"ID": "G1", "Owner": "x"}], people=people)
    with pytest.raises(InputError) as caught:
        load(path)
    assert "'Goals'" in caught.value.message and "title" in caught.value.message


class Counting:
    """A calamine workbook that notes each sheet it streams or loads."""

    def __init__(self, book: Any, log: list[tuple[str, str]]) -> None:
        self.book = book
        self.log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self.book, name)

    def stream_sheet_by_name(self, name: str) -> Any:
        self.log.append(("streamed", name))
        return self.book.stream_sheet_by_name(name)

    def get_sheet_by_name(self, name: str) -> Any:
        self.log.append(("loaded", name))
        return self.book.get_sheet_by_name(name)


def read_counting(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[LoadedWorkbook, list[tuple[str, str]]]:
    """``path`` read by the .xlsx reader in this process, with what it streamed and loaded."""
    import python_calamine_plus

    from alignhealth.loaders.calamine import read_calamine
    from alignhealth.loaders.workbook import load_raw

    log: list[tuple[str, str]] = []
    real = python_calamine_plus.CalamineWorkbook.from_path
    monkeypatch.setattr(
        python_calamine_plus.CalamineWorkbook, "from_path", lambda p: Counting(real(p), log)
    )
    raw = read_calamine(path, xlsx=True)
    try:
        loaded = load_raw(raw, path.name)
    finally:
        raw.close()
    assert threading.active_count() == 1  # its scanning threads ended with it
    return loaded, log


def test_the_xlsx_reader_streams_only_the_sheets_that_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_workbook(
        tmp_path / "notes.xlsx",
        sheets={
            "Notes": [["anything"], ["at all"]],
            "Goals": [["ID", "Title"], ["G1", "Grow"]],
        },
    )
    loaded, log = read_counting(path, monkeypatch)
    assert [g.id for g in loaded.goals] == ["G1"]
    assert log == [("streamed", "Goals")]


def test_a_sheet_declaring_itself_too_wide_is_loaded_not_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stream pads every row to the declared width: 16,384 cells a row here.
    path = write_workbook(
        tmp_path / "wide.xlsx",
        [{"ID": "G1", "Title": "Grow", "Owner": "P1"}],
        people=[{"ID": "P1", "Name": "Ann"}],
    )
    set_dimension(path, "A1:XFD3")  # the goals, the first sheet
    loaded, log = read_counting(path, monkeypatch)
    assert [(g.id, g.owners) for g in loaded.goals] == [("G1", ("P1",))]
    assert sorted(log) == [("loaded", "Goals"), ("streamed", "People")]


@pytest.mark.parametrize("stray", [True, False])
def test_a_sheet_declaring_no_width_is_streamed_unless_a_cell_lies_too_far_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stray: bool
) -> None:
    """With no ``<dimension>``, a stray value at XFD2 would pad every later row of the
    stream to 16,384 cells (30,000 goals took 10 s to read): the byte scan finds it, and
    the sheet is loaded as one declaring itself that wide is."""
    import openpyxl

    path = write_workbook(
        tmp_path / "undeclared.xlsx",
        [{"ID": "G1", "Title": "Grow", "Owner": "P1"}, {"ID": "G2", "Title": "Sell"}],
        people=[{"ID": "P1", "Name": "Ann"}],
    )
    if stray:
        book = openpyxl.load_workbook(path)
        book["Goals"]["XFD2"] = "stray"
        book.save(path)
    drop_dimension(path)  # the goals, the first sheet
    loaded, log = read_counting(path, monkeypatch)
    assert [(g.id, g.owners) for g in loaded.goals] == [("G1", ("P1",)), ("G2", ())]
    goals = "loaded" if stray else "streamed"
    assert sorted(log) == [(goals, "Goals"), ("streamed", "People")]
    assert [n.code for n in loaded.notices] == (["values-outside-columns"] if stray else [])


def test_declared_width_reads_the_dimension_from_the_head_of_the_sheet(tmp_path: Path) -> None:
    from alignhealth.loaders.excel import declared_width, sheet_parts

    path = write_workbook(tmp_path / "d.xlsx", [{"ID": "G1", "Title": "Grow"}])
    member = sheet_parts(path)["Goals"]
    assert declared_width(path, member) == 2
    for ref, width in (("A1:XFD1048576", 16384), ("C3:AA9", 27), ("B7", 2)):
        set_dimension(path, ref)
        assert declared_width(path, member) == width
    assert declared_width(path, "xl/worksheets/missing.xml") == 0
    drop_dimension(path)
    assert declared_width(path, member) is None


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme-goals.xlsx"


def test_closing_the_reader_does_not_wait_for_its_process_to_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time
    from multiprocessing import util

    from alignhealth.loaders import isolation
    from alignhealth.sharing import can_fork

    if not can_fork():
        pytest.skip("the slow ending is patched into a forked child")
    serve = isolation._serve

    def slow_to_end(*args: Any) -> None:
        util.Finalize(None, time.sleep, args=(2,), exitpriority=0)
        serve(*args)

    monkeypatch.setattr(isolation, "_serve", slow_to_end)
    reader = isolation.IsolatedReader(EXAMPLE, "calamine-xlsx")
    raw = reader.open()
    rows = sum(1 for sheet in raw.sheets for _ in sheet.rows())
    started = time.perf_counter()
    raw.close()
    assert time.perf_counter() - started < 1  # its ending takes 2 s
    assert rows > 100 and reader.process.is_alive()
    reader.process.join(30)
    assert reader.process.exitcode == 0  # it ended by itself, at "stop"


def test_forked_readers_start_with_calamine_already_imported() -> None:
    """Each reader child is forked with python-calamine imported in the parent (importing
    it in every child took 15 ms of each small workbook's check). A fresh interpreter, so
    that no other test has imported it first."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from alignhealth.loaders.isolation import IsolatedReader\n"
        "from alignhealth.sharing import can_fork\n"
        "before = 'python_calamine_plus' in sys.modules\n"
        f"raw = IsolatedReader(Path({str(EXAMPLE)!r}), 'calamine-xlsx').open()\n"
        "raw.close()\n"
        "print(before, can_fork(), 'python_calamine_plus' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    before, forked, after = done.stdout.split()
    assert before == "False"
    assert after == forked  # imported here exactly where the children are forked


def test_a_reader_that_overstays_is_stopped_for_sure() -> None:
    from alignhealth.loaders.isolation import IsolatedReader, Limits

    reader = IsolatedReader(EXAMPLE, "calamine-xlsx", Limits(seconds=0.0001))
    with pytest.raises(InputError) as caught:
        reader.open()
    assert caught.value.code == "timeout"
    assert not reader.process.is_alive()  # killed (or ended) before the error was raised


def lane_workbook(tmp_path: Path, notes: int = 0) -> Path:
    """Goals (the largest sheet, unless ``notes`` rows of a sheet nobody reads outgrow
    them), and people."""
    goals = [["ID", "Title", "Owner"]] + [[f"G{n}", f"Goal {n}", "P1"] for n in range(300)]
    sheets = {"Goals": goals, "People": [["ID", "Name"]] + [["P1", "Ann"]] * 3}
    if notes:
        sheets["Notes"] = [["note"]] + [[f"a long note, number {n}"] * 6 for n in range(notes)]
    return write_workbook(tmp_path / "lanes.xlsx", sheets=sheets)


def read_isolated_records(path: Path) -> tuple[Any, Any]:
    from alignhealth.loaders.isolation import IsolatedReader
    from alignhealth.loaders.workbook import load_raw

    reader = IsolatedReader(path, "calamine-xlsx")
    lane = reader.lane
    raw = reader.open()
    try:
        loaded = load_raw(raw, path.name)
    finally:
        raw.close()
    records = [(g.id, g.title, g.owners, g.origin.row) for g in loaded.goals]
    return (records, sorted((p.kind, p.location.cell) for p in loaded.problems)), lane


def forked_lanes(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The isolation module, with every workbook's largest sheet streamed by a second
    child; skips where a death patched into a forked child cannot happen."""
    from alignhealth.loaders import isolation
    from alignhealth.sharing import can_fork

    if not can_fork():
        pytest.skip("the death is patched into a forked child")
    monkeypatch.setattr(isolation, "LANE_FROM", 1)
    return isolation


def read_until_it_fails(path: Path) -> tuple[InputError, Any, Any]:
    """The input error reading ``path`` ends in, and the reader and its lane."""
    from alignhealth.loaders.isolation import IsolatedReader
    from alignhealth.loaders.workbook import load_raw

    reader = IsolatedReader(path, "calamine-xlsx")
    lane = reader.lane
    raw = reader.open()
    with pytest.raises(InputError) as caught:
        load_raw(raw, path.name)
    raw.close()
    return caught.value, reader, lane


def test_reader_children_stream_rows_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both children (the first, and the lane streaming the goals) make their chunks with
    the cyclic collector paused; the parent's collector is left as it was."""
    import gc
    import os

    isolation = forked_lanes(monkeypatch)
    noted = tmp_path / "collector.txt"
    by_columns = isolation._by_columns

    def noting(stream_id: int, chunk: Any) -> Any:
        with noted.open("a") as out:
            out.write(f"{os.getpid()} {gc.isenabled()}\n")
        return by_columns(stream_id, chunk)

    monkeypatch.setattr(isolation, "_by_columns", noting)
    assert gc.isenabled()
    (records, _), lane = read_isolated_records(lane_workbook(tmp_path))
    assert len(records) == 300 and lane is not None
    seen = [line.split() for line in noted.read_text().splitlines()]
    pids = {pid for pid, _ in seen}
    assert str(lane.process.pid) in pids and len(pids) == 2  # the lane and the first child
    assert {enabled for _, enabled in seen} == {"False"}
    assert gc.isenabled()


_cells = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.integers(),
    st.floats(allow_nan=False),
    st.dates(),
)


@given(
    st.lists(
        st.tuples(st.integers(1, 1_048_576), st.lists(_cells, max_size=6)),
        min_size=1,
        max_size=30,
    )
)
def test_a_chunk_of_rows_crosses_by_columns_and_arrives_as_it_left(
    chunk: list[tuple[int, list[object]]],
) -> None:
    """The reader sends its rows a column at a time; the parent gets back each row's
    number, length and cells, in order, whether or not the rows are of one length."""
    import pickle

    from alignhealth.loaders.isolation import _by_columns, _stream_rows
    from alignhealth.loaders.raw import RawSheet

    sent = _by_columns(7, chunk)
    assert sent[:2] in (("columns", 7), ("rows", 7))
    messages = iter([pickle.loads(pickle.dumps(sent)), ("end", 7)])
    sheet = RawSheet("Goals", False, lambda: iter(()))
    arrived = [(number, list(values)) for number, values in _stream_rows(sheet, messages.__next__)]
    assert arrived == chunk
    if sent[0] == "columns":
        # Never more than twice the cells the rows hold, padding included.
        cells = sum(len(column) for column in sent[4])
        assert cells <= 2 * sum(len(values) for _, values in chunk)


def test_a_chunk_with_one_row_far_wider_than_the_rest_crosses_row_by_row() -> None:
    """A stray value at column XFD in one row of two thousand: sent by columns, every
    row would be padded to 16,384 cells."""
    from alignhealth.loaders.isolation import _by_columns, _by_rows

    chunk: list[tuple[int, list[object]]] = [(n, ["G1", "Grow"]) for n in range(2, 2001)]
    chunk.append((2001, ["G2", "Stray", *([None] * 16381), "x"]))
    sent = _by_columns(0, chunk)
    assert sent[0] == "rows" and sent[2] == chunk
    narrow = _by_columns(0, [*chunk[:-1], (2001, ["G2", "Keep", "P1"])])
    assert narrow[0] == "columns"
    assert [(n, list(v)) for n, v in _by_rows(narrow)][-1] == (2001, ["G2", "Keep", "P1"])


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_the_largest_sheet_is_streamed_by_a_second_child_and_reads_the_same(
    start: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.loaders import isolation
    from alignhealth.sharing import can_fork

    if start == "fork" and not can_fork():
        pytest.skip("this process cannot fork safely")
    if start == "spawn":  # as beside a progress display's thread
        monkeypatch.setattr(isolation, "can_fork", lambda: False)
    path = lane_workbook(tmp_path)
    alone, no_lane = read_isolated_records(path)
    assert no_lane is None  # a small workbook: one child
    monkeypatch.setattr(isolation, "LANE_FROM", 1)  # every workbook is "large"
    beside, lane = read_isolated_records(path)
    assert beside == alone
    assert len(alone[0]) == 300 and len(alone[1]) == 2  # the two duplicate people
    assert lane is not None and lane.name == "Goals" and lane.taken and lane.done
    assert type(lane.process).__name__ == f"{start.title()}Process"
    lane.process.join(30)
    assert lane.process.exitcode == 0  # it ended by itself once its rows were taken


def test_the_streamed_sheet_is_read_by_a_thread_while_the_others_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # While the People rows are read (and would keep this process waiting for them), the
    # Goals the second child streams are read too; then the thread is gone.
    from alignhealth.loaders import isolation
    from alignhealth.loaders import workbook as reading

    monkeypatch.setattr(isolation, "LANE_FROM", 1)
    read_sheet = reading.read_sheet
    goals_begun = threading.Event()
    seen: dict[str, Any] = {}

    def watched(raw: Any, spec: Any, mapping: Any, ctx: Any) -> Any:
        if raw.name == "Goals":
            seen["goals thread"] = threading.current_thread()
            goals_begun.set()
        elif raw.name == "People":
            seen["goals while people"] = goals_begun.wait(30)
        return read_sheet(raw, spec, mapping, ctx)

    monkeypatch.setattr(reading, "read_sheet", watched)
    path = lane_workbook(tmp_path)
    (records, problems), lane = read_isolated_records(path)
    assert seen["goals while people"] is True
    assert seen["goals thread"] is not threading.main_thread()
    assert not seen["goals thread"].is_alive() and threading.active_count() == 1
    assert len(records) == 300 and len(problems) == 2
    assert lane is not None and lane.done


@pytest.mark.parametrize("where", ["Goals", "People"])
def test_what_goes_wrong_in_either_thread_is_raised_once_with_no_thread_or_process_left(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.loaders import isolation
    from alignhealth.loaders import workbook as reading

    monkeypatch.setattr(isolation, "LANE_FROM", 1)
    read_sheet = reading.read_sheet

    def broken(raw: Any, spec: Any, mapping: Any, ctx: Any) -> Any:
        if raw.name == where:
            raise RuntimeError(f"a bug reading {where}")
        return read_sheet(raw, spec, mapping, ctx)

    monkeypatch.setattr(reading, "read_sheet", broken)
    path = lane_workbook(tmp_path)
    reader = isolation.IsolatedReader(path, "calamine-xlsx")
    lane = reader.lane
    raw = reader.open()
    with pytest.raises(RuntimeError, match=f"a bug reading {where}"):
        reading.load_raw(raw, path.name)
    raw.close()
    assert threading.active_count() == 1
    assert lane is not None
    lane.process.join(30)
    reader.process.join(30)
    assert not lane.process.is_alive() and not reader.process.is_alive()


def test_a_first_child_that_dies_while_the_second_streams_is_the_error_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    isolation = forked_lanes(monkeypatch)
    stream = isolation._stream

    def die(conn: Any, stream_id: int, raw: Any, sheet: Any) -> None:
        if sheet.name == "People":
            os._exit(5)
        time.sleep(2)  # the Goals' thread is still waiting for its rows when People fail
        stream(conn, stream_id, raw, sheet)

    monkeypatch.setattr(isolation, "_stream", die)
    error, reader, lane = read_until_it_fails(lane_workbook(tmp_path))
    assert error.code == "reader-crashed" and "exit code 5" in error.message
    assert reader.failed is error  # the one error both threads were told
    assert threading.active_count() == 1
    assert lane is not None
    lane.process.join(30)
    assert not lane.process.is_alive()


def test_a_second_child_whose_sheet_is_not_read_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.loaders import isolation

    monkeypatch.setattr(isolation, "LANE_FROM", 1)
    from alignhealth.loaders.workbook import load_raw

    path = lane_workbook(tmp_path, notes=2000)  # the notes are the largest sheet
    reader = isolation.IsolatedReader(path, "calamine-xlsx")
    lane = reader.lane
    assert lane is not None and lane.name == "Notes"
    raw = reader.open()
    try:
        assert len(load_raw(raw, path.name).goals) == 300
        # stopped once the sheets to read were known, not left streaming until the end
        assert reader.lane is None and not lane.taken
        assert lane.process.exitcode is not None
    finally:
        raw.close()


def test_a_second_child_that_dies_is_one_clear_error_and_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    isolation = forked_lanes(monkeypatch)
    send = isolation.Ahead.send

    def die(self: Any, message: Any) -> None:
        if message[:2] == ("columns", 0):  # the lane's first rows (its stream is number 0)
            os._exit(3)
        send(self, message)

    monkeypatch.setattr(isolation.Ahead, "send", die)
    error, reader, lane = read_until_it_fails(lane_workbook(tmp_path))
    assert error.code == "reader-crashed" and "exit code 3" in error.message
    assert lane is not None and not lane.process.is_alive()
    reader.process.join(30)
    assert not reader.process.is_alive()


def test_a_second_child_is_stopped_when_the_workbook_cannot_be_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.loaders import isolation
    from alignhealth.loaders.workbook import load_raw

    monkeypatch.setattr(isolation, "LANE_FROM", 1)
    path = write_workbook(tmp_path / "nogoals.xlsx", sheets={"Notes": [["a"]] * 500})
    reader = isolation.IsolatedReader(path, "calamine-xlsx")
    lane = reader.lane
    raw = reader.open()
    try:
        with pytest.raises(InputError) as caught:
            load_raw(raw, path.name)  # the head of the notes is read, and no goals found
        assert caught.value.code == "no-goals-sheet"
        # stopped as soon as the parent stopped reading its rows, not at close
        assert lane is not None and lane.taken and not lane.process.is_alive()
    finally:
        raw.close()


def test_a_sheet_whose_head_was_read_from_the_second_child_is_read_again_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignhealth.loaders import isolation

    monkeypatch.setattr(isolation, "LANE_FROM", 1)
    rows = [["ID", "Title", "Owner"]] + [[f"G{n}", f"Goal {n}", "P1"] for n in range(300)]
    path = write_workbook(tmp_path / "one.xlsx", sheets={"Sheet1": rows})
    (records, problems), lane = read_isolated_records(path)  # found by its headers
    assert [r[0] for r in records] == [f"G{n}" for n in range(300)] and problems == []
    assert lane is not None and lane.taken and not lane.done
