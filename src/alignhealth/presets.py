"""The packaged presets (``default`` ...), offered through the ``get_rulesets`` hook."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from alignhealth.hookspecs import hookimpl


def presets_dir() -> Traversable:
    """The folder of preset TOML files.

    In a wheel the top-level ``rulesets/`` folder is packaged as ``alignhealth/rulesets``;
    an editable install of a source checkout reads the folder where it stands.
    """
    packaged = resources.files("alignhealth") / "rulesets"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rulesets"


@hookimpl
def get_rulesets() -> dict[str, Traversable]:
    folder = presets_dir()
    if not folder.is_dir():
        return {}
    return {
        entry.name.removesuffix(".toml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }
