"""Every core rule does work in proportion to the graph: counted, not timed.

Each rule runs on the benchmark's generated workbooks of 1,000 and 8,000 goals while the
interpreter counts the bytecode it executes (``sys.settrace`` with opcode events). The
count does not depend on the machine or its load, so a rule that walks the goals once
per goal (64x the work for 8x the goals) fails here however fast the machine, where a
timed test would be flaky and the benchmark (``benchmarks/run.py``) is read by hand.
What the count cannot see is work done inside one C call (``x in a_list``, a ``sorted``
in a loop): the benchmark's per-rule growth covers that.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import networkx
import pytest

from alignhealth.engine import (
    CheckRequest,
    Session,
    blank_outcome,
    build_graph,
    load,
    make_host,
    prepare,
    run_one,
    run_rules,
)
from alignhealth.graph import OrgGraph
from alignhealth.health import summarize, take_census
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.model import Goal
from alignhealth.rules.base import RunState
from alignhealth.testing import bytecodes
from alignhealth.testing.growth import SLACK

SMALL, LARGE = 1_000, 8_000
GROWTH = LARGE / SMALL


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Session, LoadedWorkbook]]:
    """A session and loaded workbook of each size, from the benchmark's generator (planted
    problems included, so that the rules that flag them make findings in proportion)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    made = {}
    for size in (SMALL, LARGE):
        path = tmp_path_factory.mktemp("linear") / f"goals-{size}.xlsx"
        generate(size, path)
        session = prepare(
            CheckRequest(as_of=dt.date(2026, 11, 15), jobs=1), make_host(autoload=False)
        )
        made[size] = (session, load(session, path))
    return made


@pytest.fixture(scope="module")
def graphs(
    books: dict[int, tuple[Session, LoadedWorkbook]],
) -> dict[int, tuple[Session, OrgGraph]]:
    return {
        size: (session, build_graph(session, loaded)) for size, (session, loaded) in books.items()
    }


def rule_work(session: Session, graph: OrgGraph) -> dict[str, tuple[int, str]]:
    """Each rule's bytecodes and status, run in selection order: a rule that first asks
    for a shared index counts building it, at both sizes alike; the report rules (AH9)
    see a run with no crash and no suppression."""
    done = {}
    for code in session.config.selected:
        outcome = blank_outcome(session, code)
        executed = bytecodes(run_one, session, code, graph, RunState(), outcome)
        done[code] = (executed, outcome.status)
    return done


def test_every_core_rule_does_work_in_proportion_to_the_goals(
    graphs: dict[int, tuple[Session, OrgGraph]],
) -> None:
    small, large = (rule_work(*graphs[size]) for size in (SMALL, LARGE))
    assert len(small) >= 40 and small.keys() == large.keys()
    # A rule that skipped or crashed did no work to measure.
    for work in (small, large):
        assert {status for _, status in work.values()} == {"ok", "findings"}, work
    too_much = {
        code: f"{small[code][0]:,} -> {large[code][0]:,} bytecodes"
        for code in small
        if large[code][0] > SLACK * GROWTH * small[code][0]
    }
    assert not too_much, too_much
    # and the measure sees the walks: most rules do about GROWTH times the work
    grew = sorted(large[c][0] / small[c][0] for c in small)
    assert 0.8 * GROWTH < grew[len(grew) // 2] <= SLACK * GROWTH, grew


def test_the_summary_does_work_in_proportion_to_the_goals(
    graphs: dict[int, tuple[Session, OrgGraph]],
) -> None:
    """The health score of every goal, owner and level, from the rules' findings."""

    def summary_work(session: Session, graph: OrgGraph) -> int:
        findings, _, _ = run_rules(session, graph)
        assert len(findings) > len(graph.goals) // 100
        groups = {code: r.rule.groups for code, r in session.registry.rules.items()}
        return bytecodes(
            lambda: summarize(graph, findings, groups, incomplete=False, census=take_census(graph))
        )

    small, large = (summary_work(*graphs[size]) for size in (SMALL, LARGE))
    assert 0.8 * GROWTH < large / small <= SLACK * GROWTH, (small, large)


def test_the_count_catches_a_walk_of_the_goals_for_each_goal(
    graphs: dict[int, tuple[Session, OrgGraph]],
) -> None:
    """What a quadratic rule looks like to the measure above (a rule that, for each goal,
    counts the goals at its level), so that the test above is known to be able to fail."""

    def peers_of_each(goals: list[Goal]) -> int:
        return sum(1 for goal in goals for other in goals if other.level == goal.level)

    # A tenth of each graph's goals: the walk is 64 times the work, and traced.
    small_goals, large_goals = (
        list(graphs[size][1].goals.values())[: size // 10] for size in (SMALL, LARGE)
    )
    small = bytecodes(peers_of_each, small_goals)
    large = bytecodes(peers_of_each, large_goals)
    assert large > SLACK * GROWTH * small
    assert large > 0.8 * GROWTH * GROWTH * small


def test_the_graph_and_its_networkx_view_are_built_in_proportion_to_the_goals(
    books: dict[int, tuple[Session, LoadedWorkbook]],
) -> None:
    """The graph of the loaded records (links, indexes), and the networkx graph plugins
    are given on first use."""

    def graph_work(session: Session, loaded: LoadedWorkbook) -> tuple[int, int]:
        made: list[OrgGraph] = []
        as_of = session.config.settings.as_of
        built = bytecodes(lambda: made.append(OrgGraph(loaded, as_of=as_of)))
        # (networkx is imported already, so that importing it is not counted)
        viewed = bytecodes(lambda: made[0].nx)
        assert isinstance(made[0].nx, networkx.MultiDiGraph)
        assert made[0].nx.number_of_nodes() > len(made[0].goals)
        return built, viewed

    (small_graph, small_nx), (large_graph, large_nx) = (
        graph_work(*books[size]) for size in (SMALL, LARGE)
    )
    assert 0.8 * GROWTH < large_graph / small_graph <= SLACK * GROWTH, (small_graph, large_graph)
    assert 0.8 * GROWTH < large_nx / small_nx <= SLACK * GROWTH, (small_nx, large_nx)
