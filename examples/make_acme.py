"""Generate ``examples/acme-goals.xlsx``: the goal tree of a fictional company.

Acme Outdoor Ltd runs one company goal, four critical success factors (one per
division), twelve department goals and thirty team goals, owned by a cascade of leaders,
with projects and reviews. On top of that healthy tree a few problems are planted, one or
more of each kind the core rules catch; ``PLANTED`` lists them (rule, entity, cell), and
the test suite checks that ``alignhealth check`` reports exactly these.

Run ``python examples/make_acme.py`` to regenerate the workbook. Everything is fixed (no
randomness, no today's date), so the workbook and its findings never change; the as-of
date is pinned in ``examples/acme.toml``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "acme-goals.xlsx"
AS_OF = dt.date(2026, 11, 15)
FY_START = dt.date(2026, 1, 1)
FY_END = dt.date(2026, 12, 31)
TITLE_ROWS = 2  # a title block and a blank row above the header
GOAL_HEADERS = [
    "ID",
    "Title",
    "Parent",
    "Level",
    "Type",
    "Owner",
    "Priority",
    "Status",
    "KPI",
    "Baseline",
    "Target",
    "Actual",
    "Start Date",
    "Due Date",
    "Last Reviewed",
    "Department",
]
PEOPLE_HEADERS = [
    "Employee ID",
    "Full Name",
    "E-mail",
    "Role",
    "Level",
    "Reports To",
    "Department",
    "Status",
]
PROJECT_HEADERS = [
    "Project ID",
    "Project",
    "Goal",
    "Owner",
    "Status",
    "% Complete",
    "Start Date",
    "Due Date",
    "Completed On",
    "Assessed By",
    "Assessed On",
    "Assessment",
]
REVIEW_HEADERS = ["Goal", "Reviewer", "Review Date", "Progress", "Confidence", "Note"]

DIVISIONS = [
    (
        "Sales",
        "Win more customers in every channel",
        ["Retail partnerships", "Online store", "Corporate sales"],
    ),
    ("Product", "Ship products customers recommend", ["Design", "Quality", "Sustainability"]),
    (
        "Operations",
        "Deliver every order on time at lower cost",
        ["Logistics", "Manufacturing", "Procurement"],
    ),
    ("People", "Keep and grow the people who make Acme", ["Talent", "Learning", "Engagement"]),
]
FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dan",
    "Ella",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kara",
    "Liam",
    "Maya",
    "Noah",
    "Olive",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zoe",
    "Alex",
    "Bea",
    "Cal",
]
LAST = [
    "Adams",
    "Baker",
    "Clark",
    "Davies",
    "Evans",
    "Fisher",
    "Green",
    "Hughes",
    "Irwin",
    "Jones",
    "King",
    "Lewis",
    "Moore",
    "Nash",
    "Owen",
    "Price",
    "Quinn",
    "Reid",
    "Shaw",
    "Turner",
    "Upton",
    "Vaughan",
    "Walsh",
    "Young",
    "Zhang",
    "Ali",
    "Bell",
    "Cole",
    "Dunn",
]


def person_id(n: int) -> str:
    return f"P-{n:02d}"


def build() -> dict[str, list[list[Any]]]:
    """The rows of every sheet, headers first."""
    people: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    projects: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    counter = iter(range(1, 200))

    def add_person(level: str, role: str, manager: str | None, unit: str) -> dict[str, Any]:
        n = next(counter)
        # Shift the surname once the first names wrap, so that no two people share a name
        # unless planted to.
        i = n - 1
        first, last = FIRST[i % len(FIRST)], LAST[(i + 3 * (i // len(FIRST))) % len(LAST)]
        person = {
            "Employee ID": person_id(n),
            "Full Name": f"{first} {last}",
            "E-mail": f"{first.lower()}.{last.lower()}@acme.example",
            "Role": role,
            "Level": level,
            "Reports To": manager,
            "Department": unit,
            "Status": "Active",
        }
        people.append(person)
        return person

    def review_day(i: int) -> dt.date:
        return AS_OF - dt.timedelta(days=3 + i % 20)

    def add_goal(
        gid: str,
        title: str,
        parent: str | None,
        level: str,
        kind: str,
        owner: str,
        priority: Any,
        unit: str,
        kpi: str,
        target: float,
    ) -> dict[str, Any]:
        goal = {
            "ID": gid,
            "Title": title,
            "Parent": parent,
            "Level": level,
            "Type": kind,
            "Owner": owner,
            "Priority": priority,
            "Status": "On Track",
            "KPI": kpi,
            "Baseline": 0,
            "Target": target,
            "Actual": round(target * 0.9, 2),
            "Start Date": FY_START,
            "Due Date": FY_END,
            "Last Reviewed": review_day(len(goals)),
            "Department": unit,
        }
        goals.append(goal)
        return goal

    ceo = add_person("Company", "Chief Executive", None, "Executive")
    add_goal(
        "G-01",
        "Double revenue while staying the most trusted outdoor brand",
        None,
        "Company",
        "Goal",
        ceo["E-mail"],
        "High",
        "Executive",
        "Revenue (GBP m)",
        80,
    )
    goal_n = 2
    dept_heads: list[tuple[str, dict[str, Any], str]] = []
    for division, csf, departments in DIVISIONS:
        head = add_person("Division", f"Director of {division}", ceo["Employee ID"], division)
        csf_id = f"G-{goal_n:02d}"
        goal_n += 1
        add_goal(
            csf_id,
            csf,
            "G-01",
            "Division",
            "CSF",
            head["Employee ID"],
            "High",
            division,
            f"{division} scorecard",
            100,
        )
        for department in departments:
            dept_head = add_person(
                "Department", f"Head of {department}", head["Employee ID"], department
            )
            dept_id = f"G-{goal_n:02d}"
            goal_n += 1
            add_goal(
                dept_id,
                f"Make {department.lower()} a strength of {division.lower()}",
                csf_id,
                "Department",
                "NC",
                dept_head["Full Name"],
                1,
                department,
                f"{department} index",
                100,
            )
            dept_heads.append((dept_id, dept_head, department))
    project_n = 1
    for index, (dept_id, dept_head, department) in enumerate(dept_heads):
        lead = add_person("Team", f"{department} team lead", dept_head["Employee ID"], department)
        for k in range(2 + (index % 2)):
            team_id = f"G-{goal_n:02d}"
            goal_n += 1
            add_goal(
                team_id,
                f"{department}: improvement {k + 1}",
                dept_id,
                "Team",
                "NC",
                lead["Employee ID"],
                "Medium",
                department,
                f"{department} measure {k + 1}",
                50,
            )
            done = project_n % 4 == 0
            projects.append(
                {
                    "Project ID": f"PR-{project_n:02d}",
                    "Project": f"{department} initiative {k + 1}",
                    "Goal": team_id,
                    "Owner": lead["Employee ID"],
                    "Status": "Done" if done else "On Track",
                    "% Complete": 1 if done else 0.6,
                    "Start Date": FY_START,
                    "Due Date": FY_END if not done else dt.date(2026, 9, 30),
                    "Completed On": dt.date(2026, 9, 30) if done else None,
                    "Assessed By": dept_head["Employee ID"] if done else None,
                    "Assessed On": dt.date(2026, 10, 7) if done else None,
                    "Assessment": "Delivered what the goal needed" if done else None,
                }
            )
            project_n += 1
    for goal in goals[::3]:
        reviews.append(
            {
                "Goal": goal["ID"],
                "Reviewer": goal["Owner"],
                "Review Date": goal["Last Reviewed"],
                "Progress": 0.9,
                "Confidence": "High",
                "Note": "On plan",
            }
        )

    # ---- planted problems ----------------------------------------------------------------
    lead_a = people[-1]  # a team lead, manager of nobody, who owns team goals
    dept_a = dept_heads[0][0]
    sam1 = add_person("Team", "Analyst", lead_a["Employee ID"], "Sales")
    sam2 = add_person("Team", "Designer", lead_a["Employee ID"], "Product")
    sam1["Full Name"] = sam2["Full Name"] = "Sam Lee"
    leaver = add_person("Team", "Planner", lead_a["Employee ID"], "Logistics")
    leaver["Status"] = "Left"
    loop_a = add_person("Team", "Buyer", None, "Procurement")
    loop_b = add_person("Team", "Buyer", loop_a["Employee ID"], "Procurement")
    loop_a["Reports To"] = loop_b["Employee ID"]
    add_person("Team", "Coordinator", "P-99", "Learning")  # a manager who does not exist

    def planted(gid: str, title: str, **changes: Any) -> dict[str, Any]:
        goal = add_goal(
            gid,
            title,
            dept_a,
            "Team",
            "NC",
            lead_a["Employee ID"],
            "Medium",
            "Retail partnerships",
            "Planted measure",
            10,
        )
        goal.update(changes)
        return goal

    planted("G-60", "Open ten new stockists", Owner=None, Priority=1)
    planted("G-61", "Refresh partner brochures", Owner=None)
    planted("G-62", "Run the partner summit", Owner="Jon Smyth")
    planted("G-63", "Renegotiate freight terms", Owner=leaver["Employee ID"])
    planted("G-64", "Survey partner satisfaction", Owner="Sam Lee")
    planted("G-65", "Launch a loyalty scheme", Parent=None)
    planted("G-66", "Merge the two partner lists", Parent="G-67")
    planted("G-67", "Clean the partner list", Parent="G-66")
    planted("G-68", "Move partners to the new portal", Parent="G-99")
    planted(
        "G-69",
        "Be the best place to work in outdoor retail",
        Parent=None,
        Level="Company",
        Owner=ceo["Employee ID"],
        Type="Goal",
    )
    planted(
        "G-70",
        "Set up a partner division",
        Level="Division",
        Parent=dept_a,
        Owner=people[1]["Employee ID"],
        Type="CSF",
    )
    planted("G-71", "Answer every partner e-mail in a day", Parent="G-01")
    planted("G-72", "Pilot a partner squad", Level="Squad-ish")
    planted("G-73", "Cut partner onboarding time", Status="Purple")
    planted("G-74", "Publish the partner handbook", **{"Due Date": "03/04/2026"})
    planted("G-60", "Open ten new stockists (copy)")
    planted("", "A goal somebody forgot to number")
    projects.append(
        {
            "Project ID": "PR-90",
            "Project": "Partner portal launch",
            "Goal": "G-68",
            "Owner": lead_a["Employee ID"],
            "Status": "Done",
            "% Complete": 1,
            "Start Date": FY_START,
            "Due Date": dt.date(2026, 10, 31),
            "Completed On": dt.date(2026, 10, 30),
            "Assessed By": None,
            "Assessed On": None,
            "Assessment": None,
        }
    )

    levels = [["Level", "Rank"], ["Company", 1], ["Division", 2], ["Department", 3], ["Team", 4]]
    return {
        "Goals": [GOAL_HEADERS, *([g.get(h) for h in GOAL_HEADERS] for g in goals)],
        "People": [PEOPLE_HEADERS, *([p.get(h) for h in PEOPLE_HEADERS] for p in people)],
        "Projects": [PROJECT_HEADERS, *([p.get(h) for h in PROJECT_HEADERS] for p in projects)],
        "Reviews": [REVIEW_HEADERS, *([r.get(h) for h in REVIEW_HEADERS] for r in reviews)],
        "Levels": levels,
    }


def goal_row(sheets: dict[str, list[list[Any]]], gid: str, occurrence: int = 1) -> int:
    """The spreadsheet row of a goal id (its n-th occurrence), counting the title block."""
    seen = 0
    for index, row in enumerate(sheets["Goals"][1:], start=TITLE_ROWS + 2):
        if row[0] == gid:
            seen += 1
            if seen == occurrence:
                return index
    raise KeyError(gid)


def person_row(sheets: dict[str, list[list[Any]]], pid: str) -> int:
    return next(i for i, row in enumerate(sheets["People"][1:], start=2) if row[0] == pid)


def col(headers: list[str], name: str) -> str:
    return get_column_letter(headers.index(name) + 1)


def planted_findings(sheets: dict[str, list[list[Any]]]) -> list[tuple[str, str, str]]:
    """(rule code, entity id, cell) of every planted problem."""
    g = lambda gid, field, n=1: f"Goals!{col(GOAL_HEADERS, field)}{goal_row(sheets, gid, n)}"  # noqa: E731
    p = lambda pid, field: f"People!{col(PEOPLE_HEADERS, field)}{person_row(sheets, pid)}"  # noqa: E731
    no_id_row = goal_row(sheets, "")
    loop = sorted(r[0] for r in sheets["People"][1:] if r[3] == "Buyer")
    lost = next(r[0] for r in sheets["People"][1:] if r[5] == "P-99")
    return sorted(
        [
            ("AH001", "G-60", g("G-60", "ID", 2)),
            ("AH002", "G-73", g("G-73", "Status")),
            ("AH002", "G-74", g("G-74", "Due Date")),
            ("AH003", f"row {no_id_row}", f"Goals!A{no_id_row}"),
            ("AH101", "G-65", g("G-65", "Parent")),
            ("AH102", "G-66", g("G-66", "Parent")),
            ("AH103", "G-68", g("G-68", "Parent")),
            ("AH104", "G-01", g("G-01", "ID")),
            ("AH201", "G-60", g("G-60", "Owner")),
            ("AH202", "G-61", g("G-61", "Owner")),
            ("AH203", "G-62", g("G-62", "Owner")),
            ("AH204", "G-63", g("G-63", "Owner")),
            ("AH205", "G-64", g("G-64", "Owner")),
            ("AH301", "G-70", g("G-70", "Level")),
            ("AH302", "G-71", g("G-71", "Level")),
            ("AH305", "G-72", g("G-72", "Level")),
            (
                "AH703",
                "PR-90",
                f"Projects!{col(PROJECT_HEADERS, 'Assessed By')}{len(sheets['Projects'])}",
            ),
            ("AH801", lost, p(lost, "Reports To")),
            ("AH802", loop[0], p(loop[0], "Reports To")),
        ]
    )


def write(path: Path = OUTPUT) -> Path:
    """Write the workbook, styled as a client's would be."""
    sheets = build()
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        if name == "Goals":
            sheet.append(["Acme Outdoor Ltd: strategy and goal tree, FY2026"])
            sheet["A1"].font = Font(bold=True, size=14)
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
            sheet.append([])
        for row in rows:
            sheet.append(row)
        header_row = TITLE_ROWS + 1 if name == "Goals" else 1
        for cell in sheet[header_row]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="305496")
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for index, _ in enumerate(rows[0], start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 18
        for row in sheet.iter_rows(min_row=header_row + 1):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    print(f"wrote {write(target)}")
