"""The starter ruleset ``alignhealth init`` writes: one file for a client's settings."""

from __future__ import annotations

STARTER = """\
# alignhealth.toml: this client's ruleset. `alignhealth check WORKBOOK` uses it when it
# sits beside the workbook (or in the current folder) and no --ruleset is given.
# Every key is described in docs/rulesets.md; `alignhealth rule CODE` documents a rule.
name = "client"
extends = ["{preset}"]          # a preset: default, strict, goal-tree, okr

[settings]
# as-of = 2026-11-15            # the date every date rule measures against (default: today)
# priority-rank = 3             # priorities are ranks 1..N (and High, Yes)
# leader-max-rank = 2           # leaders sit at level ranks 0..N (0 is the top)
# date-order = "day-first"      # how text dates like 03/04/2026 read
# levels = ["Company", "Division", "Department", "Team"]   # the level order, top first

[rules]
# ignore = ["AH302"]            # rules not to run (codes, prefixes, names, groups)
# extend-select = ["AH105"]     # rules to run as well

# [rules.severity]
# AH3 = "medium"                # the severity of a rule or family

# [rules.options.AH501]
# max-days = 30                 # days after which a review is stale
# [rules.options.AH206]
# max-goals = 7                 # active goals one person may own
# [rules.options.AH401]
# max-priorities = 5            # active priorities one person may own

# [[suppress]]                  # a finding the client has accepted, with a reason
# rules = ["AH101"]
# entities = ["G-04*"]
# reason = "Legacy goals kept for comparison"
# expires = 2027-03-31

# [input.goals]                 # when sheets or columns are not recognised
# sheet = "Strategy FY27"       # (alignhealth inspect --emit-mapping writes these for you)
# header-row = 5
# columns = {{ id = "Ref #", owner = "Exec Sponsor" }}
"""


def starter_ruleset(preset: str = "default") -> str:
    """The text of a starter ``alignhealth.toml`` extending ``preset``."""
    return STARTER.format(preset=preset)
