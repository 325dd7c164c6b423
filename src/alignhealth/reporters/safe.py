"""Make text that came from a workbook safe for the place it is written to."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC among them) except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What XML 1.0 (and so xlsx, JUnit, SARIF viewers) cannot hold at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# A spreadsheet reads a cell that starts with one of these as a formula (or a DDE call).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(text: str) -> str:
    """Text with control characters (and so any escape sequence) shown, not obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def xml_safe(text: str) -> str:
    """Text without the characters XML 1.0 forbids (they are dropped)."""
    return _NOT_XML.sub("", text)


def cell_safe(text: str) -> str:
    """Text for a CSV cell: no forbidden characters, and never read as a formula.

    A leading ``'`` is what spreadsheets themselves use to mean "this is text"; it is the
    OWASP advice for CSV injection.
    """
    text = xml_safe(text)
    return "'" + text if text.startswith(_FORMULA_START) else text
