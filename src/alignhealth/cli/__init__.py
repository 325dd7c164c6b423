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
from alignhealth.lifetime import Stopped, scratch_folder, stopped_by_signals

#: The exit code of a command stopped by Ctrl-C (128 + SIGINT, as shells report it): not
#: click's 1, which alignhealth's commands use for findings.
EXIT_INTERRUPTED = 130


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            with stopped_by_signals(), scratch_folder():
                return super().invoke(ctx)
        except Stopped as stop:
            # As Ctrl-C, for a stop from outside (a timer's time limit, kill): the exit
            # code a shell gives a process the signal ended, 143 for SIGTERM.
            click.echo(f"\nstopped by {stop.name}: what was written before is kept", err=True)
            raise click.exceptions.Exit(128 + stop.signum) from None
        except KeyboardInterrupt:
            click.echo("\ninterrupted: what was written before is kept", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
