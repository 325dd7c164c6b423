"""The links between goals: each goal's parents and children, built as the goals come."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

from alignhealth.model import Goal


class GoalLinks:
    """Each goal's parents that exist (in its parent cell's order), each goal's children
    (in row order), the goals with no parent that exists, and the parent ids that match
    no goal.

    The reader adds a large sheet's goals a chunk at a time while the rest of the sheet
    is still on its way, knowing only the goals read so far; the graph adds them all at
    once, knowing every goal. A goal whose parent comes further down the sheet is put
    right by :meth:`finish`, once every goal is known: the only goals it looks at again
    are those that named an id not known when they were added.
    """

    def __init__(self) -> None:
        self.parents: dict[str, tuple[str, ...]] = {}
        self.children: dict[str, list[str]] = {}
        self.unparented: list[str] = []
        self.unknown: dict[str, tuple[str, ...]] = {}
        self._early: list[Goal] = []
        self._finished = False

    @property
    def added(self) -> int:
        """How many goals were added: each is either linked to a parent or unparented."""
        return len(self.parents) + len(self.unparented)

    def add(self, goals: Iterable[Goal], known: Container[str]) -> None:
        """Link ``goals`` (the next ones, in row order), ``known`` holding every goal's id
        added so far, these included."""
        parents_of = self.parents
        children_of = self.children.setdefault
        unparented = self.unparented.append
        for goal in goals:
            parent_ids = goal.parent_ids
            if not parent_ids:
                unparented(goal.id)
                continue
            # Most goals name one parent that exists: its tuple is kept as it is.
            found: tuple[str, ...]
            if len(parent_ids) == 1 and parent_ids[0] in known:
                found = parent_ids
            else:
                found = tuple(p for p in parent_ids if p in known)
            if found:
                parents_of[goal.id] = found
                for parent in found:
                    children_of(parent, []).append(goal.id)
            else:
                unparented(goal.id)
            if len(found) != len(parent_ids):
                self.unknown[goal.id] = tuple(p for p in parent_ids if p not in known)
                self._early.append(goal)

    def finish(self, goals: Mapping[str, Goal]) -> None:
        """Settle the parents not known when their goal was added, ``goals`` being every
        goal; the same links as adding every goal knowing them all. Once only."""
        if self._finished:
            return
        self._finished = True
        regained: set[str] = set()
        reordered: set[str] = set()
        for goal in self._early:
            named_later = [p for p in self.unknown[goal.id] if p in goals]
            if not named_later:
                continue  # ids that match no goal at all
            if goal.id not in self.parents:
                regained.add(goal.id)
            self.parents[goal.id] = tuple(p for p in goal.parent_ids if p in goals)
            for parent in named_later:
                self.children.setdefault(parent, []).append(goal.id)
                reordered.add(parent)
            missing = tuple(p for p in goal.parent_ids if p not in goals)
            if missing:
                self.unknown[goal.id] = missing
            else:
                del self.unknown[goal.id]
        if regained:
            self.unparented = [g for g in self.unparented if g not in regained]
        for parent in reordered:
            # A child added here came before some of the parent's other children.
            self.children[parent].sort(key=lambda child: goals[child].origin.row)
