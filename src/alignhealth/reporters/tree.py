"""Lay the goal tree out for drawing: positions for each goal, edges, what was left out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alignhealth.findings import Severity
from alignhealth.graph import OrgGraph

NODE_WIDTH = 150
NODE_HEIGHT = 44
X_STEP = 166
Y_STEP = 84
MARGIN = 12
LEAF_STEP = NODE_HEIGHT + 10
STACK = 6
#: Past this many goals only the flagged goals and their ancestors are drawn.
MAX_NODES = 300


@dataclass
class Node:
    id: str
    title: str
    x: float
    y: float
    severity: Severity | None
    findings: int


def _edge(parent: Node, child: Node, stacked: bool) -> str:
    """An SVG path from a parent's bottom to a child: an elbow down the left of a stacked
    column, a curve to a subtree."""
    px, py = parent.x + NODE_WIDTH / 2, parent.y + NODE_HEIGHT
    if stacked:
        rail = child.x - 6
        middle = child.y + NODE_HEIGHT / 2
        return f"M{px:.0f},{py:.0f} V{py + 12:.0f} H{rail:.0f} V{middle:.0f} H{child.x:.0f}"
    cx = child.x + NODE_WIDTH / 2
    return (
        f"M{px:.0f},{py:.0f} C{px:.0f},{py + 24:.0f} "
        f"{cx:.0f},{child.y - 24:.0f} {cx:.0f},{child.y:.0f}"
    )


@dataclass
class TreeDrawing:
    nodes: list[Node] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    width: int = 0
    height: int = 0
    total: int = 0
    omitted: int = 0


def layout(
    graph: OrgGraph,
    worst: Mapping[str, Severity],
    counts: Mapping[str, int],
    max_nodes: int = MAX_NODES,
) -> TreeDrawing:
    """Each goal centred over its children, one row per level of depth; a goal's leaf
    children stacked in columns below it, so that wide, shallow trees stay readable. A
    goal with several parents is drawn under the first; goals in a cycle start trees of
    their own. Past ``max_nodes`` goals, only flagged goals (the worst first) and their
    ancestors are kept, and ``omitted`` says how many were left out."""
    goals = graph.goals
    chosen = list(goals)
    if len(goals) > max_nodes:
        keep: dict[str, None] = {}
        ranked = sorted(worst, key=lambda g: (-worst[g].weight, g))
        for goal_id in ranked:
            if goal_id not in goals:
                continue
            chain = [goal_id, *graph.ancestors(goal_id)]
            if len(keep) + sum(1 for g in chain if g not in keep) > max_nodes:
                break
            keep.update(dict.fromkeys(chain))
        chosen = [g for g in goals if g in keep]
    selected = set(chosen)
    children: dict[str, list[str]] = {}
    has_parent: set[str] = set()
    for goal_id in chosen:
        parent = next((p for p in graph.parents(goal_id) if p in selected), None)
        if parent is not None:
            children.setdefault(parent, []).append(goal_id)
            has_parent.add(goal_id)
    top = set(graph.top_goals)
    roots = sorted((g for g in chosen if g not in has_parent), key=lambda g: (g not in top, g))
    drawing = TreeDrawing(total=len(goals), omitted=len(goals) - len(chosen))

    # The tree to draw: each goal under its first drawn parent, walked once from the
    # roots; goals a cycle keeps from every root start trees of their own.
    order: list[str] = []
    kids: dict[str, list[str]] = {}
    seen: set[str] = set()
    for start in [*roots, *chosen]:
        if start in seen:
            continue
        if start not in roots:
            roots.append(start)
        seen.add(start)
        stack = [start]
        while stack:
            goal_id = stack.pop()
            order.append(goal_id)
            mine = [c for c in children.get(goal_id, []) if c not in seen]
            seen.update(mine)
            kids[goal_id] = mine
            stack.extend(reversed(mine))

    # Widths in slots, bottom up: a goal's leaf children are stacked in columns of
    # STACK below it (wide, shallow trees stay readable); its other children sit side by
    # side after them.
    width: dict[str, int] = {}
    for goal_id in reversed(order):
        inner = [c for c in kids[goal_id] if kids[c]]
        leaf_count = len(kids[goal_id]) - len(inner)
        width[goal_id] = max(1, -(-leaf_count // STACK) + sum(width[c] for c in inner))

    placed: dict[str, Node] = {}

    def node(goal_id: str, x: float, y: float) -> Node:
        placed[goal_id] = Node(
            goal_id, goals[goal_id].title, x, y, worst.get(goal_id), counts.get(goal_id, 0)
        )
        return placed[goal_id]

    slot = 0
    for root in roots:
        todo: list[tuple[str, int, float]] = [(root, slot, MARGIN)]
        slot += width[root]
        while todo:
            goal_id, left, y = todo.pop()
            span = width[goal_id]
            node(goal_id, MARGIN + (left + (span - 1) / 2) * X_STEP, y)
            inner = [c for c in kids[goal_id] if kids[c]]
            leaves = [c for c in kids[goal_id] if not kids[c]]
            for index, leaf in enumerate(leaves):
                column = left + index // STACK
                node(leaf, MARGIN + column * X_STEP, y + Y_STEP + (index % STACK) * LEAF_STEP)
            cursor = left + -(-len(leaves) // STACK)
            below = y + Y_STEP
            for child in inner:
                todo.append((child, cursor, below))
                cursor += width[child]

    drawing.nodes = list(placed.values())
    for parent_id, mine in kids.items():
        above = placed[parent_id]
        for child_id in mine:
            drawing.edges.append(_edge(above, placed[child_id], stacked=not kids[child_id]))
    if drawing.nodes:
        drawing.width = int(max(n.x for n in drawing.nodes) + NODE_WIDTH + 2 * MARGIN)
        drawing.height = int(max(n.y for n in drawing.nodes) + NODE_HEIGHT + 2 * MARGIN)
    return drawing
