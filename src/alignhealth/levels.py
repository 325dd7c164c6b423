"""Organisational levels: their order, and the rank of a level as a workbook writes it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from alignhealth.loaders.values import fold
from alignhealth.model import LevelDef

#: The default vocabulary (workbook.md): rank 0 is the top.
DEFAULT_VOCABULARY: dict[str, int] = {
    **dict.fromkeys(
        (
            "company",
            "enterprise",
            "group",
            "organisation",
            "organization",
            "corporate",
            "corporation",
            "executive",
        ),
        0,
    ),
    **dict.fromkeys(("division", "business unit", "region", "bu"), 1),
    **dict.fromkeys(("department", "function", "dept"), 2),
    **dict.fromkeys(("team", "squad"), 3),
    **dict.fromkeys(("individual", "person", "personal"), 4),
}

_NUMBERED = re.compile(r"(?:l|level|tier|t)?\s*(\d+)")


def level_number(text: str) -> int | None:
    """The number in a level written as ``2``, ``L1``, ``Level 2`` or ``Tier 3``."""
    m = _NUMBERED.fullmatch(fold(text))
    return int(m[1]) if m else None


class _Ranks(dict[str | None, int | None]):
    """Level text -> rank, each text worked out the first time it is asked for."""

    __slots__ = ("_work_out",)

    def __init__(self, work_out: Callable[[str], int | None]) -> None:
        super().__init__({None: None})
        self._work_out = work_out

    def __missing__(self, text: str) -> int | None:
        rank = self[text] = self._work_out(text)
        return rank


@dataclass(frozen=True)
class LevelScale:
    """Turns level text into ranks (0 is the top), from an explicit order or the vocabulary.

    Built once per run from every level text in the workbook, because numbered levels are
    counted from the smallest number the workbook uses.

    ``rank(text)`` is the rank of ``text``; None when it is blank or unknown.
    """

    explicit: dict[str, int]
    explicit_source: str | None
    number_base: int | None
    #: The rank of a level's text (None when blank or unknown). Rules ask for the ranks of
    #: the same few names millions of times (a million goals, several rules): after the
    #: first asking it is a dict's own look-up, with no Python call (a fifth of the cost).
    rank: Callable[[str | None], int | None] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rank", _Ranks(self._rank).__getitem__)

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        level_defs: Sequence[LevelDef] | None = None,
        configured: Sequence[str] | None = None,
        configured_source: str = "ruleset",
    ) -> LevelScale:
        explicit: dict[str, int] = {}
        source = None
        if level_defs:
            ordered = sorted(
                enumerate(level_defs),
                key=lambda item: (item[1].rank is None, item[1].rank or 0, item[0]),
            )
            for position, (_, level) in enumerate(ordered):
                explicit.setdefault(fold(level.name), position)
            source = "levels sheet"
        elif configured:
            for position, name in enumerate(configured):
                explicit.setdefault(fold(name), position)
            source = configured_source
        numbers = [
            n
            for t in dict.fromkeys(texts)  # a few distinct names, written on every row
            if fold(t) not in explicit and (n := level_number(t)) is not None
        ]
        return cls(explicit, source, min(numbers) if numbers else None)

    def _rank(self, text: str) -> int | None:
        key = fold(text)
        if key in self.explicit:
            return self.explicit[key]
        if key in DEFAULT_VOCABULARY:
            return DEFAULT_VOCABULARY[key]
        number = level_number(text)
        if number is not None and self.number_base is not None:
            return number - self.number_base
        return None

    def is_known(self, text: str) -> bool:
        return self.rank(text) is not None
