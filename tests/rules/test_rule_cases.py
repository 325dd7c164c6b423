"""Every rule against its data-driven cases (tests/rules/cases/*.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignhealth.engine import make_host
from alignhealth.findings import RuleOutcome
from alignhealth.rules.registry import RuleRegistry
from alignhealth.testing import RuleCase, flagged, load_cases

CASES_DIR = Path(__file__).parent / "cases"
CASES = load_cases(CASES_DIR)
# Rules the engine itself exercises (AH901 reports crashes; see tests/test_engine.py).
ENGINE_RULES = {"AH901"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: RuleCase) -> None:
    outcome = RuleOutcome(code=case.rule, name="", status="ok")
    findings = case.run(outcome=outcome)
    if case.expect_skipped:
        assert outcome.status == "skipped", f"{case.source}: expected the rule to be skipped"
        assert outcome.reason
        return
    assert outcome.status in ("ok", "findings"), outcome.reason
    assert flagged(findings) == case.expect, f"{case.source}: {[f.message for f in findings]}"
    for finding in findings:
        assert finding.code == case.rule
        if finding.entity.kind in ("goal", "person", "project"):
            assert finding.location is not None and finding.location.cell


def test_every_core_rule_has_a_failing_and_a_passing_case() -> None:
    registry = RuleRegistry.from_host(make_host(autoload=False))
    failing = {c.rule for c in CASES if c.expect}
    passing = {c.rule for c in CASES if not c.expect and not c.expect_skipped}
    missing = {
        code: [
            kind for kind, have in (("failing", failing), ("passing", passing)) if code not in have
        ]
        for code in registry.rules
        if code not in ENGINE_RULES
    }
    assert {code: kinds for code, kinds in missing.items() if kinds} == {}
