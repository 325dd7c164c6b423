"""What plugin authors (and alignhealth's own tests) import to test rules.

Build a graph from a few rows, write a real workbook, run one rule with options, assert
on the entity ids it flags, and load data-driven cases from TOML files::

    from alignhealth.testing import run_rule, flagged

    findings = run_rule("AH201", goals=[{"ID": "G1", "Title": "Grow", "Priority": 1}])
    assert flagged(findings) == {"G1"}

and check that a plugin keeps the contract: ``assert_plugin_contract(my_plugin_module)``.
"""

from alignhealth.testing.cases import RuleCase, load_cases
from alignhealth.testing.contract import assert_plugin_contract, plugin_problems
from alignhealth.testing.harness import (
    build_graph,
    flagged,
    load_rows,
    run_rule,
    write_workbook,
)

__all__ = [
    "RuleCase",
    "assert_plugin_contract",
    "build_graph",
    "flagged",
    "load_cases",
    "load_rows",
    "plugin_problems",
    "run_rule",
    "write_workbook",
]
