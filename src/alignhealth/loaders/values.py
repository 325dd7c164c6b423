"""Parsers that turn one cell's value into its field's type.

Each parser takes what openpyxl gives (str, int, float, bool, datetime, date, None) and
returns the typed value, or raises :class:`ValueProblem` with a sentence fit for a finding.
Blank cells are ``None`` before a parser is called.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from functools import lru_cache
from typing import Literal

from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

from alignhealth.model import Kind, Priority, Status

DateOrder = Literal["day-first", "month-first"]

# Excel stores no dates past 9999-12-31 (serial 2958465).
_MAX_SERIAL = 2958465


class ValueProblem(ValueError):
    """A value that cannot be read as its field's type."""


def fold(text: str) -> str:
    """Case-folded, NFC, trimmed, with runs of spaces, ``_``, ``-`` and ``.`` as one space."""
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"[\s_\-.]+", " ", text).strip()


def fold_name(text: str) -> str:
    """A person's name folded for matching: case, spacing and accents ignored."""
    if text.isascii():  # nothing to decompose: most names, a million people's worth
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def is_blank(value: object) -> bool:
    """None, or text of only white space."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: object) -> str:
    """Text as written: trimmed, NFC; numbers written without a spurious ``.0``."""
    if value.__class__ is str:
        text: str = value
        return text.strip() if text.isascii() else unicodedata.normalize("NFC", text).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()


def parse_id(value: object) -> str:
    """An id: trimmed, NFC, ``12.0`` read as ``"12"``."""
    text = parse_text(value)
    if not text:
        raise ValueProblem("the id is blank")
    return text


#: What separates the ids of a list, and the owners of a list (a comma may sit inside
#: "Smith, Ann").
LIST_SPLIT = re.compile(r"[;,\n\r]+")
OWNER_SPLIT = re.compile(r"[;\n\r]+")


def parse_id_list(value: object) -> tuple[str, ...]:
    """One or more ids split on ``;``, ``,`` or a newline; duplicates dropped, order kept."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (parse_text(value),)
    text = parse_text(value)
    # Most cells name one id: a search costs less than a split and its generators.
    if LIST_SPLIT.search(text) is None:
        return (text,) if text else ()
    parts = (p.strip() for p in LIST_SPLIT.split(text))
    return tuple(dict.fromkeys(p for p in parts if p))


def parse_owner_list(value: object) -> tuple[str, ...]:
    """Owners split on ``;`` or a newline (a comma may sit inside "Smith, Ann")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (parse_text(value),)
    text = parse_text(value)
    if OWNER_SPLIT.search(text) is None:
        return (text,) if text else ()
    parts = (p.strip() for p in OWNER_SPLIT.split(text))
    return tuple(dict.fromkeys(p for p in parts if p))


_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?")


def parse_number(value: object) -> float:
    """A number; text such as ``"1,250"``, ``"45%"`` (0.45) or ``" 3.5 "`` is accepted."""
    if value.__class__ is float and math.isfinite(value):
        return value
    if isinstance(value, bool):
        raise ValueProblem(f"expected a number, found {parse_text(value)}")
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueProblem("expected a number, found a value that is not finite")
        return float(value)
    if isinstance(value, dt.date):
        raise ValueProblem(f"expected a number, found the date {parse_text(value)}")
    text = parse_text(value).replace("\u00a0", "").replace(" ", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if not text or not _NUMBER.fullmatch(text) or not any(c.isdigit() for c in text):
        raise ValueProblem(f"expected a number, found {parse_text(value)!r}")
    number = float(text.replace(",", ""))
    return number / 100 if percent else number


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[\s\-/]+([a-z]+)\.?,?[\s\-/]+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([a-z]+)\.?[\s\-/]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/]+(\d{4})")


def _make_date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueProblem(f"{text!r} is not a real date") from None


def parse_date(
    value: object,
    *,
    epoch: dt.datetime = CALENDAR_WINDOWS_1900,
    date_order: DateOrder | None = None,
) -> dt.date:
    """A date from an Excel date, an Excel serial number, ISO text or unambiguous text.

    ``03/04/2026`` is ambiguous (3 April or March 4): it is refused unless ``date_order``
    says how to read it. ``13/04/2026`` can only be day-first and is accepted.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueProblem(f"expected a date, found {parse_text(value)}")
    if isinstance(value, int | float):
        if not 1 <= value <= _MAX_SERIAL:
            raise ValueProblem(f"expected a date, found the number {parse_text(value)}")
        converted = from_excel(value, epoch=epoch)
        return converted.date() if isinstance(converted, dt.datetime) else dt.date(1900, 1, 1)
    text = parse_text(value)
    low = text.casefold()
    if m := _ISO.fullmatch(low):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _NUMERIC_DATE.fullmatch(low):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if date_order == "day-first" or (date_order is None and first > 12 >= second):
            return _make_date(year, second, first, text)
        if date_order == "month-first" or (date_order is None and second > 12 >= first):
            return _make_date(year, first, second, text)
        if first == second:
            return _make_date(year, first, second, text)
        raise ValueProblem(
            f"{text!r} is ambiguous (day-first or month-first?); "
            'set date-order = "day-first" or "month-first" in the ruleset [settings]'
        )
    for pattern, day_group, month_group in ((_DAY_MONTH_YEAR, 1, 2), (_MONTH_DAY_YEAR, 2, 1)):
        if (m := pattern.fullmatch(low)) and m[month_group] in _MONTHS:
            return _make_date(int(m[3]), _MONTHS[m[month_group]], int(m[day_group]), text)
    raise ValueProblem(f"expected a date, found {text!r}")


_STATUS_SYNONYMS = {
    Status.ON_TRACK: ("green", "on track", "in progress", "ontrack", "g"),
    Status.AT_RISK: ("amber", "behind", "at risk", "yellow", "a"),
    Status.OFF_TRACK: ("red", "off track", "blocked", "r"),
    Status.NOT_STARTED: ("not started", "planned", "draft", "to do", "todo"),
    Status.ON_HOLD: ("on hold", "paused"),
    Status.DONE: ("done", "complete", "completed", "closed", "achieved", "finished"),
    Status.CANCELLED: ("cancelled", "canceled", "dropped", "abandoned"),
}
_STATUS_LOOKUP = {word: status for status, words in _STATUS_SYNONYMS.items() for word in words}


@lru_cache(maxsize=4096, typed=True)
def parse_status(value: object) -> Status:
    """A status, folding RAG colours and their synonyms."""
    text = parse_text(value)
    status = _STATUS_LOOKUP.get(fold(text))
    if status is None:
        known = ", ".join(s.value for s in Status)
        raise ValueProblem(f"unknown status {text!r}; use one of {known}")
    return status


_PRIORITY_LABELS = {
    "high": "high",
    "h": "high",
    "medium": "medium",
    "med": "medium",
    "m": "medium",
    "low": "low",
    "l": "low",
    "yes": "yes",
    "y": "yes",
    "x": "yes",
    "true": "yes",
    "no": "no",
    "n": "no",
    "false": "no",
}


@lru_cache(maxsize=4096, typed=True)
def parse_priority(value: object) -> Priority:
    """A rank (1 is highest; ``"P1"`` and ``"#2"`` too) or High/Medium/Low/Yes/No/Y/N/x."""
    if isinstance(value, bool):
        return Priority(label="yes" if value else "no")
    if isinstance(value, int | float):
        if float(value).is_integer() and value >= 1:
            return Priority(rank=int(value))
        raise ValueProblem(f"a priority rank is a whole number from 1, found {parse_text(value)}")
    text = parse_text(value)
    folded = fold(text)
    label = _PRIORITY_LABELS.get(folded)
    if label is not None:
        return Priority(label=label)  # type: ignore[arg-type]
    if m := re.fullmatch(r"(?:p|#|priority )?\s*(\d+)", folded):
        rank = int(m[1])
        if rank >= 1:
            return Priority(rank=rank)
    raise ValueProblem(
        f"unknown priority {text!r}; use a rank (1 is highest), High/Medium/Low or Yes/No"
    )


_KIND_SYNONYMS = {
    Kind.GOAL: ("goal", "the goal", "top goal", "mission", "vision"),
    Kind.CSF: ("csf", "critical success factor"),
    Kind.NC: ("nc", "necessary condition"),
    Kind.OBJECTIVE: ("objective", "okr", "obj"),
    Kind.KEY_RESULT: ("key result", "kr", "keyresult"),
    Kind.INITIATIVE: ("initiative", "deliverable", "project"),
}
_KIND_LOOKUP = {word: kind for kind, words in _KIND_SYNONYMS.items() for word in words}


@lru_cache(maxsize=4096, typed=True)
def parse_kind(value: object) -> Kind:
    """A goal kind, folding its synonyms (CSF, NC, KR, OKR, deliverable...)."""
    text = parse_text(value)
    folded = fold(text)
    kind = _KIND_LOOKUP.get(folded) or _KIND_LOOKUP.get(folded.removesuffix("s"))
    if kind is None:
        known = ", ".join(k.value for k in Kind)
        raise ValueProblem(f"unknown kind {text!r}; use one of {known}")
    return kind


_ACTIVE_WORDS = {
    "yes": True,
    "y": True,
    "true": True,
    "active": True,
    "on leave": True,
    "current": True,
    "employed": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "left": False,
    "inactive": False,
    "terminated": False,
    "leaver": False,
    "former": False,
    "0": False,
}


@lru_cache(maxsize=4096, typed=True)
def parse_active(value: object) -> bool:
    """Whether a person is active: Yes/No, True/False, active/left/inactive/terminated."""
    if isinstance(value, bool):
        return value
    text = parse_text(value)
    active = _ACTIVE_WORDS.get(fold(text))
    if active is None:
        raise ValueProblem(
            f"unknown activity {text!r}; use Yes/No, active, on leave, left or terminated"
        )
    return active
