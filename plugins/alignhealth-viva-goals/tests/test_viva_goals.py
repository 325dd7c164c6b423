"""Viva Goals exports, built here as the tool writes them, read by the plugin."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import alignhealth_viva_goals
import openpyxl
import pytest
from alignhealth_viva_goals.export import aligned_ids, split_owners

from alignhealth.engine import CheckRequest, check, make_host
from alignhealth.testing import assert_plugin_contract, write_workbook

AS_OF = dt.date(2025, 11, 15)
ALIGNED = "Aligned To (weight, Objective ID)"
HEADERS = [
    "Id",
    "Title",
    "Tag",
    "OKR type",
    "Type name",
    "Creator",
    "Owner",
    "Period",
    "Start Date",
    "End Date",
    "Description",
    "Aligned To (weight, Objective ID)",
    "Metric Name",
    "Target",
    "Object Type",
    "Goal Type",
    "Start",
    "Created At",
    "Last Check-in",
    "Progress %",
    "Status",
    "Last Check-in Note",
    "Score",
    "Check-in 2025-03-31",
    "Check-in 2025-06-30",
    "",
    "",
    "",
]


def row(**values: Any) -> list[Any]:
    base = {
        "Tag": "FY25",
        "Type name": values.get("Object Type", "Objective"),
        "Creator": "Admin",
        "Period": "Annual 2025",
        "Start Date": "1/1/2025",
        "End Date": "12/31/2025",
        "Description": "",
        "Metric Name": "Score",
        "Target": 100,
        "Goal Type": "Company",
        "Start": 0,
        "Created At": "12/15/2024",
        "Last Check-in": "11/1/2025",
        "Progress %": "50%",
        "Status": "On Track",
        "Last Check-in Note": "fine",
        "Score": 0.5,
        "Check-in 2025-03-31": 20,
        "Check-in 2025-06-30": 40,
    }
    base.update(values)
    return [base.get(h, "") for h in HEADERS]


EXPORT = [
    row(
        Id=2295001,
        Title="Grow (and keep) revenue",
        **{"OKR type": "Organization"},
        Owner="Ann Archer",
        **{"Object Type": "Objective"},
    ),
    row(
        Id=2295002,
        Title="Win Europe, then Asia",
        **{"OKR type": "Team"},
        Owner="Bob Brown, Cy Cole",
        **{ALIGNED: "Grow (and keep) revenue (weight: 100%, Id: 2295001)"},
    ),
    row(
        Id=2295003,
        Title="Raise NPS (survey) from 20 to 40",
        **{"OKR type": "Team"},
        Owner="Bob Brown",
        **{"Object Type": "Key result"},
        **{
            ALIGNED: "Win Europe, then Asia(weight: 50%, Id: 2295002), "
            "Grow (and keep) revenue (weight: 14.29%, Id: 2295001)"
        },
    ),
    row(Id=2295004, Title="Lost objective", **{"OKR type": "Team"}, Owner="Dee Dunn"),
    row(
        Id=2295005,
        Title="Broken link",
        **{"OKR type": "Individual"},
        Owner="",
        **{"Aligned To (weight, Objective ID)": "Gone (weight: 10%, Id: 999)"},
    ),
    row(
        Id=2295006,
        Title="Stale",
        **{"OKR type": "Individual"},
        Owner="Ann Archer",
        **{"Last Check-in": "6/1/2025", "Status": "Behind"},
        **{"Aligned To (weight, Objective ID)": "Win Europe, then Asia (weight: 5%, Id: 2295002)"},
    ),
    row(
        Id=2295007,
        Title="Shipped",
        **{"OKR type": "Team"},
        Owner="Cy Cole",
        Status="Closed",
        **{"Aligned To (weight, Objective ID)": "x (weight: 1%, Id: 2295001)"},
        **{"Object Type": "Deliverable"},
    ),
]


def write_csv(path: Path, rows: list[list[Any]] = EXPORT, bom: bool = True) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def write_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    sheet.append(HEADERS)
    for values in EXPORT:
        sheet.append(values)
    book.save(path)
    return path


def run(path: Path, **request: Any) -> Any:
    host = make_host(autoload=False, plugins=[("alignhealth-viva-goals", alignhealth_viva_goals)])
    return check(path, CheckRequest(as_of=AS_OF, **request), host=host)


def test_aligned_to_entries_are_read_from_the_right() -> None:
    assert aligned_ids("Grow (a) revenue (weight: 14.29%, Id: 2295776)") == ["2295776"]
    assert aligned_ids(
        "Grow revenue(weight: 14.29%, Id: 2295776), Cut (costs), now (weight: 50%, Id: 12)"
    ) == ["2295776", "12"]
    assert aligned_ids("no entries here") == []
    assert split_owners("Ann Archer, Bob Brown;Cy Cole\n") == ["Ann Archer", "Bob Brown", "Cy Cole"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_is_read_with_its_own_cells(tmp_path: Path, kind: str) -> None:
    path = (
        write_csv(tmp_path / "export.csv")
        if kind == "csv"
        else write_xlsx(tmp_path / "export.xlsx")
    )
    result = run(path)
    assert result.exit_code == 1, result.errors
    assert result.source.counts == {"goals": 7, "people": 4, "projects": 0, "reviews": 0}
    assert result.notices[0].code == "viva-goals-export"
    found = {
        (f.code, f.entity.id, f.location.cell if f.location else None) for f in result.findings
    }
    sheet = "export" if kind == "csv" else "Export"
    assert ("AH101", "2295004", f"{sheet}!L5") in found  # no Aligned To: orphaned
    assert ("AH103", "2295005", f"{sheet}!L6") in found  # aligned to an unknown id
    assert ("AH202", "2295005", f"{sheet}!G6") in found  # no owner
    assert ("AH501", "2295006", f"{sheet}!S7") in found  # last check-in in June
    assert ("AH207", "2295002", f"{sheet}!G3") in found  # two owners


def test_levels_kinds_parents_and_owners(tmp_path: Path) -> None:
    from alignhealth_viva_goals.export import read_export

    from alignhealth.graph import OrgGraph

    loaded = read_export(write_csv(tmp_path / "export.csv"), "month-first")
    assert loaded is not None
    graph = OrgGraph(loaded, as_of=AS_OF)
    kr = graph.goals["2295003"]
    assert graph.parents("2295003") == ("2295002", "2295001")
    assert (kr.kind.value, kr.level, graph.goal_rank("2295003")) == ("key result", "Team", 1)
    assert graph.goals["2295007"].kind.value == "initiative"
    assert graph.goals["2295007"].status.value == "done"
    assert graph.goals["2295002"].owners == ("Bob Brown", "Cy Cole")
    assert graph.goals["2295001"].due == dt.date(2025, 12, 31)
    assert sorted(graph.people) == ["Ann Archer", "Bob Brown", "Cy Cole", "Dee Dunn"]
    assert graph.resolve("bob brown").person_id == "Bob Brown"


def test_same_findings_as_the_same_goals_in_alignhealths_own_layout(tmp_path: Path) -> None:
    viva = run(write_csv(tmp_path / "export.csv"))
    ids = {2295001: "2295001"}
    del ids
    goals = []
    for values in EXPORT:
        record = dict(zip(HEADERS, values, strict=True))
        aligned = record["Aligned To (weight, Objective ID)"]
        goals.append(
            {
                "ID": record["Id"],
                "Title": record["Title"],
                "Parent": "; ".join(aligned_ids(aligned)) if aligned else None,
                "Level": record["OKR type"],
                "Type": record["Object Type"],
                "Owner": "; ".join(split_owners(record["Owner"])) or None,
                "KPI": record["Metric Name"],
                "Target": record["Target"],
                "Start": record["Start Date"],
                "Due": record["End Date"],
                "Last Reviewed": record["Last Check-in"],
                "Status": record["Status"],
            }
        )
    people = [{"Name": n} for n in ("Ann Archer", "Bob Brown", "Cy Cole", "Dee Dunn")]
    ours = write_workbook(tmp_path / "ours.xlsx", goals, people=people)
    ruleset = tmp_path / "r.toml"
    ruleset.write_text(
        '[settings]\nlevels = ["Organization", "Team", "Individual"]\ndate-order = "month-first"\n'
    )
    native = run(ours, ruleset=str(ruleset))
    assert {(f.code, f.entity.id) for f in viva.findings} == {
        (f.code, f.entity.id) for f in native.findings
    }
    assert viva.summary.health_score == native.summary.health_score


def test_other_files_are_left_to_alignhealths_loader(tmp_path: Path) -> None:
    plain = tmp_path / "goals.csv"
    plain.write_text("ID,Title\nG1,Grow\n")
    result = run(plain)
    assert not any(n.code == "viva-goals-export" for n in result.notices)
    assert result.source.counts["goals"] == 1
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert run(empty).errors[0].code == "empty-file"


def test_an_unreadable_aligned_to_cell_shows_as_an_unknown_parent(tmp_path: Path) -> None:
    rows = [
        EXPORT[0],
        row(
            Id=7,
            Title="Odd",
            **{"OKR type": "Team"},
            Owner="Ann Archer",
            **{"Aligned To (weight, Objective ID)": "Grow revenue"},
        ),
    ]
    result = run(write_csv(tmp_path / "export.csv", rows, bom=False))
    assert ("AH103", "7") in {(f.code, f.entity.id) for f in result.findings}


def test_the_plugin_keeps_the_contract() -> None:
    assert_plugin_contract(alignhealth_viva_goals, "alignhealth-viva-goals")


def test_other_workbooks_are_not_read_a_second_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workbook in alignhealth's layout is told apart by a look into the package, not by
    a full read beside the loader's own; an export is read once, and its reader process
    is gone afterwards."""
    import multiprocessing
    import time

    from alignhealth_viva_goals import export

    reads: list[Path] = []
    real = export.read_raw

    def counted(path: Path) -> Any:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(export, "read_raw", counted)
    plain = write_workbook(tmp_path / "plain.xlsx", goals=[{"ID": "G1", "Title": "Grow"}])
    assert not export.may_be_export(plain)
    result = run(plain)
    assert result.source.counts["goals"] == 1
    assert reads == []

    viva = write_xlsx(tmp_path / "export.xlsx")
    assert export.may_be_export(viva)
    assert run(viva).notices[0].code == "viva-goals-export"
    assert reads == [viva]
    # the reader process is not waited for as it hands its memory back: it ends by itself
    deadline = time.monotonic() + 30
    while multiprocessing.active_children():
        assert time.monotonic() < deadline, "a reader process was left running"
        time.sleep(0.02)

    not_a_zip = tmp_path / "odd.xlsx"
    not_a_zip.write_bytes(b"PK\x03\x04 not really a package")
    assert export.may_be_export(not_a_zip)  # left to the full read to judge
