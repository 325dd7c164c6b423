"""Shared fixtures. Tests build their own workbooks; none reads ../shared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alignhealth.testing import write_workbook

AS_OF = dt.date(2026, 11, 15)


@pytest.fixture(autouse=True)
def _no_third_party_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the built-ins unless they register a plugin themselves."""
    monkeypatch.setenv("ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def workbook(tmp_path: Path) -> Callable[..., Path]:
    """Write an .xlsx from rows (see alignhealth.testing.write_workbook)."""
    counter = iter(range(1000))

    def make(goals: Any = (), *, name: str | None = None, **kwargs: Any) -> Path:
        path = tmp_path / (name or f"book{next(counter)}.xlsx")
        return write_workbook(path, goals, **kwargs)

    return make


def simple_tree() -> dict[str, Any]:
    """A small healthy tree: one company goal, two divisions, people who own them."""
    return {
        "goals": [
            {"ID": "G1", "Title": "Grow", "Level": "Company", "Owner": "P1", "Priority": 1},
            {"ID": "G2", "Title": "Sell", "Parent": "G1", "Level": "Division", "Owner": "P2"},
            {"ID": "G3", "Title": "Make", "Parent": "G1", "Level": "Division", "Owner": "P3"},
        ],
        "people": [
            {"ID": "P1", "Name": "Ann Archer", "Email": "ann@acme.example", "Level": "Company"},
            {"ID": "P2", "Name": "Bob Brown", "Manager": "P1", "Level": "Division"},
            {"ID": "P3", "Name": "Cy Cole", "Manager": "P1", "Level": "Division"},
        ],
    }
