"""AH9: the run itself. These rules run last and report on the run, not the workbook."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from alignhealth.findings import EntityRef, Finding, Severity
from alignhealth.hookspecs import hookimpl
from alignhealth.rules.base import Rule, RuleContext, RuleOptions
from alignhealth.suppressions import SuppressionUse


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


def _suppression_entity(use: SuppressionUse) -> EntityRef:
    entry = use.suppression.entry
    return EntityRef(
        kind="suppression",
        # The file's name, not its path: the id (and so the fingerprint) must not change
        # with the folder the audit runs from.
        id=f"{Path(use.suppression.source).name}#{use.suppression.index + 1}",
        label=f"{', '.join(entry.rules)} on {', '.join(entry.entities)}",
    )


def _suppression_name(use: SuppressionUse) -> str:
    return f"Suppression #{use.suppression.index + 1} in {use.suppression.source}"


class UnusedSuppression(Rule):
    """What it checks:
    A ``[[suppress]]`` entry (not expired) that matched no finding in this run. The entity
    is the suppression, named by its file and position (``ruleset.toml#2``).

    Why it matters:
    A suppression that no longer matches is clutter at best; at worst it was mistyped and
    never hid what it was meant to, or it will silently hide a new problem later.

    How to fix:
    Remove it, or correct its rules and entities.

    Example:
    ``rules = ["AH101"], entities = ["G-04*"]`` while no G-04 goal is orphaned any more:
    AH902 on ``acme.toml#1``.
    """

    code = "AH902"
    name = "unused-suppression"
    summary = "A suppression matched nothing"
    default_severity = Severity.INFO
    groups = ("run",)
    subject = "workbook"
    phase = "report"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        uses: list[SuppressionUse] = ctx.run.suppression_uses
        ctx.checked = len(uses)
        for use in uses:
            if use.matched or use.expired:
                continue
            entry = use.suppression.entry
            entity = _suppression_entity(use)
            yield ctx.finding(
                entity,
                f"{_suppression_name(use)} ({entity.label}) matched nothing",
                evidence={"rules": entry.rules, "entities": entry.entities, "reason": entry.reason},
                hint="Remove the suppression, or correct its rules and entities",
            )


class ExpiredSuppression(Rule):
    """What it checks:
    A ``[[suppress]]`` entry whose ``expires`` date is before the as-of date. It no longer
    applies: the findings it hid show again.

    Why it matters:
    An expiry is a promise to look again; this is the reminder.

    How to fix:
    Fix what it suppressed, or renew the suppression with a new date and reason.

    Example:
    A suppression of AH101 that expired on 2026-09-30: AH903 on ``acme.toml#1``.
    """

    code = "AH903"
    name = "expired-suppression"
    summary = "A suppression has expired"
    default_severity = Severity.LOW
    groups = ("run",)
    subject = "workbook"
    phase = "report"

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        uses: list[SuppressionUse] = ctx.run.suppression_uses
        ctx.checked = len(uses)
        for use in uses:
            if not use.expired:
                continue
            entry = use.suppression.entry
            assert entry.expires is not None
            yield ctx.finding(
                _suppression_entity(use),
                f"{_suppression_name(use)} expired on {entry.expires.isoformat()}; the "
                f"{use.matched} finding(s) it covered show again",
                evidence={
                    "expires": entry.expires.isoformat(),
                    "matched": use.matched,
                    "reason": entry.reason,
                },
                hint="Fix what it suppressed, or renew it with a new date and reason",
            )


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [RuleError, UnusedSuppression, ExpiredSuppression]
