"""docs/plugins.md: every hook is documented and exercised, and the tutorial runs."""

from __future__ import annotations

import inspect
import re
import runpy
import sys
from pathlib import Path

import pytest

from alignhealth import hookspecs
from alignhealth.testing import assert_plugin_contract, flagged, load_cases

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
HOOKS = [
    name
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "alignhealth_spec")
]


def test_hooks_are_found() -> None:
    assert set(HOOKS) == {
        "get_rules",
        "get_rulesets",
        "get_reporters",
        "load_source",
        "prepare_graph",
        "modify_findings",
        "run_finished",
    }


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    assert re.search(rf"^### `{hook}\(", DOC, re.MULTILINE), f"{hook} is not in docs/plugins.md"
    assert (getattr(hookspecs, hook).__doc__ or "").strip(), f"{hook} has no docstring"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_exercised_by_a_test(hook: str) -> None:
    sources = [p.read_text() for p in (ROOT / "tests").glob("*.py")]
    sources += [p.read_text() for p in (ROOT / "src" / "alignhealth").rglob("*.py")]
    pattern = re.compile(rf"@hookimpl(?:\([^)]*\))?\s*\n\s*def {hook}\(")
    assert any(pattern.search(text) for text in sources), f"no implementation of {hook}"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.DOTALL)


def test_the_tutorial_plugin_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python, toml = blocks("python"), blocks("toml")
    package = tmp_path / "acme_rules"
    (package / "presets").mkdir(parents=True)
    (package / "rules.py").write_text(python[0])
    (package / "__init__.py").write_text(python[1])
    (package / "presets" / "acme.toml").write_text(toml[1])
    (tmp_path / "ACME.toml").write_text(toml[2])
    monkeypatch.syspath_prepend(str(tmp_path))
    import acme_rules

    try:
        assert_plugin_contract(acme_rules, "acme-rules")
        cases = load_cases(tmp_path / "ACME.toml")
        assert [c.expect for c in cases] == [{"G1"}, set()]
        for case in cases:
            assert flagged(case.run(plugins=[("acme-rules", acme_rules)])) == case.expect
        # the tutorial's tests, as a plugin author copies them
        tests = tmp_path / "tests"
        (tests / "cases").mkdir(parents=True)
        (tests / "cases" / "ACME.toml").write_text(toml[2])
        (tests / "test_acme.py").write_text(python[2])
        sample = runpy.run_path(str(tests / "test_acme.py"))
        ran = [name for name in sample if name.startswith("test_")]
        assert ran == [
            "test_case",
            "test_contract",
            "test_options",
            "test_work_grows_in_proportion_to_the_rows",
        ]
        for case in sample["CASES"]:
            sample["test_case"](case)
        for name in ran[1:]:
            sample[name]()
    finally:
        for name in [m for m in sys.modules if m.startswith("acme_rules")]:
            del sys.modules[name]
