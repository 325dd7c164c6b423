"""OrgGraph queries, and properties checked against networkx on random graphs."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import networkx as nx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alignhealth.findings import Severity
from alignhealth.graph import OrgGraph, strongly_connected
from alignhealth.links import GoalLinks
from alignhealth.loaders.schema import SheetKind
from alignhealth.model import Goal, Origin
from alignhealth.rules.base import RuleContext, RuleOptions
from alignhealth.settings import Settings
from alignhealth.testing import build_graph, load_rows
from tests.conftest import simple_tree


def test_parents_children_and_unknown_parents() -> None:
    graph = build_graph(
        [
            {"ID": "G1", "Title": "Top"},
            {"ID": "G2", "Title": "A", "Parent": "G1"},
            {"ID": "G3", "Title": "B", "Parent": "G1; G2; G404"},
        ]
    )
    assert graph.parents("G3") == ("G1", "G2")
    assert graph.unknown_parents("G3") == ("G404",)
    assert graph.children("G1") == ["G2", "G3"]
    assert [g.id for g in graph.roots()] == ["G1"]
    assert graph.descendants("G1") == ["G2", "G3"]
    assert graph.ancestors("G3") == ["G1", "G2"]


def test_top_goals_are_roots_at_the_smallest_rank_in_use() -> None:
    graph = build_graph(
        [
            {"ID": "D1", "Title": "Division goal", "Level": "Division"},
            {"ID": "D2", "Title": "Another", "Level": "Division"},
            {"ID": "T1", "Title": "Team root", "Level": "Team"},
        ]
    )
    assert graph.top_rank == 1
    assert graph.top_goals == ["D1", "D2"]


def test_top_goal_without_levels_is_the_root_with_most_descendants() -> None:
    graph = build_graph(
        [
            {"ID": "B", "Title": "Small"},
            {"ID": "A", "Title": "Big"},
            {"ID": "A1", "Title": "x", "Parent": "A"},
            {"ID": "C", "Title": "Tie with B"},
        ]
    )
    assert graph.top_goals == ["A"]


def test_resolve_by_id_email_then_folded_name() -> None:
    graph = build_graph(**simple_tree())
    assert graph.resolve("P2").person_id == "P2"
    assert graph.resolve("ANN@ACME.example").person_id == "P1"
    assert graph.resolve("  bob  brown").person_id == "P2"
    assert graph.resolve("Nobody").status == "unknown"


def test_reporting_chain_stops_at_cycles() -> None:
    graph = build_graph(
        [{"ID": "G1", "Title": "T"}],
        people=[
            {"ID": "P1", "Name": "a", "Manager": "P3"},
            {"ID": "P2", "Name": "b", "Manager": "P1"},
            {"ID": "P3", "Name": "c", "Manager": "P2"},
            {"ID": "P4", "Name": "d", "Manager": "P1"},
        ],
    )
    assert graph.reports_to_chain("P4") == ["P1", "P3", "P2"]
    assert graph.reporting_cycles() == [["P1", "P2", "P3"]]


def test_level_ranks_from_vocabulary_numbers_and_a_configured_list() -> None:
    graph = build_graph(
        [
            {"ID": "G1", "Title": "a", "Level": "Enterprise"},
            {"ID": "G2", "Title": "b", "Level": "Department"},
        ]
    )
    assert (graph.goal_rank("G1"), graph.goal_rank("G2")) == (0, 2)
    configured = build_graph(
        [
            {"ID": "G1", "Title": "a", "Level": "Tribe"},
            {"ID": "G2", "Title": "b", "Level": "Squad"},
        ],
        level_order=["Tribe", "Squad"],
    )
    assert (configured.goal_rank("G1"), configured.goal_rank("G2")) == (0, 1)


def test_nx_view_holds_the_same_links() -> None:
    tree = simple_tree()
    tree["projects"] = [{"ID": "PR1", "Name": "Build", "Goal": "G2", "Owner": "P2"}]
    graph = build_graph(**tree)
    view = graph.nx
    kinds = {(u, v, d["kind"]) for u, v, d in view.edges(data=True)}
    assert (("goal", "G2"), ("goal", "G1"), "parent") in kinds
    assert (("goal", "G1"), ("person", "P1"), "owner") in kinds
    assert (("person", "P2"), ("person", "P1"), "manager") in kinds
    assert (("project", "PR1"), ("goal", "G2"), "advances") in kinds
    assert view.nodes[("goal", "G1")]["data"].title == "Grow"


# -- properties against networkx ---------------------------------------------------------

NODES = [f"N{i}" for i in range(12)]
EDGE_LISTS = st.dictionaries(
    st.sampled_from(NODES),
    st.lists(st.sampled_from(NODES), max_size=3, unique=True),
    max_size=12,
)


@given(EDGE_LISTS)
@settings(max_examples=200)
def test_strongly_connected_matches_networkx(edges: dict[str, list[str]]) -> None:
    ours = {frozenset(c) for c in strongly_connected(NODES, edges)}
    reference = nx.DiGraph()
    reference.add_nodes_from(NODES)
    reference.add_edges_from((u, v) for u, vs in edges.items() for v in vs)
    assert ours == {frozenset(c) for c in nx.strongly_connected_components(reference)}


def test_strongly_connected_survives_a_long_chain() -> None:
    chain = {f"N{i}": [f"N{i + 1}"] for i in range(50_000)}
    chain["N50000"] = ["N0"]
    components = strongly_connected([*list(chain), "N50000"], chain)
    assert len(components) == 1 and len(components[0]) == 50_001


@given(EDGE_LISTS)
@settings(max_examples=150)
def test_goal_queries_match_networkx(parents: dict[str, list[str]]) -> None:
    rows = [{"ID": n, "Title": n, "Parent": "; ".join(parents.get(n, []))} for n in NODES]
    graph = build_graph(rows)
    reference = nx.DiGraph()
    reference.add_nodes_from(NODES)
    reference.add_edges_from((child, p) for child, ps in parents.items() for p in ps)
    for node in NODES:
        assert set(graph.ancestors(node)) == nx.descendants(reference, node)
        assert set(graph.descendants(node)) == nx.ancestors(reference, node)
    cycles = {frozenset(c) for c in graph.cycles()}
    expected = {
        frozenset(c)
        for c in nx.strongly_connected_components(reference)
        if len(c) > 1 or reference.has_edge(next(iter(c)), next(iter(c)))
    }
    assert cycles == expected
    assert {g.id for g in graph.roots()} == {n for n in NODES if not parents.get(n)}
    # depth: the fewest links up to a top goal, for the goals that reach one
    down = reference.reverse()
    links = (
        nx.multi_source_dijkstra_path_length(down, set(graph.top_goals)) if graph.top_goals else {}
    )
    assert graph.depth == links


@given(
    st.lists(
        st.lists(st.sampled_from([*NODES[:6], "X1", "X2", " "]), max_size=4),
        min_size=6,
        max_size=6,
    )
)
@settings(max_examples=150)
def test_a_goals_own_parents_and_the_goals_with_children_agree_with_asking_by_id(
    cells: list[list[str]],
) -> None:
    # Parent cells naming goals above, below, themselves, twice, and ids of no goal.
    rows = [
        {"ID": n, "Title": n, "Parent": "; ".join(cell), "Status": "Done" if i == 2 else None}
        for i, (n, cell) in enumerate(zip(NODES[:6], cells, strict=True))
    ]
    graph = build_graph(rows)
    for goal in graph.goals.values():
        assert graph.goal_parents(goal) == graph.parents(goal.id)
    with_children = {g: graph.children(g) for g in graph.goals if graph.children(g)}
    assert dict(graph.goals_with_children) == with_children
    unknown = {g: graph.unknown_parents(g) for g in graph.goals if graph.unknown_parents(g)}
    assert list(graph.goals_with_unknown_parents.items()) == list(unknown.items())  # row order
    # Depth, breadth-first from the top goals with every goal reached remembered (the
    # definition); the graph remembers only goals with several parents.
    depth = dict.fromkeys(graph.top_goals, 0)
    level, links = list(depth), 0
    while level:
        links += 1
        level = [c for g in level for c in graph.children(g) if c not in depth]
        depth.update(dict.fromkeys(level, links))
        level = list(dict.fromkeys(level))
    assert graph.depth == depth
    assert [g for lv in graph.depth_levels for g in lv] == list(depth)  # each goal once
    # active_owner_cells: the positions of the active goals, by their owner cell
    positions = [p for ps in graph.active_owner_cells.values() for p in ps]
    assert sorted(positions) == list(range(len(graph.active_goals)))


DAYS = st.one_of(st.none(), st.dates(dt.date(2026, 9, 1), dt.date(2026, 12, 31)))


def last_review_goal_by_goal(graph: OrgGraph, goal: Goal, as_of: dt.date) -> dt.date | None:
    """The definition: the later of the goal's last-reviewed cell and its latest Reviews
    row, ignoring dates after the as-of date."""
    last = goal.last_reviewed if goal.last_reviewed and goal.last_reviewed <= as_of else None
    for review in graph.reviews_of(goal.id):
        day = review.date
        if day is not None and day <= as_of and (last is None or day > last):
            last = day
    return last


@given(
    cells=st.lists(DAYS, min_size=1, max_size=6),
    reviews=st.lists(st.tuples(st.integers(0, 7), DAYS), min_size=1, max_size=12),
)
@settings(max_examples=150)
def test_last_reviews_match_the_goal_by_goal_reference(
    cells: list[dt.date | None], reviews: list[tuple[int, dt.date | None]]
) -> None:
    # Goal n's last-reviewed cell is cells[n]; reviews may name goals that do not exist,
    # and dates after the as-of date (2026-11-15) do not count.
    goals = [{"ID": f"G{n}", "Title": "x", "Last Reviewed": day} for n, day in enumerate(cells)]
    rows = [{"Goal": f"G{n}", "Review Date": day} for n, day in reviews]
    graph = build_graph(goals, reviews=rows, as_of=dt.date(2026, 11, 15))
    for goal in graph.goals.values():
        expected = last_review_goal_by_goal(graph, goal, graph.as_of)
        assert graph.last_reviews[goal.id] == expected
    assert set(graph.last_reviews) == set(graph.goals)
    # A rule run as of another day (a test's settings) gets that day's last reviews.
    for as_of in (graph.as_of, dt.date(2026, 10, 1)):
        settings = Settings(as_of=as_of)
        ctx = RuleContext(cast(Any, None), graph, RuleOptions(), settings, Severity.LOW, "test")
        known = ctx.last_reviews()
        for goal in graph.goals.values():
            expected = last_review_goal_by_goal(graph, goal, as_of)
            assert known[goal.id] == ctx.last_review(goal) == expected


@given(st.lists(st.one_of(st.none(), st.integers(0, 11)), min_size=1, max_size=12))
@settings(max_examples=200)
def test_reporting_cycles_match_networkx(managers: list[int | None]) -> None:
    # Person n reports to managers[n] (None: to nobody; themself: to nobody either).
    people = [
        {"ID": f"P{n}", "Name": f"Person {n}", "Manager": None if m is None else f"P{m}"}
        for n, m in enumerate(managers)
    ]
    graph = build_graph([{"ID": "G1", "Title": "x"}], people=people)
    reference = nx.DiGraph()
    reference.add_nodes_from(p["ID"] for p in people)
    reference.add_edges_from(
        (f"P{n}", f"P{m}") for n, m in enumerate(managers) if m is not None and m != n
    )
    expected = sorted(sorted(c) for c in nx.strongly_connected_components(reference) if len(c) > 1)
    assert graph.reporting_cycles() == expected


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 7)),  # manager
            st.sampled_from([None, "Company", "Division", "Team", "Galaxy"]),  # level
            st.sampled_from(["Yes", "No"]),  # active
            st.one_of(st.none(), st.dates(dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 3),
)
@settings(max_examples=150)
def test_leaders_are_the_people_is_leader_would_name_one_by_one(
    people: list[tuple[int | None, str | None, str, dt.date | None]], max_rank: int
) -> None:
    rows = [
        {
            "ID": f"P{n}",
            "Manager": None if m is None else f"P{m}",
            "Level": level,
            "Active": active,
            "End Date": left,
        }
        for n, (m, level, active, left) in enumerate(people)
    ]
    graph = build_graph([{"ID": "G1", "Title": "x"}], people=rows, as_of=dt.date(2026, 11, 15))

    def one_by_one(person_id: str) -> bool:
        # The definition: active, and at most max_rank; without a known rank, a manager.
        person = graph.people[person_id]
        left = person.left_on is not None and person.left_on < graph.as_of
        if not person.active or left:
            return False
        rank = graph.person_rank(person_id)
        return rank <= max_rank if rank is not None else person_id in graph.managers

    expected = {p for p in graph.people if one_by_one(p)}
    assert graph.leaders(max_rank) == expected
    assert all(graph.is_leader(p, max_rank) == (p in expected) for p in graph.people)


@given(st.lists(st.one_of(st.none(), st.integers(0, 11)), min_size=1, max_size=12))
@settings(max_examples=200)
def test_reports_to_and_managers_follow_the_chain_outside_cycles(
    managers: list[int | None],
) -> None:
    # Person n reports to managers[n]; a person in a reporting cycle counts as having
    # no manager, so nobody is above anyone through a cycle.
    people = [
        {"ID": f"P{n}", "Name": f"Person {n}", "Manager": None if m is None else f"P{m}"}
        for n, m in enumerate(managers)
    ]
    graph = build_graph([{"ID": "G1", "Title": "x"}], people=people)
    boss = {
        f"P{n}": f"P{m}"
        for n, m in enumerate(managers)
        if m is not None and m != n and m < len(managers)  # a manager who is a person
    }
    in_cycle = {p for group in graph.reporting_cycles() for p in group}

    def above(person: str) -> list[str]:
        chain = []
        while person not in in_cycle and person in boss:
            person = boss[person]
            chain.append(person)
        return chain

    for person in graph.people:
        assert graph.manager_of(person) == boss.get(person)
        for other in graph.people:
            assert graph.reports_to(person, other) == (other in above(person)), (person, other)
    assert graph.managers == frozenset(boss.values())


@given(
    st.lists(
        st.lists(
            st.sampled_from(["P1", "P2", "ann@x.example", "Bob", "Nobody", "nobody"]),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=100)
def test_owner_keys_agree_with_resolving_each_reference(cells: list[list[str]]) -> None:
    # A cell naming one person by id takes a shorter way than the rest: the same keys.
    graph = build_graph(
        [{"ID": f"G{n}", "Title": "x", "Owner": "; ".join(cell)} for n, cell in enumerate(cells)],
        people=[
            {"ID": "P1", "Name": "Ann", "Email": "ann@x.example"},
            {"ID": "P2", "Name": "Bob"},
        ],
    )
    for goal in graph.goals.values():
        expected = tuple(dict.fromkeys(graph.resolve(ref).person_id or ref for ref in goal.owners))
        assert graph.owner_keys(goal.owners) == expected
        resolved = [m.person_id for m in graph.matches_of(goal.owners) if m.person_id]
        assert graph.owner_ids(goal.owners) == resolved


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["P1", "P2", "ann@x.example", "Bob", "Nobody"]), max_size=3),
            st.booleans(),  # done
        ),
        min_size=1,
        max_size=10,
    )
)
@example([(["P1"], False), (["ann@x.example", "Bob"], False), (["P1"], False)])
@settings(max_examples=150)
def test_owned_goals_are_each_active_goal_under_each_of_its_owners_in_row_order(
    cells: list[tuple[list[str], bool]],
) -> None:
    # Cells naming one owner, several, the same person twice (by id and by e-mail), and
    # no one; done goals are left out.
    graph = build_graph(
        [
            {
                "ID": f"G{n}",
                "Title": "x",
                "Owner": "; ".join(cell),
                "Status": "Done" if done else None,
            }
            for n, (cell, done) in enumerate(cells)
        ],
        people=[
            {"ID": "P1", "Name": "Ann", "Email": "ann@x.example"},
            {"ID": "P2", "Name": "Bob"},
        ],
    )
    expected: dict[str, list[str]] = {}
    for goal in graph.goals.values():
        if goal.active:
            for key in graph.owner_keys(goal.owners):
                expected.setdefault(key, []).append(goal.id)
    owned = {key: [g.id for g in goals] for key, goals in graph.owned_goals.items()}
    assert list(owned.items()) == list(expected.items())  # owners in order of first goal
    # The cells' own position lists are not changed by an owner gathered from several.
    active = graph.active_goals
    for cell, positions in graph.active_owner_cells.items():
        assert positions == [p for p, goal in enumerate(active) if goal.owners == cell]


@given(
    st.lists(
        st.lists(st.integers(0, 14), max_size=3),  # parents by row; 10-14 match no goal
        min_size=1,
        max_size=10,
    ),
    st.integers(1, 4),
)
@settings(max_examples=300)
def test_goal_links_made_a_chunk_at_a_time_are_those_made_at_once(
    cells: list[list[int]], chunk: int
) -> None:
    # As the reader links them: a chunk of rows at a time, knowing only the goals read so
    # far, so that a parent further down the sheet (or the goal itself) is settled last.
    goals = {
        f"G{n}": Goal(
            id=f"G{n}",
            title="x",
            origin=Origin("w.xlsx", "Goals", n + 2, {}),
            parent_ids=tuple(f"G{p}" for p in parents),
        )
        for n, parents in enumerate(cells)
    }
    at_once = GoalLinks()
    at_once.add(goals.values(), goals)
    at_once.finish(goals)
    as_read = GoalLinks()
    known: dict[str, Goal] = {}
    records = list(goals.values())
    for start in range(0, len(records), chunk):
        known.update((g.id, g) for g in records[start : start + chunk])
        as_read.add(records[start : start + chunk], known)
    as_read.finish(goals)
    assert as_read.added == at_once.added == len(goals)
    assert as_read.parents == at_once.parents
    assert as_read.children == at_once.children  # each parent's children in row order
    assert as_read.unparented == at_once.unparented
    assert as_read.unknown == at_once.unknown
    # ...which are the links the definitions give
    for goal_id, goal in goals.items():
        existing = tuple(p for p in goal.parent_ids if p in goals)
        assert at_once.parents.get(goal_id, ()) == existing
        assert at_once.unknown.get(goal_id, ()) == tuple(
            p for p in goal.parent_ids if p not in goals
        )
        assert at_once.children.get(goal_id, []) == [
            c for c, g in goals.items() for p in g.parent_ids if p == goal_id
        ]
    assert at_once.unparented == [
        g for g in goals if not any(p in goals for p in goals[g].parent_ids)
    ]


def test_the_graph_takes_the_links_the_reader_made_only_for_the_goals_it_read(
    tmp_path: Any,
) -> None:
    from alignhealth.loaders.workbook import load_workbook
    from alignhealth.testing import write_workbook

    rows = [["ID", "Title", "Parent"], ["G2", "Below", "G1"], ["G1", "Top", None]]
    rows += [["G3", "Orphan", "G9"], ["G4", "Under two", "G1; G2"]]
    path = write_workbook(tmp_path / "links.xlsx", sheets={"Goals": rows})
    loaded = load_workbook(path)
    assert loaded.goal_links is not None and loaded.goal_links.added == 4
    graph = OrgGraph(loaded, as_of=dt.date(2026, 11, 15))
    assert graph._children is loaded.goal_links.children  # taken, not made again
    assert graph.children("G1") == ["G2", "G4"] and graph.parents("G2") == ("G1",)
    assert graph.unknown_parents("G3") == ("G9",) and graph.parents("G4") == ("G1", "G2")
    assert [g.id for g in graph.roots()] == ["G1"]
    # a loader that changed the goals since: the links are made afresh
    loaded.goals = loaded.goals[:2]
    again = OrgGraph(loaded, as_of=dt.date(2026, 11, 15))
    assert again._children is not loaded.goal_links.children
    assert again.children("G1") == ["G2"] and "G4" not in again.goals


def test_links_the_reader_made_a_few_rows_at_a_time_give_the_graph_made_afresh(
    tmp_path: Any, monkeypatch: Any
) -> None:
    # Parents above and below their rows, repeated ids, blank ids, unknown parents and a
    # cycle, linked two rows at a time by the reader: the graph is the one made afresh.
    from alignhealth.loaders import tables
    from alignhealth.loaders.workbook import load_workbook
    from alignhealth.testing import write_workbook

    monkeypatch.setattr(tables, "LINK_ROWS", 2)
    rows = [["ID", "Title", "Parent"]]
    rows += [["G5", "Below its parent", "G1"], ["G1", "Top", None], ["G2", "A", "G1; G7"]]
    rows += [["G3", "Cycle", "G4"], [None, "No id", "G1"], ["G4", "Cycle", "G3"]]
    rows += [["G2", "Repeated", "G3"], ["G6", "Unknown", "G99"], ["G7", "Late", "G1"]]
    rows += [["G8", "Self", "G8; G5"], ["G9", "Under late", "G7"]]
    path = write_workbook(tmp_path / "links.xlsx", sheets={"Goals": rows})
    loaded = load_workbook(path)
    as_read = OrgGraph(loaded, as_of=dt.date(2026, 11, 15))
    assert as_read._children is loaded.goal_links.children  # the reader's links were taken
    loaded.goal_links = None
    afresh = OrgGraph(loaded, as_of=dt.date(2026, 11, 15))
    for goal_id in afresh.goals:
        assert as_read.parents(goal_id) == afresh.parents(goal_id), goal_id
        assert as_read.children(goal_id) == afresh.children(goal_id), goal_id
        assert as_read.unknown_parents(goal_id) == afresh.unknown_parents(goal_id), goal_id
    assert as_read._unparented == afresh._unparented
    assert as_read.cycles() == afresh.cycles() == [["G3", "G4"], ["G8"]]
    assert as_read.children("G1") == ["G5", "G2", "G7"]  # row order, G5 above G1
    assert list(as_read.nx.edges(keys=False)) == list(afresh.nx.edges(keys=False))


def test_owner_matches_asks_once_per_distinct_owner_cell() -> None:
    graph = build_graph(
        [
            {"ID": "G1", "Title": "a", "Owner": "P1"},
            {"ID": "G2", "Title": "b", "Owner": "P1"},
            {"ID": "G3", "Title": "c", "Owner": "Nobody"},
            {"ID": "G4", "Title": "d", "Owner": "P1; Nobody"},
            {"ID": "G5", "Title": "e", "Owner": "Nobody", "Status": "Done"},
            {"ID": "G6", "Title": "f", "Owner": "Someone; Nobody"},
            {"ID": "G7", "Title": "g", "Owner": "Nobody"},
        ],
        people=[{"ID": "P1", "Name": "Ann"}],
    )
    settings = Settings(as_of=graph.as_of)
    ctx = RuleContext(cast(Any, None), graph, RuleOptions(), settings, Severity.LOW, "test")
    asked: list[str] = []

    def unknown(match: Any) -> bool:
        asked.append(match.ref)
        return bool(match.status == "unknown")

    found = [(goal.id, match.ref) for goal, match in ctx.owner_matches(unknown)]
    # In row order, though G7 shares G3's cell; G5 is done: not active.
    assert found == [
        ("G3", "Nobody"),
        ("G4", "Nobody"),
        ("G6", "Someone"),
        ("G6", "Nobody"),
        ("G7", "Nobody"),
    ]
    assert asked == ["P1", "Nobody", "P1", "Nobody", "Someone", "Nobody"]  # G2 shares G1's


def test_owner_keys_name_each_owner_once_and_agree_with_owned_goals() -> None:
    graph = build_graph(
        [
            {"ID": "G1", "Title": "a", "Owner": "P1; ann@x.example; Nobody; nobody"},
            {"ID": "G2", "Title": "b", "Owner": "Ann"},
            {"ID": "G3", "Title": "c", "Owner": "Nobody"},
        ],
        people=[{"ID": "P1", "Name": "Ann", "Email": "ann@x.example"}],
    )
    cell = graph.goals["G1"].owners
    # by id and by e-mail is one person; a name that resolves to nobody stays as written
    assert graph.owner_keys(cell) == ("P1", "Nobody", "nobody")
    assert graph.owner_keys(cell) is graph.owner_keys(cell)  # once per cell
    owned = {owner: [g.id for g in goals] for owner, goals in graph.owned_goals.items()}
    assert owned == {"P1": ["G1", "G2"], "Nobody": ["G1", "G3"], "nobody": ["G1"]}


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 6), st.sampled_from(["High", "Low", "Yes", "No"])),
            st.sampled_from(["On Track", "Done", "Cancelled", None]),
        ),
        min_size=1,
        max_size=10,
    ),
    st.integers(1, 5),
)
@settings(max_examples=100)
def test_priority_goals_are_the_active_goals_a_rule_calls_priority(
    cells: list[tuple[int | str | None, str | None]], rank: int
) -> None:
    goals = [
        {"ID": f"G{n}", "Title": "x", "Priority": priority, "Status": status}
        for n, (priority, status) in enumerate(cells)
    ]
    graph = build_graph(goals)
    settings = Settings(as_of=graph.as_of, priority_rank=rank)
    ctx = RuleContext(cast(Any, None), graph, RuleOptions(), settings, Severity.LOW, "test")
    expected = [g for g in graph.goals.values() if g.active and ctx.is_priority(g)]
    assert list(ctx.priority_goals()) == expected
    assert ctx.priority_goals() is ctx.priority_goals(), "worked out once per rank"


@given(
    st.lists(
        st.sampled_from(["G1", "G2", " G2 ", "g3", "G3", "", "  ", "G-4"]), min_size=1, max_size=12
    ),
    st.lists(st.sampled_from(["P1", "P2", "p1", ""]), max_size=6),
)
@settings(max_examples=100)
def test_the_graph_takes_the_readers_records_by_id_first_row_first(
    goal_ids: list[str], person_ids: list[str]
) -> None:
    loaded = load_rows(
        [{"ID": i, "Title": "x"} for i in goal_ids],
        people=[{"ID": i, "Name": "n"} for i in person_ids] or None,
        projects=[{"ID": "PR1", "Name": "p", "Goal": "G1"}, {"ID": "PR1", "Name": "q"}],
    )
    graph = OrgGraph(loaded, as_of=dt.date(2026, 11, 15))
    for records, by_id in (
        (loaded.goals, graph.goals),
        (loaded.people, graph.people),
        (loaded.projects, graph.projects),
    ):
        first: dict[str, Any] = {}
        for record in records or ():
            first.setdefault(record.id, record)
        assert list(by_id.items()) == list(first.items()), "every id once, in row order"
        assert len(by_id) == len(records or ()), "a repeated id's later row is left out"
    if loaded.goals:
        assert graph.goals is loaded.by_id[SheetKind.GOALS], "not indexed again"


def test_an_index_that_no_longer_matches_its_records_is_not_used() -> None:
    loaded = load_rows([{"ID": "G1", "Title": "a"}, {"ID": "G2", "Title": "b"}])
    loaded.goals = [loaded.goals[1], loaded.goals[0]]  # a plugin's loader reordered them
    assert list(OrgGraph(loaded, as_of=dt.date(2026, 11, 15)).goals) == ["G2", "G1"]
    loaded.goals = loaded.goals[:1]  # or dropped one
    assert list(OrgGraph(loaded, as_of=dt.date(2026, 11, 15)).goals) == ["G2"]


STATUSES = ["On Track", "Done", "Cancelled", None]


@given(
    st.lists(st.tuples(st.integers(0, 6), st.sampled_from(STATUSES)), min_size=1, max_size=8),
    st.lists(
        st.tuples(st.lists(st.integers(0, 9), max_size=3), st.sampled_from(STATUSES)),
        max_size=8,
    ),
)
@settings(max_examples=100)
def test_active_work_is_an_active_child_or_an_active_project(
    goals: list[tuple[int, str | None]], projects: list[tuple[list[int], str | None]]
) -> None:
    # parents and projects may name goals that do not exist (G7-G9)
    graph = build_graph(
        [
            {"ID": f"G{n}", "Title": "x", "Parent": f"G{parent}" if parent != n else None}
            | ({"Status": status} if status else {})
            for n, (parent, status) in enumerate(goals)
        ],
        projects=[
            {"ID": f"PR{n}", "Name": "p", "Goal": "; ".join(f"G{g}" for g in linked)}
            | ({"Status": status} if status else {})
            for n, (linked, status) in enumerate(projects)
        ]
        or None,
    )
    for goal_id in graph.goals:
        expected = any(graph.goals[c].active for c in graph.children(goal_id)) or any(
            p.active for p in graph.projects_of(goal_id)
        )
        assert graph.has_active_work(goal_id) == expected, goal_id
