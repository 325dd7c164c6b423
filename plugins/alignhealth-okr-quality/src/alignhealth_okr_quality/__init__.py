"""alignhealth-okr-quality: rules for the quality of objectives and key results."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from alignhealth import Rule, hookimpl
from alignhealth_okr_quality.rules import KeyResultCount, TaskWordedKeyResult, UnboundedKeyResult

__version__ = "0.1.0"


@hookimpl
def get_rules() -> list[type[Rule]]:
    return [TaskWordedKeyResult, KeyResultCount, UnboundedKeyResult]


@hookimpl
def get_rulesets() -> dict[str, Traversable]:
    folder = resources.files("alignhealth_okr_quality") / "presets"
    return {"okr-quality": folder / "okr-quality.toml"}
