"""Documentation generated from the code must match the code."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from alignhealth.cli import main
from alignhealth.engine import make_host
from alignhealth.rules.registry import RuleRegistry

ROOT = Path(__file__).resolve().parents[1]


def test_rule_reference_is_up_to_date() -> None:
    generated = CliRunner().invoke(main, ["rules", "--format", "markdown", "--no-plugins"]).stdout
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == generated, (
        "docs/rules.md is stale: run `alignhealth rules --format markdown --no-plugins "
        "> docs/rules.md`"
    )


def test_every_rule_is_documented_in_four_sections_and_in_the_readme() -> None:
    registry = RuleRegistry.from_host(make_host(autoload=False))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, registered in registry.rules.items():
        sections = registered.rule.doc_sections()
        assert list(sections) == ["What it checks", "Why it matters", "How to fix", "Example"]
        assert code in readme, f"{code} is missing from the README's rule list"


def test_rule_command_prints_the_same_text_as_the_reference() -> None:
    reference = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code in ("AH101", "AH304", "AH903"):
        shown = CliRunner().invoke(main, ["rule", code]).stdout
        assert shown.rstrip("\n") in reference


def test_cli_reference_is_up_to_date() -> None:
    from alignhealth.clidoc import cli_reference

    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == cli_reference(), (
        "docs/cli.md is stale: run `python -m alignhealth.clidoc > docs/cli.md`"
    )


def test_readme_links_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{doc.name}" in readme, f"the README does not link docs/{doc.name}"
