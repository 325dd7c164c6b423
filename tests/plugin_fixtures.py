"""Small plugins, good and broken, registered by the tests themselves."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from alignhealth import Finding, Rule, RuleContext, RuleOptions, Severity, hookimpl
from alignhealth.loaders.workbook import load_workbook
from alignhealth.rules.base import SkipRule

_DOC = """What it checks:
    Something.

    Why it matters:
    Because.

    How to fix:
    Fix it.

    Example:
    An example.
    """


class CrashingRule(Rule):
    __doc__ = _DOC
    code = "ZZ001"
    name = "always-crashes"
    summary = "Raises KeyError"
    default_severity = Severity.LOW

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        raise KeyError("target")


class ExitingRule(Rule):
    __doc__ = _DOC
    code = "ZZ002"
    name = "calls-sys-exit"
    summary = "Raises SystemExit"
    default_severity = Severity.LOW

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        raise SystemExit(4)


class EveryGoalRule(Rule):
    __doc__ = _DOC
    code = "ZZ003"
    name = "flags-every-goal"
    summary = "Flags every goal"
    default_severity = Severity.INFO

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for goal in ctx.graph.goals.values():
            yield ctx.at(goal, "id", f"goal {goal.id}")


class CollidingRule(EveryGoalRule):
    __doc__ = _DOC
    code = "AH101"
    name = "steals-a-code"


class Crashing:
    @hookimpl
    def get_rules(self) -> list[type[Rule]]:
        return [CrashingRule, ExitingRule, EveryGoalRule]


class HalfwayCrashingRule(EveryGoalRule):
    __doc__ = _DOC
    code, name, summary = "ZZ004", "crashes-halfway", "Flags three goals, then raises KeyError"
    halt: type[Exception] = KeyError

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        yield from islice(super().check(ctx), 3)
        raise self.halt("halfway")


class HalfwaySkippedRule(HalfwayCrashingRule):
    __doc__ = _DOC
    code, name, summary = "ZZ005", "skipped-halfway", "Flags three goals, then skips itself"
    halt = SkipRule


class Halfway:
    """Rules that make findings, then crash or skip themselves: none of them is kept."""

    @hookimpl
    def get_rules(self) -> list[type[Rule]]:
        return [HalfwayCrashingRule, HalfwaySkippedRule, EveryGoalRule]


class Colliding:
    @hookimpl
    def get_rules(self) -> list[type[Rule]]:
        return [CollidingRule]


class Misspelt:
    @hookimpl
    def get_rulez(self) -> list[type[Rule]]:
        return []


class BrokenHook:
    @hookimpl
    def get_rules(self) -> list[type[Rule]]:
        raise RuntimeError("cannot list my rules")

    @hookimpl
    def modify_findings(self, findings: list[Finding]) -> list[Finding]:
        raise ValueError("cannot modify")


class DropsLowFindings:
    @hookimpl
    def modify_findings(self, findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if f.severity is not Severity.LOW]


class OwnLoader:
    """Reads ``*.goals`` files by renaming them in memory to the workbook they hold."""

    @hookimpl
    def load_source(self, path: Path, config: Any) -> Any:
        if path.suffix != ".goals":
            return None
        loaded = load_workbook(path)
        loaded.notices.append(
            loaded.notices[0].model_copy(update={"code": "own-loader"})
            if loaded.notices
            else _notice()
        )
        return loaded


def _notice() -> Any:
    from alignhealth.findings import Notice

    return Notice(code="own-loader", message="read by OwnLoader")


class Enricher:
    """Marks every goal without a level as a Team goal before the rules run."""

    @hookimpl
    def prepare_graph(self, graph: Any) -> None:
        for goal in graph.goals.values():
            if goal.level is None:
                goal.level = "Team"


class Recorder:
    """Keeps the results it is handed, and can be told to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.results: list[Any] = []
        self.fail = fail

    @hookimpl
    def run_finished(self, result: Any, config: Any) -> None:
        self.results.append(result)
        if self.fail:
            raise OSError("the notification server is down")


class PeersAtLevelRule(Rule):
    __doc__ = _DOC
    code = "ZZ010"
    name = "walks-every-goal-per-goal"
    summary = "Counts each goal's peers by walking every goal (quadratic)"
    default_severity = Severity.INFO

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        goals = list(ctx.graph.goals.values())
        for goal in goals:
            peers = sum(1 for other in goals if other.level == goal.level)
            if peers > 1000:
                yield ctx.at(goal, "level", f"goal {goal.id} has {peers} peers")


class QuietRule(Rule):
    __doc__ = _DOC
    code = "ZZ011"
    name = "looks-at-nothing"
    summary = "Does the same work whatever the rows"
    default_severity = Severity.INFO

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        return iter(())


class GrowthRules:
    @hookimpl
    def get_rules(self) -> list[type[Rule]]:
        return [PeersAtLevelRule, QuietRule]
