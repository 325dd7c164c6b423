"""Rule selection: codes, prefixes, names, groups, ALL; the more specific wins; layers."""

from __future__ import annotations

import pytest

from alignhealth.engine import make_host
from alignhealth.errors import UsageError
from alignhealth.findings import Severity
from alignhealth.rules.registry import RuleRegistry
from alignhealth.rules.selection import SelectionLayer, select_rules, severities


@pytest.fixture(scope="module")
def registry() -> RuleRegistry:
    return RuleRegistry.from_host(make_host(autoload=False))


def pick(registry: RuleRegistry, *layers: SelectionLayer) -> list[str]:
    return select_rules(registry, layers)


def layer(
    select: list[str] | None = None, extend: tuple[str, ...] = (), ignore: tuple[str, ...] = ()
) -> SelectionLayer:
    return SelectionLayer("test", select, list(extend), list(ignore))


def test_select_by_code_prefix_name_group_and_all(registry: RuleRegistry) -> None:
    assert pick(registry, layer(["AH101"])) == ["AH101"]
    assert pick(registry, layer(["AH10"])) == [f"AH10{n}" for n in range(1, 10)]
    assert pick(registry, layer(["orphaned-goal"])) == ["AH101"]
    assert pick(registry, layer(["orgchart"])) == ["AH801", "AH802", "AH803"]
    assert pick(registry, layer(["ALL"])) == registry.sorted_codes()
    assert pick(registry, layer(["ah801"])) == ["AH801"]


def test_more_specific_selector_wins(registry: RuleRegistry) -> None:
    assert pick(registry, layer(["AH1"], ignore=("AH10",))) == []
    assert pick(registry, layer(["AH101"], ignore=("AH1",))) == ["AH101"]
    assert pick(registry, layer(["ALL"], ignore=("structure",)))[:3] == ["AH001", "AH002", "AH003"]
    assert "AH101" in pick(registry, layer(["AH1"], ignore=("structure",)))


def test_ignore_wins_a_tie(registry: RuleRegistry) -> None:
    assert pick(registry, layer(["AH1"], ignore=("AH1",))) == []
    assert pick(registry, layer(["AH201"], extend=("AH202",), ignore=("AH202",))) == ["AH201"]


def test_later_layers_extend_or_replace(registry: RuleRegistry) -> None:
    base = layer(["AH10"], ignore=("AH104",))
    assert "AH104" in pick(registry, base, layer(extend=("AH104",)))
    assert pick(registry, base, layer(["AH20"])) == [f"AH20{n}" for n in range(1, 9)]
    assert pick(registry, base, layer(ignore=("AH101",)))[:2] == ["AH102", "AH103"]


def test_unknown_selector_suggests_the_closest(registry: RuleRegistry) -> None:
    with pytest.raises(
        UsageError, match=r"unknown rule selector 'orphan-goal' \(did you mean 'orphaned-goal'"
    ):
        pick(registry, layer(["orphan-goal"]))
    with pytest.raises(UsageError, match="unknown rule selector 'ZZ9'"):
        pick(registry, layer(extend=("ZZ9",)))


def test_severity_overrides_most_specific_wins(registry: RuleRegistry) -> None:
    got = severities(registry, {"AH1": "low", "AH101": "critical", "ownership": "info"}, "t")
    assert got["AH101"] is Severity.CRITICAL
    assert got["AH102"] is Severity.LOW
    assert got["AH201"] is Severity.INFO
    assert got["AH801"] is Severity.HIGH


def test_severity_override_rejects_unknown_severity(registry: RuleRegistry) -> None:
    with pytest.raises(UsageError, match="unknown severity 'urgent'"):
        severities(registry, {"AH101": "urgent"}, "t")
