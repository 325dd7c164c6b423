"""Generate goal workbooks of any size, with problems planted at known rates.

    python benchmarks/generate.py 10000 out/goals-10k.xlsx

The workbook keeps its text in a shared-strings table, as Excel writes it (XlsxWriter;
openpyxl's streaming writer would put every string inline, which makes the file larger
and its reading slower than a client's).

The tree branches nine ways per level (the most children AH107 allows), goals cycle
through the levels Company > Division > Department > Team (deeper goals stay at Team), and
people own them in runs of five, each reporting to the owner of their goals' parent.
Every ``PLANTED`` rate is the share of goals (or projects, or people) given that problem;
``expected_counts`` says how many findings of each code the check must report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

AS_OF = dt.date(2026, 11, 15)
FY_START = dt.date(2026, 1, 1)
FY_END = dt.date(2026, 12, 31)
BRANCHING = 9
LEVELS = ["Company", "Division", "Department", "Team"]

#: Problems planted, as (rule code, share of the population, population).
PLANTED = {
    "AH101": (0.005, "goals"),  # orphaned: parent blanked on a team goal
    "AH103": (0.005, "goals"),  # unknown parent id
    "AH201": (0.005, "goals"),  # unowned priority
    "AH203": (0.005, "goals"),  # unknown owner
    "AH002": (0.005, "goals"),  # invalid status
    "AH501": (0.01, "goals"),  # stale review
    "AH703": (0.01, "projects"),  # done, not assessed
    "AH801": (0.01, "people"),  # unknown manager
}

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
]
PEOPLE_HEADERS = ["Employee ID", "Full Name", "E-mail", "Level", "Reports To", "Status"]
PROJECT_HEADERS = [
    "Project ID",
    "Project",
    "Goal",
    "Owner",
    "Status",
    "% Complete",
    "Due Date",
    "Assessed By",
    "Assessed On",
]
REVIEW_HEADERS = ["Goal", "Reviewer", "Review Date", "Progress"]


def _picks(rng: random.Random, population: int, rate: float, exclude: set[int]) -> set[int]:
    count = int(population * rate)
    pool = [i for i in range(population) if i not in exclude]
    return set(rng.sample(pool, min(count, len(pool))))


def generate(goals: int, path: Path, seed: int = 7) -> dict[str, int]:
    """Write a workbook of ``goals`` goals to ``path``; return the planted counts by code."""
    rng = random.Random(seed)
    n_projects = goals // 2
    parent_of: list[int | None] = [None] + [(i - 1) // BRANCHING for i in range(1, goals)]
    depth = [0] * goals
    for i in range(1, goals):
        depth[i] = depth[parent_of[i]] + 1  # type: ignore[index]
    # The children of each goal are owned in runs of five by people who report to the
    # parent goal's owner, so that ownership follows the reporting line (AH304) and nobody
    # owns more than AH206 allows.
    owner_of = [0] * goals
    manager_of: list[int | None] = [None]
    person_level = [LEVELS[0]]
    for q in range(goals):
        kids = list(range(q * BRANCHING + 1, min(q * BRANCHING + BRANCHING + 1, goals)))
        for start in range(0, len(kids), 5):
            person = len(manager_of)
            manager_of.append(owner_of[q])
            person_level.append(LEVELS[min(depth[kids[0]], 3)])
            for child in kids[start : start + 5]:
                owner_of[child] = person
    n_people = len(manager_of)
    team_goals = [i for i in range(goals) if depth[i] >= 3]
    taken: set[int] = {0}
    planted_goals: dict[str, set[int]] = {}
    unassessed = _picks(rng, n_projects, PLANTED["AH703"][0], set())
    # Goal 2j+1 is advanced by project j, which is active unless j is a multiple of five or
    # planted as an unassessed completion.
    worked = [
        i for i in range(1, goals, 2) if ((i - 1) // 2) % 5 != 0 and (i - 1) // 2 not in unassessed
    ]
    for code in ("AH101", "AH103", "AH201", "AH203", "AH002", "AH501"):
        rate, _ = PLANTED[code]
        pool = {"AH101": team_goals, "AH103": team_goals, "AH201": worked}.get(
            code, list(range(goals))
        )
        chosen = set(
            rng.sample(
                [i for i in pool if i not in taken],
                min(int(goals * rate), len(pool) - len(taken & set(pool))),
            )
        )
        planted_goals[code] = chosen
        taken |= chosen
    # People whose manager link is broken own no goals of their own, so that the break
    # does not also move their goals out of line (AH304) or their sign-offs (AH704).
    lost = set(range(n_people, n_people + int(n_people * PLANTED["AH801"][0])))

    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path, {"default_date_format": "yyyy-mm-dd"})
    sheet = _Sheet(book, "Goals")
    sheet.append(GOAL_HEADERS)
    for i in range(goals):
        level = LEVELS[min(depth[i], 3)]
        parent = "" if parent_of[i] is None else f"G{parent_of[i]}"
        owner = f"P{owner_of[i]}"
        status = "On Track"
        first_child = i > 0 and (i - 1) % BRANCHING == 0
        priority: object = 1 if depth[i] < 3 and first_child else "Medium"
        reviewed = AS_OF - dt.timedelta(days=3 + i % 20)
        if i in planted_goals["AH101"]:
            parent = ""
        if i in planted_goals["AH103"]:
            parent = f"X{i}"
        if i in planted_goals["AH201"]:
            owner, priority = "", 1
        if i in planted_goals["AH203"]:
            owner = f"Nobody {i}"
        if i in planted_goals["AH002"]:
            status = "Purple"
        if i in planted_goals["AH501"]:
            reviewed = AS_OF - dt.timedelta(days=60)
        sheet.append(
            [
                f"G{i}",
                f"Goal number {i}",
                parent,
                level,
                None,
                owner,
                priority,
                status,
                f"Measure {i}",
                0,
                100,
                90,
                FY_START,
                FY_END,
                reviewed,
            ]
        )
    people = _Sheet(book, "People")
    people.append(PEOPLE_HEADERS)
    for p in range(n_people + len(lost)):
        level = person_level[p] if p < n_people else LEVELS[3]
        manager = "" if p >= n_people or manager_of[p] is None else f"P{manager_of[p]}"
        if p in lost:
            manager = f"Q{p}"
        people.append([f"P{p}", f"Person {p}", f"person{p}@example.com", level, manager, "Active"])
    projects = _Sheet(book, "Projects")
    projects.append(PROJECT_HEADERS)
    for j in range(n_projects):
        goal = (j * 2 + 1) % goals
        done = j % 5 == 0
        assessed = done and j not in unassessed
        if j in unassessed and not done:
            done = True
        owner = f"P{owner_of[goal]}"
        boss = manager_of[owner_of[goal]]
        projects.append(
            [
                f"PR{j}",
                f"Project {j}",
                f"G{goal}",
                owner,
                "Done" if done else "On Track",
                1 if done else 0.5,
                FY_END,
                (f"P{boss}" if boss is not None else owner) if assessed else None,
                dt.date(2026, 10, 1) if assessed else None,
            ]
        )
    reviews = _Sheet(book, "Reviews")
    reviews.append(REVIEW_HEADERS)
    for i in range(0, goals, 2):
        if i in planted_goals["AH501"]:
            continue
        reviews.append([f"G{i}", f"P{owner_of[i]}", AS_OF - dt.timedelta(days=5), 0.9])
    levels = _Sheet(book, "Levels")
    levels.append(["Level", "Rank"])
    for rank, name in enumerate(LEVELS, start=1):
        levels.append([name, rank])
    book.close()
    counts = {code: len(chosen) for code, chosen in planted_goals.items()}
    counts["AH703"] = len(unassessed)
    counts["AH801"] = len(lost)
    return counts


class _Sheet:
    """A worksheet written a row at a time (blank cells are left out)."""

    def __init__(self, book: xlsxwriter.Workbook, name: str) -> None:
        self.sheet = book.add_worksheet(name)
        self.row = 0

    def append(self, values: Sequence[object]) -> None:
        for col, value in enumerate(values):
            if value is not None and value != "":
                self.sheet.write(self.row, col, value)
        self.row += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("goals", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    counts = generate(args.goals, args.path, args.seed)
    print(
        f"wrote {args.path} ({args.goals} goals); planted: "
        + ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
