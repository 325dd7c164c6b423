"""Which rules run, at which severity: ruff's selection, over codes, prefixes, names, groups.

A selector is ``ALL``, a code (``AH101``), a prefix (``AH1``, ``AH``), a rule name
(``orphaned-goal``) or a group (``structure``). The more specific selector wins: a code or
name beats any prefix, a longer prefix beats a shorter one, a prefix beats a group, and a
group beats ``ALL``; at a tie ``ignore`` wins. Layers (presets, then the ruleset, then the
command line) apply in order: a layer's ``select`` replaces what came before, its
``extend-select`` adds, its ``ignore`` removes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from alignhealth.errors import UsageError, did_you_mean
from alignhealth.findings import Severity
from alignhealth.rules.registry import RuleRegistry

_EXACT = 1000
_GROUP = 1
_ALL = 0


@dataclass(frozen=True)
class Match:
    codes: frozenset[str]
    specificity: int


@dataclass
class SelectionLayer:
    """One source of selectors (a preset, a ruleset file, the command line)."""

    source: str
    select: Sequence[str] | None = None
    extend_select: Sequence[str] = field(default_factory=list)
    ignore: Sequence[str] = field(default_factory=list)


def resolve(registry: RuleRegistry, selector: str, source: str) -> Match:
    """The codes ``selector`` names, and how specific it is; unknown is a UsageError."""
    text = selector.strip()
    if text.upper() == "ALL":
        return Match(frozenset(registry.rules), _ALL)
    rule = registry.get(text)
    if rule is not None:
        return Match(frozenset({rule.code}), _EXACT)
    groups = registry.groups()
    if text.lower() in groups:
        return Match(frozenset(groups[text.lower()]), _GROUP)
    upper = text.upper()
    prefixed = frozenset(code for code in registry.rules if code.startswith(upper))
    if prefixed and len(upper) >= 2:
        return Match(prefixed, len(upper))
    known = [*registry.rules, *registry.by_name, *groups, "ALL"]
    raise UsageError(
        f"{source}: unknown rule selector {selector!r}{did_you_mean(selector, known)}; "
        "use a code (AH101), a prefix (AH1), a rule name, a group or ALL "
        "(see `alignhealth rules`)"
    )


def select_rules(registry: RuleRegistry, layers: Iterable[SelectionLayer]) -> list[str]:
    """The codes selected after every layer, sorted."""
    enabled: set[str] = set()
    for layer in layers:
        votes: dict[str, tuple[int, bool]] = {}
        ballots = [
            *((selector, True) for selector in layer.select or ()),
            *((selector, True) for selector in layer.extend_select),
            *((selector, False) for selector in layer.ignore),
        ]
        for selector, on in ballots:
            match = resolve(registry, selector, layer.source)
            for code in match.codes:
                # Higher specificity wins; at a tie, off (ignore) beats on.
                previous = votes.get(code)
                if previous is None or (match.specificity, not on) > (previous[0], not previous[1]):
                    votes[code] = (match.specificity, on)
        base = set() if layer.select is not None else enabled
        enabled = {c for c in base if c not in votes} | {c for c, (_, on) in votes.items() if on}
    return sorted(enabled)


def severities(
    registry: RuleRegistry, overrides: Mapping[str, str], source: str
) -> dict[str, Severity]:
    """The effective severity of every rule: the most specific override, else its default."""
    best: dict[str, tuple[int, Severity]] = {}
    for selector, value in overrides.items():
        try:
            severity = Severity.parse(value)
        except ValueError as exc:
            raise UsageError(f"{source}: [rules.severity] {selector!r}: {exc}") from None
        match = resolve(registry, selector, f"{source}: [rules.severity]")
        for code in match.codes:
            if code not in best or match.specificity > best[code][0]:
                best[code] = (match.specificity, severity)
    return {
        code: best[code][1] if code in best else registered.rule.severity()
        for code, registered in registry.rules.items()
    }
