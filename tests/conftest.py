"""Shared fixtures. Tests build their own workbooks; none reads ../shared."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alignhealth.testing import write_workbook

AS_OF = dt.date(2026, 11, 15)


@pytest.fixture(autouse=True)
def _no_third_party_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the built-ins unless they register a plugin themselves."""
    monkeypatch.setenv("ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(autouse=True)
def _nothing_left_frozen() -> Iterator[None]:
    """A command ends by freezing what it holds for the collector (``cli.common.finish``):
    in the one process the tests share, the next test starts with nothing frozen."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _no_thread_left_behind() -> Iterator[None]:
    """A thread a test leaves running makes every later test in the session unable to
    fork (``sharing.can_fork``): readers would spawn and rules run in one process, and
    the fork paths would go untested without a word."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5  # a stopped thread may take a moment to end
    while left := [t for t in threading.enumerate() if t not in before and t.is_alive()]:
        if time.monotonic() > deadline:
            pytest.fail(f"the test left threads running: {[t.name for t in left]}")
        time.sleep(0.01)


@pytest.fixture
def workbook(tmp_path: Path) -> Callable[..., Path]:
    """Write an .xlsx from rows (see alignhealth.testing.write_workbook)."""
    counter = iter(range(1000))

    def make(goals: Any = (), *, name: str | None = None, **kwargs: Any) -> Path:
        path = tmp_path / (name or f"book{next(counter)}.xlsx")
        return write_workbook(path, goals, **kwargs)

    return make


MEASURED = {"KPI": "Score", "Target": 10, "Actual": 9}


def orphaned_tree() -> dict[str, Any]:
    """The healthy tree plus a division goal with no parent (AH101) and an unowned
    priority (AH201), each with work beneath it so that nothing else fires."""
    tree = simple_tree()
    tree["goals"] += [
        {"ID": "G9", "Title": "Orphan", "Level": "Division", "Owner": "P3", **MEASURED},
        {
            "ID": "G8",
            "Title": "Unowned",
            "Parent": "G1",
            "Level": "Division",
            "Priority": 1,
            **MEASURED,
        },
    ]
    tree["projects"] += [
        {"ID": "PR9", "Name": "Orphan work", "Goal": "G9", "Owner": "P3"},
        {"ID": "PR8", "Name": "Unowned work", "Goal": "G8", "Owner": "P2"},
    ]
    return tree


def simple_tree() -> dict[str, Any]:
    """A small healthy tree: one company goal, two divisions, their people and projects."""
    return {
        "goals": [
            {
                "ID": "G1",
                "Title": "Grow",
                "Level": "Company",
                "Owner": "P1",
                "Priority": 1,
                **MEASURED,
            },
            {
                "ID": "G2",
                "Title": "Sell",
                "Parent": "G1",
                "Level": "Division",
                "Owner": "P2",
                **MEASURED,
            },
            {
                "ID": "G3",
                "Title": "Make",
                "Parent": "G1",
                "Level": "Division",
                "Owner": "P3",
                **MEASURED,
            },
        ],
        "people": [
            {"ID": "P1", "Name": "Ann Archer", "Email": "ann@acme.example", "Level": "Company"},
            {"ID": "P2", "Name": "Bob Brown", "Manager": "P1", "Level": "Division"},
            {"ID": "P3", "Name": "Cy Cole", "Manager": "P1", "Level": "Division"},
        ],
        "projects": [
            {"ID": "PR1", "Name": "Sales push", "Goal": "G2", "Owner": "P2"},
            {"ID": "PR2", "Name": "New line", "Goal": "G3", "Owner": "P3"},
        ],
    }
