"""The per-row loop over a sheet's fields, written out as straight-line code per sheet.

Every data row runs the same loop over the sheet's mapped fields: for each, unpack its
plan, test its flags, look its cell up. For a hundred thousand goals of fifteen columns
that bookkeeping cost as much as the look-ups it steered (a quarter of reading the
goals). The plan is fixed once the header row is read, so the loop is written out once per
sheet, each field's column, record slot and flags as constants, and compiled: what
:mod:`dataclasses` does for ``__init__``. Only integers and field names taken from the
schema go into the source.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Excel's limit on the text of one cell; longer text came from elsewhere.
EXCEL_TEXT_LIMIT = 32767
#: Distinct values a field remembers parsed, unless its values repeat (a column of
#: unique titles stops adding here; one of parent ids goes on).
MEMO_LIMIT = 1 << 16
#: What a memo gives for a value it has not seen.
UNSEEN = object()
#: What a field's value is when there is nothing to store: the cell is blank, or it could
#: not be used (and was reported).
BLANK = object()
#: Cell types that are their own memo key. Any other value is keyed with its type, so that
#: ``True``, ``1`` and ``1.0`` (equal in Python) are parsed apart; a float, text or date
#: never equals a key of another of these types.
SELF_KEYED = frozenset({str, float, dt.date})


@dataclass(frozen=True)
class FieldStep:
    """One field as the row loop handles it."""

    #: The field's name (from the schema, a Python identifier).
    name: str
    #: Its 0-based column.
    col: int
    #: The index of the record argument it fills.
    slot: int
    #: Plain ASCII text is trimmed in the loop, without a parse or a look-up: it is mostly
    #: unique (titles, descriptions), so remembering it costs more than it saves.
    text: bool
    #: A progress field: cells written with "%" are remembered, as they are never rescaled.
    progress: bool
    #: A list field (ids, owners): what separates its items. Plain ASCII text in which it
    #: finds nothing is a list of one, made in the loop without a parse: most cells name
    #: one parent or owner, and a column of them (a project's goal) can be all distinct.
    split: re.Pattern[str] | None = None
    #: A cell of exactly this type is the field's value as it is (a date field's date
    #: cell): stored without a look-up. A million goals have three million such cells.
    same: type | None = None


def remembers(memo: dict[object, Any], count: int) -> bool:
    """Whether a field's memo takes another value at the ``count``-th row: while it holds
    fewer than MEMO_LIMIT, and past that while the field's values repeat."""
    return len(memo) < MEMO_LIMIT or 2 * len(memo) < count


#: ``fill(values, width, args, number, record_id, count)`` stores each field's value of a
#: row in ``args``.
Fill = Callable[[Sequence[object], int, list[Any], int, str, int], None]
#: ``first(index, raw, key, number, record_id, count)``: the value of a cell the field's
#: memo has not seen (``key`` None for an unhashable value), or :data:`BLANK`.
First = Callable[[int, object, object, int, str, int], Any]


def compile_fill(
    steps: Sequence[FieldStep],
    memos: Sequence[dict[object, Any]],
    first: First,
    percent: Callable[[tuple[int, str]], None],
) -> Fill:
    """The row loop for ``steps``, which share the index of ``memos`` (one per field):
    a cell's value is looked up in its field's memo, and worked out by ``first`` when the
    memo has not seen it. ``percent`` is told of progress cells written with "%"."""
    lines = ["def fill(values, width, args, number, record_id, count):"]
    for index, step in enumerate(steps):
        lines += [
            f"    if width > {step.col}:",
            f"        raw = values[{step.col}]",
            "        if raw is not None:",
        ]
        indent = " " * 12
        if step.same is not None:
            lines += [
                f"{indent}if raw.__class__ is same_{index}:",
                f"{indent}    args[{step.slot}] = raw",
                f"{indent}else:",
            ]
            indent += "    "
        if step.text:
            lines += [
                f"{indent}if raw.__class__ is str and raw.isascii() and len(raw) <= LIMIT:",
                f"{indent}    raw = raw.strip()",
                f"{indent}    if raw:",
                f"{indent}        args[{step.slot}] = raw",
                f"{indent}else:",
            ]
            indent += "    "
        lines += [
            f"{indent}key = raw if raw.__class__ in SELF_KEYED else (raw.__class__, raw)",
            f"{indent}try:",
            f"{indent}    value = memo_{index}(key, UNSEEN)",
            f"{indent}except TypeError:",
            f"{indent}    value = first({index}, raw, None, number, record_id, count)",
            f"{indent}else:",
            f"{indent}    if value is UNSEEN:",
        ]
        if step.split is not None:
            lines += [
                f"{indent}        if (",
                f"{indent}            raw.__class__ is str and raw.isascii()",
                f"{indent}            and len(raw) <= LIMIT and split_{index}(raw) is None",
                f"{indent}            and (item := raw.strip())",
                f"{indent}        ):",
                f"{indent}            value = (item,)",
                f"{indent}            if remembers(memo_dict_{index}, count):",
                f"{indent}                memo_dict_{index}[key] = value",
                f"{indent}        else:",
                f"{indent}            value = first({index}, raw, key, number, record_id, count)",
            ]
        else:
            lines += [
                f"{indent}        value = first({index}, raw, key, number, record_id, count)",
            ]
        lines += [
            f"{indent}if value is not BLANK:",
            f"{indent}    args[{step.slot}] = value",
        ]
        if step.progress:
            lines += [
                f'{indent}    if raw.__class__ is str and "%" in raw:',
                f"{indent}        percent((number, {step.name!r}))",
            ]
    if not steps:
        lines.append("    pass")
    namespace: dict[str, Any] = {
        "LIMIT": EXCEL_TEXT_LIMIT,
        "SELF_KEYED": SELF_KEYED,
        "UNSEEN": UNSEEN,
        "BLANK": BLANK,
        "first": first,
        "percent": percent,
        "remembers": remembers,
        **{f"memo_{index}": memo.get for index, memo in enumerate(memos)},
        **{f"memo_dict_{index}": memo for index, memo in enumerate(memos)},
        **{f"same_{index}": step.same for index, step in enumerate(steps) if step.same},
        **{
            f"split_{index}": step.split.search
            for index, step in enumerate(steps)
            if step.split is not None
        },
    }
    exec(compile("\n".join(lines), "<alignhealth row loop>", "exec"), namespace)
    fill: Fill = namespace["fill"]
    return fill
