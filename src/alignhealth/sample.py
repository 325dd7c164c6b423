"""The example company: Acme Outdoor Ltd's goal tree, with problems planted in it.

One company goal, four critical success factors (one per division), twelve department
goals and thirty team goals, owned by a cascade of leaders, with projects and reviews. On
top of that healthy tree, problems of every rule family are planted; ``build().planted``
lists the findings they must raise (rule, entity, cell). Everything is fixed (no
randomness, no today's date), so the data and its findings never change.

``examples/make_acme.py`` writes it as a client's styled workbook; ``alignhealth template
--example`` writes it in the canonical layout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

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


def build() -> Example:
    """The rows of every sheet, and the findings planted in them."""
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
    leads: list[dict[str, Any]] = []

    def add_project(goal_id: str | None, owner: str | None, name: str, **changes: Any) -> None:
        project = {
            "Project ID": f"PR-{len(projects) + 1:02d}",
            "Project": name,
            "Goal": goal_id,
            "Owner": owner,
            "Status": "On Track",
            "% Complete": 0.6,
            "Start Date": FY_START,
            "Due Date": FY_END,
        }
        project.update(changes)
        projects.append(project)

    def add_done_project(
        goal_id: str, owner: str, assessor: str | None, name: str, **changes: Any
    ) -> None:
        add_project(
            goal_id,
            owner,
            name,
            **{
                "Status": "Done",
                "% Complete": 1,
                "Due Date": dt.date(2026, 9, 30),
                "Completed On": dt.date(2026, 9, 30),
                "Assessed By": assessor,
                "Assessed On": dt.date(2026, 10, 7) if assessor else None,
                "Assessment": "Delivered what the goal needed" if assessor else None,
                **changes,
            },
        )

    for index, (dept_id, dept_head, department) in enumerate(dept_heads):
        lead = add_person("Team", f"{department} team lead", dept_head["Employee ID"], department)
        leads.append(lead)
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
            if len(projects) % 4 == 3:
                add_done_project(
                    team_id,
                    lead["Employee ID"],
                    dept_head["Employee ID"],
                    f"{department} initiative {k + 1}",
                )
            else:
                add_project(team_id, lead["Employee ID"], f"{department} initiative {k + 1}")
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
    # Each planted goal is a healthy team goal under a department goal, owned by that
    # department's team lead, except for what is wrong with it; ``expect`` names the
    # finding(s) it must raise: (rule, column of the cell the finding points at).
    expected: list[tuple[str, str, str, str | None, int]] = []

    def team(n: int) -> tuple[str, str, str]:
        """(department goal, its head, its team lead) of department n."""
        dept_id, head, _ = dept_heads[n]
        return dept_id, head["Employee ID"], leads[n]["Employee ID"]

    next_goal = iter(range(60, 200))

    def planted(
        title: str,
        dept: int,
        expect: tuple[tuple[str, str], ...] = (),
        gid: Any = None,  # Any: the date-valued **changes must not look like a gid
        **changes: Any,
    ) -> str:
        dept_id, _, lead = team(dept)
        goal_id = gid if gid is not None else f"G-{next(next_goal)}"
        goal = add_goal(
            goal_id,
            title,
            dept_id,
            "Team",
            "NC",
            lead,
            "Medium",
            dept_heads[dept][2],
            "Planted measure",
            10,
        )
        goal.update(changes)
        occurrence = sum(1 for g in goals if g["ID"] == goal_id)
        for code, header in expect:
            expected.append(("Goals", code, goal_id, header, occurrence))
        return goal_id

    def person_expects(code: str, person: dict[str, Any], header: str) -> None:
        expected.append(("People", code, person["Employee ID"], header, 1))

    def project_expects(code: str, header: str) -> None:
        expected.append(("Projects", code, projects[-1]["Project ID"], header, 1))

    lead0 = team(0)[2]
    sam1 = add_person("Team", "Analyst", lead0, "Retail partnerships")
    sam2 = add_person("Team", "Designer", lead0, "Retail partnerships")
    sam1["Full Name"] = sam2["Full Name"] = "Sam Lee"
    leaver = add_person("Team", "Planner", lead0, "Retail partnerships")
    leaver["Status"] = "Left"
    loop_a = add_person("Team", "Buyer", None, "Procurement")
    loop_b = add_person("Team", "Buyer", loop_a["Employee ID"], "Procurement")
    loop_a["Reports To"] = loop_b["Employee ID"]
    person_expects("AH802", loop_a, "Reports To")
    lost = add_person("Team", "Coordinator", "P-99", "Learning")
    person_expects("AH801", lost, "Reports To")
    idle = add_person("Department", "Head of Strategy", ceo["Employee ID"], "Executive")
    person_expects("AH208", idle, "Employee ID")
    add_person("Team", "Board adviser", None, "Executive")  # a second person with no manager
    person_expects("AH803", ceo, "Employee ID")
    outsider = leads[9]["Employee ID"]  # a team lead in the People division

    # ownership (department 0)
    g60 = planted("Open ten new stockists", 0, (("AH201", "Owner"),), Owner=None, Priority=1)
    add_project(g60, lead0, "Stockist drive")
    planted("Refresh partner brochures", 0, (("AH202", "Owner"),), Owner=None)
    planted("Run the partner summit", 0, (("AH203", "Owner"),), Owner="Jon Smyth")
    planted("Renegotiate freight terms", 0, (("AH204", "Owner"),), Owner=leaver["Employee ID"])
    planted("Survey partner satisfaction", 0, (("AH205", "Owner"),), Owner="Sam Lee")
    for k in range(6):  # department 0's lead takes on too much, all of it "High"
        gid = planted(f"Partner quick win {k + 1}", 0, Priority="High")
        add_project(gid, lead0, f"Quick win {k + 1}")
    person_expects("AH206", leads[0], "Employee ID")
    person_expects("AH401", leads[0], "Employee ID")
    planted(
        "Co-own the partner newsletter",
        1,
        (("AH207", "Owner"),),
        Owner=f"{team(1)[2]}; {team(1)[1]}",
    )
    planted("Recruit partner champions", 0, (("AH304", "Owner"),), Owner=outsider)
    expected.append(("Goals", "AH107", team(0)[0], "ID", 1))  # all of the above sit under it
    # structure
    planted("Launch a loyalty scheme", 1, (("AH101", "Parent"),), Parent=None)
    merge, clean = f"G-{next(next_goal)}", f"G-{next(next_goal)}"
    planted("Merge the two partner lists", 2, (("AH102", "Parent"),), gid=merge, Parent=clean)
    planted("Clean the partner list", 2, gid=clean, Parent=merge)
    g92 = planted("Move partners to the new portal", 3, (("AH103", "Parent"),), Parent="G-999")
    add_done_project(g92, team(3)[2], None, "Partner portal launch")
    project_expects("AH703", "Assessed By")
    g93 = planted(
        "Be the best place to work in outdoor retail",
        0,
        Parent=None,
        Level="Company",
        Owner=ceo["Employee ID"],
        Type="Goal",
        Priority="High",
    )
    add_project(g93, ceo["Employee ID"], "Workplace survey")
    expected.append(("Goals", "AH104", "G-01", "ID", 1))
    g94 = planted(
        "Set up a partner division",
        4,
        (("AH301", "Level"), ("AH303", "Owner")),
        Level="Division",
        Owner=team(4)[1],
    )
    add_project(g94, team(4)[1], "Partner division plan")
    g95 = planted(
        "Answer every partner e-mail in a day", 5, (("AH302", "Level"),), Parent="G-01", Type="CSF"
    )
    add_project(g95, team(5)[2], "Inbox rota")
    planted("Pilot a partner squad", 5, (("AH305", "Level"),), Level="Squad-ish")
    # AH105 is off in the default preset; the okr preset reports this one
    planted("Serve two departments at once", 6, Parent=f"{team(6)[0]}; {team(7)[0]}")
    gid = planted("A CSF in the wrong place", 6, (("AH109", "Parent"),), Type="CSF")
    add_project(gid, team(6)[2], "Misplaced work")
    division_of_7 = next(g["Parent"] for g in goals if g["ID"] == team(7)[0])
    planted(
        "Department goal nobody broke down",
        7,
        (("AH106", "ID"),),
        Level="Department",
        Owner=team(7)[1],
        Parent=division_of_7,
    )
    # a team goal three links below G-01, and four more beneath it
    chain = next(g["ID"] for g in goals if g["Parent"] == team(8)[0])
    for k in range(4):
        chain = planted(
            f"Deep detail {k + 1}", 8, (("AH108", "Parent"),) if k == 3 else (), Parent=chain
        )
    # priorities
    for k in range(2):
        gid = planted(
            f"Tied priority {k + 1}", 9, (("AH402", "Priority"),) if k else (), Priority=2
        )
        add_project(gid, team(9)[2], f"Tied work {k + 1}")
    gid = planted(
        "Priority nobody measures",
        10,
        (("AH403", "KPI"), ("AH601", "KPI")),
        Priority=1,
        KPI=None,
        Target=None,
        Actual=None,
    )
    add_project(gid, team(10)[2], "Unmeasured work")
    planted("Priority nobody works on", 10, (("AH404", "ID"),), Priority="High")
    low = planted("A low-priority parent", 11, Priority="Low")
    gid = planted("A priority under a low one", 11, (("AH405", "Parent"),), Parent=low, Priority=1)
    add_project(gid, team(11)[2], "Work under a low parent")
    # engagement
    stale = dept_heads[3][0]  # a department goal whose head stopped reviewing
    next(g for g in goals if g["ID"] == stale)["Last Reviewed"] = dt.date(2026, 9, 1)
    reviews[:] = [r for r in reviews if r["Goal"] != stale]
    expected.append(("Goals", "AH501", stale, "Last Reviewed", 1))
    person_expects("AH503", dept_heads[3][1], "Employee ID")
    planted("Never looked at again", 2, (("AH502", "Last Reviewed"),), **{"Last Reviewed": None})
    planted(
        "Waiting to start",
        4,
        (("AH504", "Status"),),
        Status="Not Started",
        Actual=0,
        **{"Start Date": dt.date(2026, 11, 1)},
    )
    # measurement
    planted("Measured without a number", 6, (("AH602", "Target"),), Target=None, Actual=None)
    planted("Falling behind", 7, (("AH603", "Actual"),), Status="At Risk", Actual=2)
    parent = planted("Green above a red child", 10, (("AH604", "Status"),))
    planted("Red child", 10, Parent=parent, Status="Off Track")
    planted("Past its due date", 9, (("AH605", "Due Date"),), **{"Due Date": dt.date(2026, 10, 31)})
    # data
    planted("Cut partner onboarding time", 3, (("AH002", "Status"),), Status="Purple")
    planted(
        "Publish the partner handbook", 3, (("AH002", "Due Date"),), **{"Due Date": "03/04/2026"}
    )
    planted("Open ten new stockists (copy)", 0, (("AH001", "ID"),), gid=g60)
    planted("A goal somebody forgot to number", 3, gid="")
    # execution
    add_project(None, lead0, "Intranet redesign")
    project_expects("AH701", "Goal")
    add_project(team(1)[0], None, "Nobody's project")
    project_expects("AH702", "Owner")
    add_done_project(team(2)[0], team(2)[2], outsider, "Signed off by an outsider")
    project_expects("AH704", "Assessed By")
    add_project(team(3)[0], team(3)[2], "Late project", **{"Due Date": dt.date(2026, 10, 31)})
    project_expects("AH705", "Due Date")
    add_done_project(
        team(4)[0], team(4)[2], team(4)[1], "Done at sixty percent", **{"% Complete": 0.6}
    )
    project_expects("AH706", "% Complete")
    # Levels: nobody works at the Individual level (AH306)
    levels: list[list[Any]] = [
        ["Level", "Rank"],
        ["Company", 1],
        ["Division", 2],
        ["Department", 3],
        ["Team", 4],
        ["Individual", 5],
    ]
    sheets: dict[str, list[list[Any]]] = {
        "Goals": [GOAL_HEADERS, *([g.get(h) for h in GOAL_HEADERS] for g in goals)],
        "People": [PEOPLE_HEADERS, *([p.get(h) for h in PEOPLE_HEADERS] for p in people)],
        "Projects": [PROJECT_HEADERS, *([p.get(h) for h in PROJECT_HEADERS] for p in projects)],
        "Reviews": [REVIEW_HEADERS, *([r.get(h) for h in REVIEW_HEADERS] for r in reviews)],
        "Levels": levels,
    }
    return Example(sheets, _cells(sheets, expected))


@dataclass
class Example:
    """The rows of every sheet (headers first), and the findings planted in them."""

    sheets: dict[str, list[list[Any]]]
    planted: list[tuple[str, str, str | None]]


# The findings of the example's own ruleset (examples/acme.toml): one suppression that
# matches nothing, one that has expired.
RULESET_FINDINGS = [("AH902", "acme.toml#2", None), ("AH903", "acme.toml#3", None)]


def _cells(
    sheets: dict[str, list[list[Any]]], expected: list[tuple[str, str, str, str | None, int]]
) -> list[tuple[str, str, str | None]]:
    """(rule, entity id, cell) for each expectation, the rows looked up in the sheets."""
    first_row = {"Goals": TITLE_ROWS + 2}
    found = []
    for sheet, code, entity, header, occurrence in expected:
        rows = sheets[sheet]
        start = first_row.get(sheet, 2)
        matches = [i for i, row in enumerate(rows[1:], start=start) if row[0] == entity]
        row = matches[occurrence - 1]
        column = get_column_letter(rows[0].index(header) + 1) if header else None
        found.append((code, entity, f"{sheet}!{column}{row}"))
    no_id = next(i for i, r in enumerate(sheets["Goals"][1:], start=TITLE_ROWS + 2) if r[0] == "")
    found.append(("AH003", f"row {no_id}", f"Goals!A{no_id}"))
    found.append(("AH306", "Individual", "Levels!A6"))
    return sorted(found)
