"""The testing kit's growth helpers: what a plugin author uses to show a rule is linear."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import FrameType
from typing import Any

import pytest

from alignhealth.testing import assert_linear, bytecodes, rule_bytecodes
from alignhealth.testing.harness import Rows, prepared_rule
from tests import plugin_fixtures as pf


def tree(n: int) -> Mapping[str, Rows]:
    """n goals in a tree, a third of them priorities nobody owns (AH201 flags them)."""
    goals = [
        {
            "ID": f"G{i}",
            "Title": f"Goal {i}",
            "Parent": f"G{(i - 1) // 3}" if i else None,
            "Level": "Company" if i == 0 else "Team",
            "Priority": 1 if i % 3 == 0 else None,
            "Owner": None if i % 3 == 0 else "P1",
        }
        for i in range(n)
    ]
    return {"goals": goals, "people": [{"ID": "P1", "Name": "Ann"}]}


def test_a_linear_rule_passes_and_its_counts_grow_in_proportion() -> None:
    before, after = assert_linear("AH201", tree)
    assert 0.8 * 8 < after / before <= 1.25 * 8, (before, after)


def test_a_rule_that_walks_every_goal_for_each_goal_fails_with_its_figures() -> None:
    plugins = [("quadratic", pf.GrowthRules())]
    with pytest.raises(AssertionError) as failed:
        assert_linear("ZZ010", tree, sizes=(100, 800), plugins=plugins)
    message = str(failed.value)
    assert "ZZ010 executed" in message and "for 8x the rows (at most 10.0x)" in message
    grown = float(message.split(": ")[1].split("x the work")[0])
    assert grown > 40, message
    # the same rule, measured with a slack that allows it, passes: the limit is the slack
    before, after = assert_linear("ZZ010", tree, sizes=(100, 800), slack=20, plugins=plugins)
    assert after > 8 * 1.25 * before


def test_the_count_is_the_rules_own_run_not_the_reading_of_the_rows() -> None:
    plugins = [("growth", pf.GrowthRules())]
    few = rule_bytecodes("ZZ011", tree(3), plugins=plugins)
    many = rule_bytecodes("ZZ011", tree(300), plugins=plugins)
    assert 0 < few == many  # a rule that looks at nothing does the same work
    reading = bytecodes(prepared_rule, "ZZ011", **tree(300), plugins=plugins)
    assert reading > 100 * many
    # and a rule that makes a finding for every goal does about 100x for 100x the goals
    every = [rule_bytecodes("ZZ003", tree(n), plugins=[("pf", pf.Crashing())]) for n in (3, 300)]
    assert 50 < every[1] / every[0] < 110, every


def test_a_rule_that_skips_has_no_work_to_measure() -> None:
    with pytest.raises(AssertionError, match="AH306 did not run over these rows: skipped"):
        rule_bytecodes("AH306", tree(10))  # no list of levels to check


def test_sizes_must_grow() -> None:
    with pytest.raises(ValueError, match="sizes must grow"):
        assert_linear("AH201", tree, sizes=(500, 500))


def test_counting_gives_back_a_tracer_already_set() -> None:
    """A coverage tool or debugger tracing the test keeps tracing after a count."""

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        return None

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        counted = bytecodes(tree, 30)
        after = sys.gettrace()
    finally:
        sys.settrace(before)
    assert after is tracer
    assert counted > 30 * 10  # a dict of six keys a goal, built in Python
    assert bytecodes(lambda: [i * 2 for i in range(100)]) > 100 * 3
