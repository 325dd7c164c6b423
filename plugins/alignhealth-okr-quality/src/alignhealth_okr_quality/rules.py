"""The OKRQ rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import Field, model_validator

from alignhealth import Finding, Rule, RuleContext, RuleOptions, Severity
from alignhealth.model import Goal, Kind

TASK_VERBS = (
    "launch",
    "build",
    "implement",
    "deliver",
    "migrate",
    "complete",
    "ship",
    "create",
    "develop",
    "write",
    "design",
    "roll out",
    "set up",
    "introduce",
    "release",
    "deploy",
    "finish",
    "hold",
    "run",
    "organise",
    "organize",
    "publish",
    "hire",
    "install",
)


def _key_results(ctx: RuleContext[Any]) -> Iterator[Goal]:
    return (g for g in ctx.active_goals() if g.kind is Kind.KEY_RESULT)


class TaskWordsOptions(RuleOptions):
    verbs: list[str] = Field(
        default_factory=lambda: list(TASK_VERBS),
        description="leading words that make a key result a task",
    )


class TaskWordedKeyResult(Rule):
    """What it checks:
    An active key result whose title starts with a task verb (launch, build, implement,
    deliver, migrate, complete, ship, and the others in ``verbs``), case and leading
    punctuation ignored.

    Why it matters:
    A key result says what will be true when the objective is met (an outcome anyone can
    measure), not what someone will do. "Launch the app" can be done without anything
    getting better; "Raise weekly active users from 2,000 to 5,000" cannot.

    How to fix:
    Reword it as a measurable change: a metric, from where it is to where it must be.
    Keep the task as an initiative beneath it.

    Example:
    KR-4 "Launch the partner portal": OKRQ001 at KR-4's title cell.
    """

    code = "OKRQ001"
    name = "task-worded-key-result"
    summary = "A key result is worded as a task, not an outcome"
    default_severity = Severity.MEDIUM
    groups = ("okr-quality",)
    Options = TaskWordsOptions

    def check(self, ctx: RuleContext[TaskWordsOptions]) -> Iterator[Finding]:
        verbs = sorted((v.casefold() for v in ctx.options.verbs), key=len, reverse=True)
        pattern = re.compile(r"^\W*(" + "|".join(re.escape(v) for v in verbs) + r")\b")
        for goal in _key_results(ctx):
            match = pattern.match(goal.title.casefold())
            if match:
                yield ctx.at(
                    goal,
                    "title",
                    f"Key result {goal.id} {goal.title!r} starts with {match[1]!r}: a task, "
                    "not an outcome",
                    evidence={"verb": match[1]},
                    hint="Reword it as a measurable change; keep the task as an initiative",
                )


class KeyResultCountOptions(RuleOptions):
    min_key_results: int = Field(2, ge=0, description="the fewest key results an objective needs")
    max_key_results: int = Field(5, ge=1, description="the most key results an objective may have")

    @model_validator(mode="after")
    def _ordered(self) -> KeyResultCountOptions:
        if self.min_key_results > self.max_key_results:
            raise ValueError("min-key-results is larger than max-key-results")
        return self


class KeyResultCount(Rule):
    """What it checks:
    An active objective with fewer than ``min-key-results`` (default 2) or more than
    ``max-key-results`` (default 5) active key results beneath it.

    Why it matters:
    One key result is a restatement of the objective; six or more means the objective is
    several objectives, and its owner cannot hold them all in mind.

    How to fix:
    Add the key results that would show the objective is met, or split the objective.

    Example:
    O-2 "Delight partners" has one key result: OKRQ002 at O-2's id cell.
    """

    code = "OKRQ002"
    name = "key-result-count"
    summary = "An objective has too few or too many key results"
    default_severity = Severity.MEDIUM
    groups = ("okr-quality",)
    Options = KeyResultCountOptions

    def check(self, ctx: RuleContext[KeyResultCountOptions]) -> Iterator[Finding]:
        graph = ctx.graph
        low, high = ctx.options.min_key_results, ctx.options.max_key_results
        for goal in ctx.active_goals():
            if goal.kind is not Kind.OBJECTIVE:
                continue
            count = sum(
                1
                for child in graph.children(goal.id)
                if graph.goals[child].active and graph.goals[child].kind is Kind.KEY_RESULT
            )
            if low <= count <= high:
                continue
            yield ctx.at(
                goal,
                "id",
                f"Objective {goal.id} {goal.title!r} has {count} active key result(s); "
                f"expected {low} to {high}",
                evidence={"key_results": count, "min": low, "max": high},
                hint="Add the key results that show it is met, or split the objective",
                discriminator="few" if count < low else "many",
            )


class UnboundedKeyResult(Rule):
    """What it checks:
    An active key result without a baseline (where it starts) or without a target (where
    it must get to). One finding per key result, at the first missing cell.

    Why it matters:
    Progress on a key result is the distance travelled from its baseline towards its
    target; without both ends nobody can say how far along it is.

    How to fix:
    Record the value at the start of the period as the baseline, and the value that means
    success as the target.

    Example:
    KR-7 "Raise NPS" has a target of 40 but no baseline: OKRQ003 at KR-7's baseline cell.
    """

    code = "OKRQ003"
    name = "unbounded-key-result"
    summary = "A key result lacks a baseline or a target"
    default_severity = Severity.MEDIUM
    groups = ("okr-quality",)

    def check(self, ctx: RuleContext[RuleOptions]) -> Iterator[Finding]:
        for goal in _key_results(ctx):
            missing = [f for f in ("baseline", "target") if getattr(goal, f) is None]
            if not missing:
                continue
            yield ctx.at(
                goal,
                missing[0],
                f"Key result {goal.id} {goal.title!r} has no {' and no '.join(missing)}",
                evidence={"baseline": goal.baseline, "target": goal.target},
                hint="Record where it starts (baseline) and where it must get to (target)",
            )
