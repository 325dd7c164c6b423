"""The packaged presets load, and each changes what its documentation says."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignhealth.engine import CheckRequest, Session, make_host, prepare, presets
from alignhealth.findings import Severity

DOCS = Path(__file__).resolve().parents[1] / "docs"


def session(name: str) -> Session:
    return prepare(CheckRequest(ruleset=name), make_host(autoload=False))


def test_every_preset_loads_and_is_documented() -> None:
    names = set(presets(make_host(autoload=False)))
    assert names == {"default", "strict", "goal-tree", "okr"}
    text = (DOCS / "presets.md").read_text()
    for name in names:
        session(name)
        assert f"`{name}`" in text


def test_default_selects_everything_but_multiple_parents() -> None:
    config = session("default").config
    registry_codes = set(session("default").registry.rules)
    assert set(config.selected) == registry_codes - {"AH105"}


def test_strict_tightens_thresholds() -> None:
    config = session("strict").config
    assert "AH105" in config.selected
    assert config.options["AH501"].max_days == 14
    assert config.options["AH401"].max_priorities == 3
    assert config.options["AH206"].max_goals == 5
    assert config.options["AH301"].allow_same_level is False
    assert config.severities["AH202"] is Severity.HIGH


def test_goal_tree_enforces_its_shape() -> None:
    config = session("goal-tree").config
    assert config.options["AH104"].max_roots == 1
    assert (config.options["AH107"].top_min_children, config.options["AH107"].top_max_children) == (
        3,
        5,
    )
    assert config.options["AH109"].allowed == {"goal": [], "csf": ["goal"], "nc": ["csf", "nc"]}


def test_okr_measures_key_results_and_reviews_quarterly() -> None:
    config = session("okr").config
    assert "AH105" in config.selected
    assert config.options["AH601"].kinds == ["key result"]
    assert config.options["AH602"].kinds == ["key result"]
    assert config.options["AH501"].max_days == 92
    assert config.options["AH109"].allowed["key result"] == ["objective"]


@pytest.mark.parametrize("name", ["default", "strict", "goal-tree", "okr"])
def test_a_ruleset_can_extend_each_preset(tmp_path: Path, name: str) -> None:
    path = tmp_path / "client.toml"
    path.write_text(f'extends = ["{name}"]\n[rules]\nignore = ["AH6"]\n')
    config = session(str(path)).config
    assert not any(code.startswith("AH6") for code in config.selected)
