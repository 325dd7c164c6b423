"""What every command shares: plugin options, output options, what the CLI tells a person."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from alignhealth.engine import (
    EXIT_INPUT,
    Session,
    make_host,
)
from alignhealth.plugins import PluginHost
from alignhealth.progress import RichProgress
from alignhealth.reporters.safe import terminal_safe
from alignhealth.runresult import RunResult

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    """Print one error line on standard error and exit (2 unless told otherwise)."""
    click.echo(
        click.style(
            "error: ",
            fg="red",
            bold=True,
        )
        + message,
        err=True,
    )
    sys.exit(code)


def finish(code: int) -> NoReturn:
    """Exit with ``code`` once a command has done its work and written its reports."""
    # The collector's passes as the interpreter shuts down would walk every record the
    # command's frames still hold (2.2 s for a million goals): nothing is left to collect.
    gc.freeze()
    sys.exit(code)


def plugin_options(func: F) -> F:
    """``-p MODULE`` and ``--no-plugins``, shared by every command that loads plugins."""
    func = click.option(
        "-p",
        "--plugin",
        "plugin_modules",
        multiple=True,
        metavar="MODULE",
        help="Load a plugin by module name (repeatable).",
    )(func)
    func = click.option(
        "--no-plugins",
        is_flag=True,
        help="Load no third-party plugin (also ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD=1); "
        "the built-ins always load.",
    )(func)
    return func


def jobs_option(func: F) -> F:
    """``--jobs N``, shared by the commands that check several workbooks at once."""
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        metavar="N",
        help="Use up to N processes (default: the number of cores): several workbooks are "
        "checked at once, and the rules of a large workbook are shared among them.",
    )(func)


def output_options(func: F) -> F:
    """``--quiet`` and ``--verbose``."""
    func = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Also say which ruleset files and plugins were used, what the "
        "loader noticed, and how long each rule took (on standard error).",
    )(func)
    func = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="Only the findings: no progress, notes or summaries on standard "
        "error, and no health section in the text report.",
    )(func)
    return func


CONFIG_NAME = "alignhealth.toml"


class Ui:
    """What the CLI tells a person on standard error: notes, progress, verbose detail."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose and not quiet

    def note(self, message: str) -> None:
        if not self.quiet:
            click.echo(click.style("note: ", fg="cyan") + message, err=True)

    def detail(self, message: str) -> None:
        if self.verbose:
            click.echo(message, err=True)

    def discover_ruleset(self, folder: Path) -> str | None:
        """An alignhealth.toml beside the workbook, or in the current folder."""
        for candidate in (folder / CONFIG_NAME, Path.cwd() / CONFIG_NAME):
            if candidate.is_file():
                self.note(f"using ruleset {candidate} (pass --ruleset to choose another)")
                return str(candidate)
        return None

    @contextmanager
    def progress(self) -> Iterator[RichProgress | None]:
        """A progress display on a terminal; nothing when piped, quiet or verbose."""
        if self.quiet or self.verbose or not sys.stderr.isatty():
            yield None
            return
        display = RichProgress()
        with display.shown():
            yield display

    def describe_session(self, session: Session) -> None:
        if not self.verbose:
            return
        config = session.config
        self.detail(f"ruleset {config.ruleset.name}: {' -> '.join(config.ruleset.sources)}")
        self.detail(f"as of {config.settings.as_of}; {len(config.selected)} rules selected")
        for info in session.host.infos:
            if not info.builtin:
                state = f"error: {info.error}" if info.error else "loaded"
                self.detail(f"plugin {info.name} {info.version or ''} ({info.module}): {state}")

    def describe_result(self, result: RunResult) -> None:
        if not self.verbose:
            return
        for notice in result.notices:
            self.detail(f"notice {notice.code}: {terminal_safe(notice.message)}")
        slow = sorted(result.outcomes, key=lambda o: -o.duration_ms)[:5]
        timing = ", ".join(f"{o.code} {o.duration_ms:.0f} ms" for o in slow)
        self.detail(f"slowest rules: {timing}")


def plugin_host(no_plugins: bool, modules: Sequence[str]) -> PluginHost:
    """The plugin host the ``-p`` and ``--no-plugins`` options ask for."""
    return make_host(autoload=False if no_plugins else None, modules=modules)
