"""The built-in output formats, registered through ``get_reporters``."""

from __future__ import annotations

from alignhealth.hookspecs import hookimpl
from alignhealth.reporters.base import Reporter
from alignhealth.reporters.csv import CsvReporter
from alignhealth.reporters.html import HtmlReporter
from alignhealth.reporters.json import JsonReporter
from alignhealth.reporters.jsonl import JsonlReporter
from alignhealth.reporters.junit import JunitReporter
from alignhealth.reporters.markdown import MarkdownReporter
from alignhealth.reporters.sarif import SarifReporter
from alignhealth.reporters.statistics import StatisticsReporter
from alignhealth.reporters.text import TextReporter
from alignhealth.reporters.xlsx import XlsxReporter


@hookimpl
def get_reporters() -> list[type[Reporter]]:
    return [
        TextReporter,
        StatisticsReporter,
        JsonReporter,
        JsonlReporter,
        SarifReporter,
        JunitReporter,
        CsvReporter,
        MarkdownReporter,
        XlsxReporter,
        HtmlReporter,
    ]
