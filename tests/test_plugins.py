"""Third-party plugins found through the ``alignhealth`` entry-point group."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alignhealth.plugins import PluginHost
from alignhealth.rules.registry import RuleRegistry

GOOD = '''
from alignhealth import Rule, Severity, hookimpl


class Always(Rule):
    """What it checks:
    Every goal.

    Why it matters:
    A test.

    How to fix:
    Nothing.

    Example:
    G1.
    """

    code = "XT001"
    name = "xt-always"
    summary = "Flags every goal"
    default_severity = Severity.INFO

    def check(self, ctx):
        for goal in ctx.graph.goals.values():
            yield ctx.at(goal, "id", "seen")


@hookimpl
def get_rules():
    return [Always]
'''


def install_fake_distribution(
    site: Path, dist: str, modules: dict[str, str], entry_points: dict[str, str]
) -> None:
    """A distribution as pip would leave it: modules plus a .dist-info with entry points."""
    for name, source in modules.items():
        (site / f"{name}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[alignhealth]\n{lines}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    yield tmp_path
    for name in ("xt_good", "xt_broken"):
        sys.modules.pop(name, None)


def test_entry_points_load_one_by_one(site: Path) -> None:
    install_fake_distribution(site, "xt-good", {"xt_good": GOOD}, {"good": "xt_good"})
    install_fake_distribution(
        site, "xt-broken", {"xt_broken": "import does_not_exist\n"}, {"broken": "xt_broken"}
    )
    host = PluginHost()
    registry = RuleRegistry.from_host(host)
    assert registry.rules["XT001"].plugin == "xt-good"
    good = next(i for i in host.infos if i.name == "xt-good")
    assert (good.distribution, good.version, good.hooks) == ("xt-good", "1.2.3", ["get_rules"])
    broken = next(i for i in host.infos if i.name == "xt-broken")
    assert "ModuleNotFoundError" in (broken.error or "")
    assert [e.message.split(":")[0] for e in host.errors] == ["plugin 'xt-broken'"]


def test_autoload_can_be_turned_off(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_distribution(site, "xt-good", {"xt_good": GOOD}, {"good": "xt_good"})
    assert "XT001" not in RuleRegistry.from_host(PluginHost(autoload=False)).rules
    monkeypatch.setenv("ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD", "1")
    host = PluginHost()
    assert "XT001" not in RuleRegistry.from_host(host).rules
    assert "AH101" in RuleRegistry.from_host(host).rules  # the built-ins always load


def test_load_a_plugin_by_module_name(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD", "1")
    (site / "xt_good.py").write_text(GOOD)
    host = PluginHost(modules=["xt_good", "xt_missing"])
    assert "XT001" in RuleRegistry.from_host(host).rules
    assert any("xt_missing" in e.message for e in host.errors)


def test_builtins_register_through_the_same_hooks() -> None:
    host = PluginHost(autoload=False)
    hooks = {hook for info in host.infos if info.builtin for hook in info.hooks}
    assert {"get_rules", "get_reporters", "get_rulesets", "load_source"} <= hooks


def test_plugins_command_lists_plugins_and_their_errors(site: Path) -> None:
    import json

    from click.testing import CliRunner

    from alignhealth.cli import main

    install_fake_distribution(site, "xt-good", {"xt_good": GOOD}, {"good": "xt_good"})
    install_fake_distribution(
        site, "xt-broken", {"xt_broken": "raise RuntimeError('boom')\n"}, {"broken": "xt_broken"}
    )
    result = CliRunner().invoke(main, ["plugins", "--format", "json"])
    assert result.exit_code == 2
    entries = {e["name"]: e for e in json.loads(result.stdout)}
    assert entries["alignhealth"]["builtin"] and len(entries["alignhealth"]["rules"]) == 52
    assert entries["xt-good"]["rules"] == ["XT001"] and entries["xt-good"]["prefixes"] == ["XT"]
    assert "RuntimeError: boom" in entries["xt-broken"]["error"]
    text = CliRunner().invoke(main, ["plugins"]).stdout
    assert "xt-broken" in text and "error: failed to import" in text


def test_a_broken_plugin_fails_the_check_but_the_rest_runs(site: Path, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from alignhealth.cli import main
    from alignhealth.testing import write_workbook

    install_fake_distribution(site, "xt-good", {"xt_good": GOOD}, {"good": "xt_good"})
    install_fake_distribution(
        site, "xt-broken", {"xt_broken": "import nope\n"}, {"broken": "xt_broken"}
    )
    book = write_workbook(tmp_path / "b.xlsx", [{"ID": "G1", "Title": "Top"}])
    result = CliRunner().invoke(main, ["check", str(book), "--format", "json"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 2 and doc["exit_code"] == 2
    assert "xt-broken" in doc["errors"][0]["message"]
    assert ("XT001", "xt-good") in {(f["code"], f["plugin"]) for f in doc["findings"]}
