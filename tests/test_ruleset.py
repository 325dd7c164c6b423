"""Ruleset files: schema, extends, presets, options, settings, mapping; clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from alignhealth.engine import CheckRequest, make_host, prepare, presets
from alignhealth.errors import UsageError
from alignhealth.ruleset import RulesetLoader, load_mapping


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def session_for(path: Path | str, **kwargs: object) -> object:
    return prepare(CheckRequest(ruleset=str(path), **kwargs), make_host(autoload=False))  # type: ignore[arg-type]


def test_default_preset_is_packaged_and_selects_every_rule() -> None:
    host = make_host(autoload=False)
    assert "default" in presets(host)
    session = prepare(CheckRequest(), host)
    assert "AH101" in session.config.selected and "AH901" in session.config.selected


def test_ruleset_extends_a_preset_and_a_relative_file(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    write(
        tmp_path / "base" / "firm.toml",
        """
name = "firm"
extends = ["default"]
[rules]
ignore = ["AH2"]
[rules.severity]
AH1 = "low"
[rules.options.AH104]
max-roots = 2
[settings]
priority-rank = 2
""",
    )
    client = write(
        tmp_path / "client.toml",
        """
name = "client"
extends = ["base/firm.toml"]
[rules]
extend-select = ["AH201"]
[rules.options.multiple-top-goals]
max-roots = 3
[settings]
as-of = 2026-11-15
levels = ["Group", "Division", "Team"]
[input.goals]
sheet = "Strategy"
""",
    )
    session = session_for(client)
    config = session.config  # type: ignore[attr-defined]
    assert config.ruleset.name == "client"
    assert "AH201" in config.selected and "AH202" not in config.selected
    assert config.severities["AH101"].value == "low"
    assert config.options["AH104"].max_roots == 3
    assert config.settings.priority_rank == 2
    assert config.settings.as_of == dt.date(2026, 11, 15)
    assert config.settings.levels == ("Group", "Division", "Team")
    assert config.mapping.goals.sheet == "Strategy"


def test_command_line_as_of_wins_over_the_ruleset(tmp_path: Path) -> None:
    path = write(tmp_path / "r.toml", "[settings]\nas-of = 2026-01-01\n")
    session = session_for(path, as_of=dt.date(2026, 6, 1))
    assert session.config.settings.as_of == dt.date(2026, 6, 1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules]\nselec = ['AH1']\n", r"unknown key 'rules.selec' \(did you mean 'select'"),
        ("nme = 'x'\n", r"unknown key 'nme' \(did you mean 'name'"),
        (
            "[settings]\npriority_rank = 2\n",
            r"unknown key 'settings.priority_rank' \(did you mean 'priority-rank'",
        ),
        (
            "[settings]\npriority-rank = 0\n",
            r"'settings.priority-rank': Input should be greater than or equal to 1",
        ),
        (
            "[rules.options.AH104]\nmax-root = 2\n",
            r"unknown key 'rules.options.AH104.max-root' \(did you mean 'max-roots'",
        ),
        ("[rules.options.AH104]\nmax-roots = 'two'\n", r"rules.options.AH104.max-roots"),
        ("[rules.options.AH999]\nx = 1\n", r"no rule 'AH999'"),
        ("[rules]\nselect = ['AH1O1']\n", r"unknown rule selector 'AH1O1' \(did you mean 'AH101'"),
        ("[[suppress]]\nrules = ['AH101']\nreason = ' '\n", r"a suppression needs a reason"),
        ("[input.goals]\ncolumns = { ownr = 'Sponsor' }\n", r"unknown goals field 'ownr'"),
        ("extends = ['strictt']\n", r"unknown ruleset 'strictt'"),
        ("this is not toml\n", r"not valid TOML"),
    ],
)
def test_ruleset_errors_name_the_key_and_the_fix(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(UsageError, match=message) as info:
        session_for(path)
    assert "bad.toml" in info.value.message or "strictt" in info.value.message


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", "extends = ['b.toml']\n")
    write(tmp_path / "b.toml", "extends = ['a.toml']\n")
    with pytest.raises(UsageError, match="extends itself"):
        RulesetLoader({}).load(str(tmp_path / "a.toml"))


def test_unknown_preset_and_missing_file() -> None:
    host = make_host(autoload=False)
    with pytest.raises(UsageError, match=r"unknown ruleset 'defualt' \(did you mean 'default'"):
        prepare(CheckRequest(ruleset="defualt"), host)
    with pytest.raises(UsageError, match="no such file"):
        prepare(CheckRequest(ruleset="missing/ruleset.toml"), host)


def test_requires_plugins_names_the_missing_plugin(tmp_path: Path) -> None:
    path = write(tmp_path / "r.toml", "requires-plugins = ['alignhealth-okr-quality']\n")
    with pytest.raises(UsageError, match=r"requires plugin 'alignhealth-okr-quality'.*pip install"):
        session_for(path)


def test_mapping_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.toml",
        "[input.goals]\nsheet = 'Plan'\nheader-row = 3\ncolumns = { id = 'Ref #' }\n",
    )
    mapping = load_mapping(path)
    assert (mapping.goals.sheet, mapping.goals.header_row, mapping.goals.columns) == (
        "Plan",
        3,
        {"id": "Ref #"},
    )
    bad = write(tmp_path / "bad.toml", "[rules]\nselect = ['AH1']\n")
    with pytest.raises(UsageError, match="holds only \\[input"):
        load_mapping(bad)
    worse = write(tmp_path / "worse.toml", "[input.goals]\nheader_row = 3\n")
    with pytest.raises(
        UsageError, match=r"unknown key 'input.goals.header_row' \(did you mean 'header-row'"
    ):
        load_mapping(worse)
