"""OrgGraph: the goals, people and projects of a workbook, indexed for the questions rules ask.

Rules run over plain dict adjacency built once per run: networkx's per-call cost is
paid only by plugins that ask for :attr:`OrgGraph.nx`, which is built on first use.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeVar

from alignhealth.levels import LevelScale
from alignhealth.links import GoalLinks
from alignhealth.loaders.result import LoadedWorkbook, LoadProblem
from alignhealth.loaders.schema import SheetKind
from alignhealth.loaders.values import fold_name
from alignhealth.model import Goal, LevelDef, Person, Project, Review

if TYPE_CHECKING:
    import networkx as nx

MatchStatus = Literal["resolved", "unknown", "ambiguous"]
R = TypeVar("R", Goal, Person, Project)


class PersonMatch(NamedTuple):
    """How a reference to a person (id, e-mail or name) resolved.

    A named tuple, not a frozen dataclass: one is made for every distinct owner and
    manager (half a million at a million goals), and a frozen dataclass's ``__init__``
    took twice as long."""

    ref: str
    status: MatchStatus
    person_id: str | None = None
    candidates: tuple[str, ...] = ()


def strongly_connected(nodes: Iterable[str], edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit), linear."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(edges.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges.get(succ, ()))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _by_id(loaded: LoadedWorkbook, kind: SheetKind, records: list[R] | None) -> dict[str, R]:
    """The records by id: the loader's index where it made one for these very records (a
    plugin's loader may have changed the list since)."""
    indexed = loaded.by_id.get(kind)
    if indexed and records and len(indexed) == len(records):
        ends = next(iter(indexed.values())), next(reversed(indexed.values()))
        if ends[0] is records[0] and ends[1] is records[-1]:
            return indexed
    return {r.id: r for r in records or ()}


class OrgGraph:
    """The organisation as rules see it.

    Goals, people and projects keyed by id (the first row of a duplicated id), with
    parent/child, owner, manager and level indexes. A sheet the workbook lacks leaves its
    collection empty and its ``has_*`` flag false.
    """

    def __init__(
        self,
        loaded: LoadedWorkbook,
        *,
        as_of: dt.date,
        levels: Sequence[str] | None = None,
    ) -> None:
        self.source = loaded
        self.as_of = as_of
        self.goals: dict[str, Goal] = _by_id(loaded, SheetKind.GOALS, loaded.goals)
        self.people: dict[str, Person] = _by_id(loaded, SheetKind.PEOPLE, loaded.people)
        self.projects: dict[str, Project] = _by_id(loaded, SheetKind.PROJECTS, loaded.projects)
        self.reviews: list[Review] = list(loaded.reviews or ())
        self.level_defs: list[LevelDef] = list(loaded.levels or ())
        self.problems: list[LoadProblem] = loaded.problems
        self.has_people = loaded.people is not None
        self.has_projects = loaded.projects is not None
        self.has_reviews = loaded.reviews is not None
        self.has_levels_sheet = loaded.levels is not None
        self.configured_levels = tuple(levels or ())

        links = loaded.goal_links
        if (
            links is None
            or self.goals is not loaded.by_id.get(SheetKind.GOALS)
            or links.added != len(self.goals)
        ):
            links = GoalLinks()
            links.add(self.goals.values(), self.goals)
        links.finish(self.goals)
        self._parents: dict[str, tuple[str, ...]] = links.parents
        self._unknown_parents: dict[str, tuple[str, ...]] = links.unknown
        self._children: dict[str, list[str]] = links.children
        #: Goals with no parent that exists (where a walk down the tree starts).
        self._unparented: list[str] = links.unparented

        level_texts = [g.level for g in self.goals.values() if g.level]
        level_texts += [p.level for p in self.people.values() if p.level]
        self.levels = LevelScale.build(
            level_texts,
            self.level_defs,
            self.configured_levels or loaded.level_order,
            "ruleset" if self.configured_levels else "the source format",
        )
        self._resolved: dict[str, PersonMatch] = {}
        self._owner_matches: dict[tuple[str, ...], list[PersonMatch]] = {}
        self._owner_keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._priority_goals: dict[int, list[Goal]] = {}
        self._leaders: dict[int, frozenset[str]] = {}
        self._review_rows: dict[dt.date, dict[str, dt.date]] = {}

    # -- goals ---------------------------------------------------------------------------

    def parents(self, goal_id: str) -> tuple[str, ...]:
        """The goals named in the goal's parent cell that exist, in cell order."""
        return self._parents.get(goal_id, ())

    def goal_parents(self, goal: Goal) -> tuple[str, ...]:
        """``parents(goal.id)`` for a goal of this graph, without looking the goal up: its
        parent cell's ids, unless some of them match no goal.

        For rules that walk every goal: at a million goals a look-up by id costs about
        0.3 us (the index of a million keys is out of the processor's caches), and only
        the few goals naming an unknown parent are looked up here."""
        if goal.parent_ids and goal.id in self._unknown_parents:
            return self._parents.get(goal.id, ())
        return goal.parent_ids

    def unknown_parents(self, goal_id: str) -> tuple[str, ...]:
        """Parent ids in the goal's parent cell that match no goal."""
        return self._unknown_parents.get(goal_id, ())

    def children(self, goal_id: str) -> list[str]:
        """Goals that name this goal as a parent, in row order."""
        return self._children.get(goal_id, [])

    @property
    def goals_with_children(self) -> Mapping[str, list[str]]:
        """Each goal that has children, with them (as :meth:`children` gives them), in the
        order the first child of each was linked. A rule that looks for goals by their
        children walks these rather than asking every goal (a look-up by id costs about
        0.3 us at a million goals)."""
        return self._children

    @property
    def goals_with_unknown_parents(self) -> Mapping[str, tuple[str, ...]]:
        """Each goal whose parent cell names ids that match no goal, with those ids (as
        :meth:`unknown_parents` gives them), in row order."""
        return self._unknown_parents

    # The projects and reviews of each goal are gathered when first asked for: the core
    # rules look up reviews through last_review_on and active projects through
    # has_active_work, so only a plugin's rule pays for these.
    @cached_property
    def _projects_of(self) -> dict[str, list[str]]:
        projects_of: dict[str, list[str]] = {}
        for project in self.projects.values():
            for goal_id in project.goal_ids:
                if goal_id in self.goals:
                    projects_of.setdefault(goal_id, []).append(project.id)
        return projects_of

    @cached_property
    def _reviews_of(self) -> dict[str, list[Review]]:
        reviews_of: dict[str, list[Review]] = {}
        for review in self.reviews:
            reviews_of.setdefault(review.goal_id, []).append(review)
        return reviews_of

    def projects_of(self, goal_id: str) -> list[Project]:
        """Projects linked to the goal."""
        return [self.projects[p] for p in self._projects_of.get(goal_id, ())]

    @cached_property
    def _actively_worked(self) -> set[str]:
        # The rules ask only whether a goal has an active project, not which: a set of
        # ids, made in one pass, costs a quarter of the projects gathered per goal.
        return {goal_id for p in self.projects.values() if p.active for goal_id in p.goal_ids}

    def has_active_work(self, goal_id: str) -> bool:
        """Whether an active child goal or an active project carries the goal forward."""
        return goal_id in self._actively_worked or any(
            self.goals[c].active for c in self.children(goal_id)
        )

    def reviews_of(self, goal_id: str) -> list[Review]:
        """Rows of the Reviews sheet about the goal."""
        return self._reviews_of.get(goal_id, [])

    def roots(self) -> list[Goal]:
        """Goals whose parent cell is blank."""
        return [g for g in self.goals.values() if not g.parent_ids]

    def ancestors(self, goal_id: str) -> list[str]:
        """Every goal above, nearest first (breadth-first); safe on cycles."""
        return self._walk(goal_id, self.parents)

    def descendants(self, goal_id: str) -> list[str]:
        """Every goal below, nearest first (breadth-first); safe on cycles."""
        return self._walk(goal_id, self.children)

    @staticmethod
    def _walk(start: str, step: Callable[[str], Sequence[str]]) -> list[str]:
        seen = {start}
        order: list[str] = []
        queue = deque([start])
        while queue:
            for node in step(queue.popleft()):
                if node not in seen:
                    seen.add(node)
                    order.append(node)
                    queue.append(node)
        return order

    def goal_rank(self, goal_id: str) -> int | None:
        """The rank of the goal's level (0 is the top); None when blank or unknown."""
        return self.levels.rank(self.goals[goal_id].level)

    @cached_property
    def active_goals(self) -> list[Goal]:
        """Goals that are not done or cancelled, in row order (computed once)."""
        return [g for g in self.goals.values() if g.active]

    @cached_property
    def active_owner_cells(self) -> dict[tuple[str, ...], list[int]]:
        """Each owner cell of the active goals, with the positions (in
        :attr:`active_goals`) of the goals that share it, in row order. A rule that judges
        owners judges each distinct cell once (a million goals have a quarter of a million
        cells), and looks at the goals of the few cells it finds fault with."""
        cells: dict[tuple[str, ...], list[int]] = {}
        for position, goal in enumerate(self.active_goals):
            positions = cells.get(goal.owners)
            if positions is None:
                cells[goal.owners] = [position]
            else:
                positions.append(position)
        return cells

    def priority_goals(self, priority_rank: int) -> list[Goal]:
        """Active goals whose priority makes them priority goals at ``priority_rank``, in
        row order (worked out once per rank: several rules look only at these)."""
        found = self._priority_goals.get(priority_rank)
        if found is None:
            found = self._priority_goals[priority_rank] = [
                g
                for g in self.active_goals
                if g.priority is not None and g.priority.is_priority(priority_rank)
            ]
        return found

    @cached_property
    def last_reviews(self) -> dict[str, dt.date | None]:
        """Each goal's last review on or before the as-of date: the later of its
        last-reviewed cell and its latest Reviews row (one pass over each, where asking
        goal by goal costs a look-up and a call per goal)."""
        return self.last_reviews_on(self.as_of)

    def review_rows_on(self, as_of: dt.date) -> dict[str, dt.date]:
        """Each goal id's latest date in the Reviews sheet on or before ``as_of`` (ids with
        none are absent); worked out once per date. With the goal's own last-reviewed
        cell it gives the goal's last review (:meth:`last_review_on`)."""
        latest = self._review_rows.get(as_of)
        if latest is None:
            latest = self._review_rows[as_of] = {}
            for review in self.reviews:
                day = review.date
                if day is not None and day <= as_of:
                    seen = latest.get(review.goal_id)
                    if seen is None or day > seen:
                        latest[review.goal_id] = day
        return latest

    def last_review_on(self, goal: Goal, as_of: dt.date) -> dt.date | None:
        """The goal's last review on or before ``as_of``: the later of its last-reviewed
        cell (unless after ``as_of``) and its latest Reviews row. For a rule that needs
        only some goals' last reviews: no table of every goal's is made."""
        own = goal.last_reviewed
        if own is not None and own > as_of:
            own = None
        row = self.review_rows_on(as_of).get(goal.id)
        return own if row is None or (own is not None and own >= row) else row

    def last_reviews_on(self, as_of: dt.date) -> dict[str, dt.date | None]:
        """Each goal's last review on or before ``as_of``, by goal id (what
        :meth:`last_review_on` gives each goal, made at once)."""
        last_review_on = self.last_review_on
        return {goal_id: last_review_on(goal, as_of) for goal_id, goal in self.goals.items()}

    @cached_property
    def owned_goals(self) -> dict[str, list[Goal]]:
        """Active goals by owner: the person's id where the owner resolves, else the
        owner's name as written. A goal counts once for each of its owners, however
        many times its owner cell names them."""
        owned: dict[str, list[Goal]] = {}
        keys_of = self.owner_keys
        for goal in self.active_goals:
            for key in keys_of(goal.owners):
                goals = owned.get(key)
                if goals is None:
                    owned[key] = [goal]
                else:
                    goals.append(goal)
        return owned

    @cached_property
    def top_rank(self) -> int | None:
        """The smallest rank any goal sits at."""
        return min(self._ranks_in_use, default=None)

    @cached_property
    def top_goals(self) -> list[str]:
        """Roots at the top level; where no root has a level (or none sits at the top),
        the root with the most descendants (the smallest id at a tie)."""
        roots = self.roots()
        top = self.top_rank
        at_top = [g.id for g in roots if top is not None and self.levels.rank(g.level) == top]
        if at_top:
            return sorted(at_top)
        if not roots:
            return []
        best = min(roots, key=lambda g: (-len(self.descendants(g.id)), g.id))
        return [best.id]

    def cycles(self) -> list[list[str]]:
        """Groups of goals whose parent links form a cycle (a self-parent included), each
        sorted by id, the groups sorted by their smallest id."""
        # Only the goals a walk down from the roots cannot reach can be in a cycle: the
        # component search, the slow part of the rule at a hundred thousand goals, runs
        # over those alone (none, in a tree).
        groups = []
        for component in strongly_connected(self._unpeeled(), self._parents):
            if len(component) > 1 or component[0] in self._parents.get(component[0], ()):
                groups.append(sorted(component))
        return sorted(groups)

    def _unpeeled(self) -> list[str]:
        """The goals, in row order, that a walk down from the goals without a parent does
        not reach, taking each goal after all of its parents: those in parent cycles and
        the goals beneath them."""
        if self._peel() == len(self.goals):
            return []  # the common case: the walk reached every goal
        reached: set[str] = set()
        self._peel(reached)
        return [goal_id for goal_id in self.goals if goal_id not in reached]

    def _peel(self, reached: set[str] | None = None) -> int:
        """Walk down from the goals without a parent, each goal after all of its parents;
        the number of goals reached (added to ``reached`` when given). Only goals with
        several parents need a count: a tree touches no dictionary but the children's."""
        several = dict(self._several_parents)  # counted down here
        ready = list(self._unparented)
        peeled = 0
        while ready:
            goal_id = ready.pop()
            peeled += 1
            if reached is not None:
                reached.add(goal_id)
            for child in self._children.get(goal_id, ()):
                if child in several:
                    several[child] -= 1
                    if several[child]:
                        continue
                ready.append(child)
        return peeled

    # -- people --------------------------------------------------------------------------

    def resolve(self, ref: str) -> PersonMatch:
        """A person by id, then e-mail (any case), then name (case, spacing, accents folded)."""
        # Each distinct reference misses once (a quarter of a million owners at a million
        # goals): a look-up that returns None costs less than a KeyError caught.
        match = self._resolved.get(ref)
        if match is None:
            match = self._resolved[ref] = self._resolve(ref)
        return match

    def _resolve(self, ref: str) -> PersonMatch:
        if ref in self.people:
            return PersonMatch(ref, "resolved", ref)
        by_email = self._person_by_email.get(ref.casefold())
        if by_email is not None:
            return PersonMatch(ref, "resolved", by_email)
        named = self._people_by_name.get(fold_name(ref), [])
        if len(named) == 1:
            return PersonMatch(ref, "resolved", named[0])
        if named:
            return PersonMatch(ref, "ambiguous", candidates=tuple(sorted(named)))
        return PersonMatch(ref, "unknown")

    # Made when an owner or manager is first named by e-mail or name rather than by id
    # (many workbooks use ids throughout, and never need them).
    @cached_property
    def _person_by_email(self) -> dict[str, str]:
        by_email: dict[str, str] = {}
        for person in self.people.values():
            if person.email:
                by_email.setdefault(person.email.casefold(), person.id)
        return by_email

    @cached_property
    def _people_by_name(self) -> dict[str, list[str]]:
        by_name: dict[str, list[str]] = {}
        for person in self.people.values():
            if person.name:
                by_name.setdefault(fold_name(person.name), []).append(person.id)
        return by_name

    def owners_of(self, goal_id: str) -> list[PersonMatch]:
        """Each person named in the goal's owner cell, resolved (first is primary); worked
        out once per goal and shared by the rules that ask."""
        return self.matches_of(self.goals[goal_id].owners)

    def matches_of(self, owners: tuple[str, ...]) -> list[PersonMatch]:
        """Each person an owner cell names, resolved (first is primary)."""
        # Keyed by the owner cell's value, which goals with the same owners share (the
        # reader makes equal cells one object): a million goals, a few thousand lists.
        matches = self._owner_matches.get(owners)
        if matches is None:
            matches = self._owner_matches[owners] = [self.resolve(ref) for ref in owners]
        return matches

    def owner_keys(self, owners: tuple[str, ...]) -> tuple[str, ...]:
        """Who an owner cell names, each once: the person's id where a reference resolves,
        else the reference as written ("P1; ann@acme.example" is one owner when both are
        P1). Worked out once per owner cell, which goals with the same owners share."""
        keys = self._owner_keys.get(owners)
        if keys is None:
            if len(owners) == 1 and owners[0] in self.people:
                # Most cells name one person by id, who is their own key: no match to
                # make (a million goals have a quarter of a million such cells).
                keys = owners
            else:
                keys = tuple(dict.fromkeys(self.resolve(ref).person_id or ref for ref in owners))
            self._owner_keys[owners] = keys
        return keys

    def owner_ids(self, owners: Sequence[str]) -> list[str]:
        """The ids of the people a list of owner references resolves to."""
        if len(owners) == 1 and owners[0] in self.people:
            return [owners[0]]  # one person named by id: nothing to resolve
        return [m.person_id for m in self.matches_of(tuple(owners)) if m.person_id]

    def is_active(self, person_id: str) -> bool:
        """Not marked inactive, and not left before the as-of date."""
        return self._active(self.people[person_id])

    def _active(self, person: Person) -> bool:
        return person.active and (person.left_on is None or person.left_on >= self.as_of)

    @cached_property
    def _managers(self) -> dict[str, PersonMatch]:
        return {
            p.id: self.resolve(p.manager)
            for p in self.people.values()
            if p.manager and p.manager != p.id
        }

    @property
    def has_managers(self) -> bool:
        """Whether any person names a manager."""
        return any(p.manager for p in self.people.values())

    def manager_match(self, person_id: str) -> PersonMatch | None:
        """How the person's manager cell resolved; None when it is blank or names themself."""
        match = self._managers.get(person_id)
        if match is not None and match.person_id == person_id:
            return None
        return match

    def manager_of(self, person_id: str) -> str | None:
        """The id of the person's manager, when it resolves."""
        return self._manager_ids.get(person_id)

    @cached_property
    def _manager_ids(self) -> dict[str, str]:
        # The walks up and down the manager forest ask a plain mapping: a quarter of a
        # million people, each asked for several times, through no method call.
        return {
            person_id: match.person_id
            for person_id, match in self._managers.items()
            if match.person_id is not None and match.person_id != person_id
        }

    def reports_to_chain(self, person_id: str) -> list[str]:
        """The managers above a person, nearest first; stops where the chain loops."""
        chain: list[str] = []
        seen = {person_id}
        current = self.manager_of(person_id)
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = self.manager_of(current)
        return chain

    def reporting_cycles(self) -> list[list[str]]:
        """Groups of two or more people whose managers form a cycle, each sorted by id."""
        return [list(group) for group in self._reporting_cycles]

    @cached_property
    def _reporting_cycles(self) -> list[list[str]]:
        # Each person has at most one manager, so a walk up from each person, stopping at
        # anyone already walked, finds every cycle in one pass: a walk that meets itself
        # has closed one.
        done: set[str] = set()
        groups = []
        manager_of = self._manager_ids.get
        for start in self.people:
            if start in done:
                continue
            node = manager_of(start)
            if node is None or node in done:
                # Most walks: the manager was walked already (a quarter of a million
                # people at a million goals), and no walk is kept to look back along.
                done.add(start)
                continue
            path: dict[str, None] = {start: None}  # this walk, in order
            while node is not None and node not in done and node not in path:
                path[node] = None
                node = manager_of(node)
            if node is not None and node in path:
                walked = list(path)
                groups.append(sorted(walked[walked.index(node) :]))
            done.update(path)
        return sorted(groups)

    @cached_property
    def _manager_intervals(self) -> dict[str, tuple[int, int]]:
        """Each person's place in a walk down the manager forest (everyone after their
        manager) and the place after the last of the people beneath them, so that "does A
        report to B" is two comparisons. People in a reporting cycle are treated as
        having no manager (the walk stops at cycles, as the rules say)."""
        in_cycle = {p for group in self._reporting_cycles for p in group}
        manager_of = self._manager_ids
        if in_cycle:
            manager_of = {p: m for p, m in manager_of.items() if p not in in_cycle}
        reports: dict[str, list[str]] = {}
        for person_id, manager in manager_of.items():
            below = reports.get(manager)
            if below is None:
                reports[manager] = [person_id]
            else:
                below.append(person_id)
        # One walk with a stack of people: a manager's place goes on the stack before
        # the people beneath them, and is taken off once they are all walked, which is
        # where the manager's span ends (most people manage nobody: their span is set as
        # they are met, and nothing is pushed for them).
        stack: list[str | int] = [p for p in self.people if p not in manager_of]
        spans: dict[str, tuple[int, int]] = {}
        order: list[str] = []
        below_of = reports.get
        place = 0
        while stack:
            node = stack.pop()
            if isinstance(node, int):  # the end of the people beneath order[node]
                spans[order[node]] = (node, place)
                continue
            order.append(node)
            below = below_of(node)
            if below is None:
                spans[node] = (place, place + 1)
            else:
                stack.append(place)
                stack.extend(below)
            place += 1
        return spans

    def reports_to(self, person_id: str, boss_id: str) -> bool:
        """Whether ``boss_id`` is above ``person_id`` in the manager chain (not the same)."""
        person = self._manager_intervals.get(person_id)
        boss = self._manager_intervals.get(boss_id)
        if person is None or boss is None:
            return False
        return boss[0] < person[0] < boss[1]

    @cached_property
    def managers(self) -> frozenset[str]:
        """People who manage at least one person."""
        return frozenset(self._manager_ids.values())

    def is_leader(self, person_id: str, leader_max_rank: int) -> bool:
        """An active person whose level rank is at most ``leader_max_rank``; for a person
        with no (known) level, anyone who manages someone."""
        return person_id in self.leaders(leader_max_rank)

    def leaders(self, leader_max_rank: int) -> frozenset[str]:
        """The people :meth:`is_leader` calls leaders: worked out in one pass over the
        people, once per rank (rules ask of every person or every owner)."""
        found = self._leaders.get(leader_max_rank)
        if found is None:
            rank_of = self.levels.rank
            unranked: list[str] = []
            ranked: list[str] = []
            for person in self.people.values():
                if self._active(person):
                    rank = rank_of(person.level)
                    if rank is None:
                        unranked.append(person.id)
                    elif rank <= leader_max_rank:
                        ranked.append(person.id)
            managing = [p for p in unranked if p in self.managers] if unranked else []
            found = self._leaders[leader_max_rank] = frozenset(ranked + managing)
        return found

    @cached_property
    def depth(self) -> dict[str, int]:
        """Links from each goal up to its nearest top goal (top goals are 0); goals that do
        not ladder up to a top goal are absent."""
        return {goal_id: n for n, level in enumerate(self.depth_levels) for goal_id in level}

    @cached_property
    def depth_levels(self) -> list[list[str]]:
        """The goals that ladder up to a top goal, a level of the tree at a time: the top
        goals, then the goals one link below them, and so on; each goal once, at its
        fewest links up (a rule after the deep goals walks only the levels it wants)."""
        # Breadth-first. A goal with one parent is reached once, when its parent is (a
        # parent is reached once; a top goal has none), so only the goals with several
        # parents are remembered as reached: no table of every goal, which at a million
        # goals cost more than the walk. A cycle of goals with one parent each cannot be
        # entered from above.
        children = self._children.get
        several = self._several_parents
        reached: set[str] = set()
        levels = [list(self.top_goals)]  # ids of distinct roots
        while True:
            below = []
            for goal_id in levels[-1]:
                for child in children(goal_id, ()):
                    if child in several:
                        if child in reached:
                            continue
                        reached.add(child)
                    below.append(child)
            if not below:
                return levels
            levels.append(below)

    @cached_property
    def _several_parents(self) -> dict[str, int]:
        """The goals with more than one parent, with how many."""
        return {g: len(ps) for g, ps in self._parents.items() if len(ps) > 1}

    @cached_property
    def lowest_rank(self) -> int | None:
        """The largest rank any goal sits at (the bottom level in use)."""
        return max(self._ranks_in_use, default=None)

    @cached_property
    def _ranks_in_use(self) -> set[int]:
        # The goals share a few level texts (the reader makes equal cells one object).
        levels = set(map(attrgetter("level"), self.goals.values()))
        return {r for r in map(self.levels.rank, levels) if r is not None}

    def person_rank(self, person_id: str) -> int | None:
        return self.levels.rank(self.people[person_id].level)

    def has_field(self, kind: SheetKind, name: str) -> bool:
        """Whether the workbook has a column for ``name`` on its ``kind`` sheet."""
        return self.source.has_field(kind, name)

    # -- networkx ------------------------------------------------------------------------

    @cached_property
    def nx(self) -> nx.MultiDiGraph:
        """The same data as a networkx graph, for plugins.

        Nodes are ``("goal", id)``, ``("person", id)`` and ``("project", id)`` with the
        record as the ``data`` attribute; edges carry ``kind``: ``parent`` (child to
        parent goal), ``owner`` (goal or project to person), ``manager`` (person to
        manager) and ``advances`` (project to goal).
        """
        import networkx

        graph = networkx.MultiDiGraph()
        for goal in self.goals.values():
            graph.add_node(("goal", goal.id), data=goal)
        for person in self.people.values():
            graph.add_node(("person", person.id), data=person)
        for project in self.projects.values():
            graph.add_node(("project", project.id), data=project)
        for child in self.goals:  # row order, whatever order the links were made in
            for parent in self._parents.get(child, ()):
                graph.add_edge(("goal", child), ("goal", parent), kind="parent")
        for goal in self.goals.values():
            for person_id in self.owner_ids(goal.owners):
                graph.add_edge(("goal", goal.id), ("person", person_id), kind="owner")
        for project in self.projects.values():
            for person_id in self.owner_ids(project.owners):
                graph.add_edge(("project", project.id), ("person", person_id), kind="owner")
            for goal_id in project.goal_ids:
                if goal_id in self.goals:
                    graph.add_edge(("project", project.id), ("goal", goal_id), kind="advances")
        for person_id in self.people:
            manager = self.manager_of(person_id)
            if manager is not None:
                graph.add_edge(("person", person_id), ("person", manager), kind="manager")
        return graph
