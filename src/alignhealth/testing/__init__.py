"""What plugin authors (and alignhealth's own tests) import to test rules.

Build a graph from a few rows, write a real workbook, run one rule with options, assert
on the entity ids it flags, and load data-driven cases from TOML files::

    from alignhealth.testing import run_rule, flagged

    findings = run_rule("AH201", goals=[{"ID": "G1", "Title": "Grow", "Priority": 1}])
    assert flagged(findings) == {"G1"}

check that a plugin keeps the contract: ``assert_plugin_contract(my_plugin_module)``, and
that a rule's work grows in proportion to the rows, counted in bytecodes rather than timed
(``assert_linear("ACME001", make_rows, plugins=...)``, :mod:`alignhealth.testing.growth`).
"""

from alignhealth.testing.cases import RuleCase, load_cases
from alignhealth.testing.contract import assert_plugin_contract, plugin_problems
from alignhealth.testing.growth import assert_linear, bytecodes, rule_bytecodes
from alignhealth.testing.harness import (
    RuleInputs,
    build_graph,
    flagged,
    load_rows,
    run_rule,
    write_workbook,
)

__all__ = [
    "RuleCase",
    "RuleInputs",
    "assert_linear",
    "assert_plugin_contract",
    "build_graph",
    "bytecodes",
    "flagged",
    "load_cases",
    "load_rows",
    "plugin_problems",
    "rule_bytecodes",
    "run_rule",
    "write_workbook",
]
