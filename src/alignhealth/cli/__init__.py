"""The ``alignhealth`` command. Thin: parse, call the library, render, choose the exit code.

One module per group of commands; they are added to the group here, explicitly.
"""

from __future__ import annotations

import click

from alignhealth import __version__
from alignhealth.cli.audits import audit_command, history_command
from alignhealth.cli.catalogue import plugins_command, rule_command, rules_command
from alignhealth.cli.check import check
from alignhealth.cli.workbook import init_command, inspect_command, template_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="alignhealth")
def main() -> None:
    """Alignment health checks for an organisation's goal tree, read from Excel."""


for command in (
    check,
    rules_command,
    rule_command,
    plugins_command,
    inspect_command,
    template_command,
    init_command,
    audit_command,
    history_command,
):
    main.add_command(command)
