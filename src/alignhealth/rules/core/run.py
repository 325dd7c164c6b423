"""AH9: the run itself. These rules run last and report on the run, not the workbook."""

from __future__ import annotations

from collections.abc import Iterator

from alignhealth.findings import EntityRef, Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.rules.base import Rule, RuleContext, RuleOptions


class RuleError(Rule):
    """What it checks:
    A rule that raised an exception. The run goes on without that rule's findings, is
    marked incomplete, and exits with code 3; every other rule's findings are kept.

    Why it matters:
    A crashed rule found nothing, which is not the same as finding nothing wrong: a report
    that hid the crash would pass what it never checked.

    How to fix:
    Report the crash (the evidence holds the traceback) to the rule's plugin, and run
    with ``--ignore CODE`` meanwhile.

    Example:
    OKRQ003 raised KeyError('target'): AH901 on the rule OKRQ003, exit code 3.
    """

    code = "AH901"
    name = "rule-error"
    summary = "A rule crashed; the run is incomplete"
    default_severity = Severity.HIGH
    groups = ("run",)
    subject = "workbook"
    phase = "report"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        ctx.checked = ctx.run.rules_run + len(ctx.run.crashes)
        for crash in ctx.run.crashes:
            yield ctx.finding(
                EntityRef(kind="rule", id=crash.code, label=crash.name),
                f"rule {crash.code} ({crash.name}) crashed: {crash.exception}: {crash.message}; "
                "its findings are missing from this run",
                evidence={
                    "exception": crash.exception,
                    "traceback": crash.traceback,
                    "plugin": crash.plugin,
                },
                hint=f"Report this to the maintainers of {crash.plugin!r}; "
                f"use --ignore {crash.code} meanwhile",
                discriminator=crash.exception,
            )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [RuleError]
