"""The built-in output formats, registered through ``get_reporters``."""

from __future__ import annotations

from alignhealth.hookspecs import hookimpl
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.json import JsonReporter
from alignhealth.reporters.text import TextReporter


@hookimpl
def get_reporters() -> list[type[Reporter]]:
    return [TextReporter, JsonReporter]
