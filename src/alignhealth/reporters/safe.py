"""Make text that came from a workbook safe for the place it is written to."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC among them) except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text with control characters (and so any escape sequence) shown, not obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
