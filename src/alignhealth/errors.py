"""Errors a user can fix. Each carries a stable code and a message that says what to do.

Tracebacks are for bugs: the CLI prints these as one line (exit code 2) and shows a
traceback only with ``--debug``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AlignhealthError(Exception):
    """Base of every error alignhealth raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class UsageError(AlignhealthError):
    """Bad arguments, ruleset or selector: the user must change what they asked for."""

    code = "usage"


class InputError(AlignhealthError):
    """The workbook cannot be used at all (exit code 2).

    ``location`` names the file and, where it applies, the sheet and cell.
    """

    code = "input"

    def __init__(self, message: str, *, code: str = "input", location: str | None = None) -> None:
        super().__init__(message, code=code)
        self.location = location


class PluginError(AlignhealthError):
    """A plugin could not be loaded or broke the plugin contract."""

    code = "plugin"


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``word``, for "did you mean" hints; None when nothing is close."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or the empty string."""
    best = closest(word, candidates)
    return f" (did you mean {best!r}?)" if best else ""
