"""Check that a rule's work grows in proportion to the rows, counted rather than timed.

The interpreter counts the bytecode it executes while the rule runs (``sys.settrace``
with opcode events). Unlike a time, the count does not depend on the machine or on what
else it runs, so a test built on it never flakes: a rule that walks every goal once per
goal does 64 times the work for 8 times the goals, on any machine. What it cannot see is
work done inside a single call into C (``x in a_list``, ``sorted`` in a loop): keep such
calls out of loops over goals, people or projects::

    from alignhealth.testing import assert_linear

    def top_goals(n):  # n goals the rule flags: its findings grow with n too
        return {"goals": [{"ID": f"G{i}", "Title": "Top", "Start": "2024-01-01"} for i in range(n)]}

    def test_linear():
        assert_linear("ACME001", top_goals, plugins=[("acme-rules", acme_rules)])
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any, Unpack

from alignhealth.engine import blank_outcome, run_one
from alignhealth.rules.base import RunState
from alignhealth.testing.harness import Rows, RuleInputs, prepared_rule

#: How much more than in proportion a rule's work may grow between two sizes (a constant
#: part, a few more findings): linear work for 8x the rows stays under 10x, a walk per
#: row goes to 64x.
SLACK = 1.25


def bytecodes(work: Callable[..., object], *args: Any, **kwargs: Any) -> int:
    """The bytecode instructions the interpreter executes while ``work(*args, **kwargs)``
    runs (in this thread; code in C counts as the one instruction that called it). A
    tracer already set (a coverage tool, a debugger) is paused meanwhile and set again."""
    executed = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal executed
        if event == "call":
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
        elif event == "opcode":
            executed += 1
        return trace

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        work(*args, **kwargs)
    finally:
        sys.settrace(before)
    return executed


def rule_bytecodes(code: str, rows: Mapping[str, Any], **inputs: Unpack[RuleInputs]) -> int:
    """The bytecodes one rule executes over ``rows`` (the keyword arguments of
    :func:`~alignhealth.testing.run_rule`: ``goals``, ``people``, ...; ``inputs`` take
    the rest: ``options``, ``plugins``...): its own run, not the reading of the rows or the
    graph's making. Raises ``AssertionError`` if the rule skipped or crashed, as there was
    then no work to count."""
    session, code, graph = prepared_rule(code, **rows, **inputs)
    outcome = blank_outcome(session, code)
    executed = bytecodes(run_one, session, code, graph, RunState(), outcome)
    if outcome.status not in ("ok", "findings"):
        raise AssertionError(
            f"{code} did not run over these rows: {outcome.status}, {outcome.reason}"
        )
    return executed


def assert_linear(
    code: str,
    make_rows: Callable[[int], Mapping[str, Rows]],
    sizes: tuple[int, int] = (250, 2000),
    slack: float = SLACK,
    **inputs: Unpack[RuleInputs],
) -> tuple[int, int]:
    """Assert that a rule's work over ``make_rows(n)`` grows at most ``slack`` times more
    than ``n`` does from the first size to the second; return the two counts.

    ``make_rows(n)`` gives the rows of a workbook of size ``n`` as keyword arguments of
    :func:`~alignhealth.testing.run_rule` (``{"goals": [...], "people": [...]}``); make
    the rows the rule flags grow with ``n`` too, so that making findings is measured.
    ``inputs`` go to the rule as to ``run_rule`` (``options``, ``settings``,
    ``plugins``...).
    """
    small, large = sizes
    if not 0 < small < large:
        raise ValueError(f"sizes must grow: {sizes}")
    before, after = (rule_bytecodes(code, make_rows(n), **inputs) for n in sizes)
    growth, limit = after / max(before, 1), slack * large / small
    if growth > limit:
        raise AssertionError(
            f"{code} executed {before:,} bytecodes over {small:,} rows and {after:,} over "
            f"{large:,}: {growth:.1f}x the work for {large / small:g}x the rows (at most "
            f"{limit:.1f}x). Does it walk the rows once per row?"
        )
    return before, after
