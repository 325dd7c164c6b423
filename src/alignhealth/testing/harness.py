"""Build workbooks and graphs from rows, and run one rule over them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict, Unpack

from alignhealth.engine import CheckRequest, Session, make_host, prepare, run_rules
from alignhealth.findings import Finding, RuleOutcome
from alignhealth.graph import OrgGraph
from alignhealth.loaders.raw import RawSheet, RawWorkbook, RowStream
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.loaders.workbook import load_raw
from alignhealth.ruleset import Suppression, SuppressionEntry

Rows = Sequence[Mapping[str, Any]]
DEFAULT_AS_OF = dt.date(2026, 11, 15)


def _table(rows: Rows) -> list[list[Any]]:
    """Rows of dicts as a header row and value rows (headers in first-seen order)."""
    headers: list[str] = []
    for row in rows:
        headers.extend(k for k in row if k not in headers)
    return [headers, *([row.get(h) for h in headers] for row in rows)]


def _sheets(
    goals: Rows,
    people: Rows | None,
    projects: Rows | None,
    reviews: Rows | None,
    levels: Rows | None,
) -> dict[str, list[list[Any]]]:
    sheets = {"Goals": _table(goals)}
    for name, rows in (
        ("People", people),
        ("Projects", projects),
        ("Reviews", reviews),
        ("Levels", levels),
    ):
        if rows is not None:
            sheets[name] = _table(rows)
    return sheets


def write_workbook(
    path: Path,
    goals: Rows = (),
    *,
    people: Rows | None = None,
    projects: Rows | None = None,
    reviews: Rows | None = None,
    levels: Rows | None = None,
    sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
) -> Path:
    """Write a real .xlsx: a sheet per kind of rows given (headers from the dict keys), or
    ``sheets`` as sheet name -> rows of cell values, written exactly as given."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    content = (
        dict(sheets) if sheets is not None else _sheets(goals, people, projects, reviews, levels)
    )
    for name, rows in content.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def load_rows(
    goals: Rows = (),
    *,
    people: Rows | None = None,
    projects: Rows | None = None,
    reviews: Rows | None = None,
    levels: Rows | None = None,
    date_order: Any = None,
) -> LoadedWorkbook:
    """Read rows through the real sheet reader, without a file (``memory.xlsx``)."""
    raw_sheets = []
    for name, table in _sheets(goals, people, projects, reviews, levels).items():

        def stream(table: list[list[Any]] = table) -> RowStream:
            return (
                (n, row)
                for n, row in enumerate(table, start=1)
                if any(v is not None and v != "" for v in row)
            )

        raw_sheets.append(RawSheet(name=name, hidden=False, rows=stream))
    return load_raw(
        RawWorkbook(path="memory.xlsx", sheets=raw_sheets), "memory.xlsx", date_order=date_order
    )


def build_graph(
    goals: Rows = (),
    *,
    people: Rows | None = None,
    projects: Rows | None = None,
    reviews: Rows | None = None,
    levels: Rows | None = None,
    as_of: dt.date = DEFAULT_AS_OF,
    level_order: Sequence[str] | None = None,
) -> OrgGraph:
    """An :class:`OrgGraph` from rows of dicts keyed by header (any synonym works)."""
    loaded = load_rows(goals, people=people, projects=projects, reviews=reviews, levels=levels)
    return OrgGraph(loaded, as_of=as_of, levels=level_order)


class RuleInputs(TypedDict, total=False):
    """The keyword arguments of :func:`run_rule` besides ``goals``: the other sheets' rows,
    the rule's ``options``, the run's ``settings``, ``[[suppress]]`` entries, the as-of
    date (default 2026-11-15) and the ``plugins`` or ``modules`` the rule comes from."""

    people: Rows | None
    projects: Rows | None
    reviews: Rows | None
    levels: Rows | None
    options: Mapping[str, Any] | None
    settings: Mapping[str, Any] | None
    suppress: Sequence[Mapping[str, Any]]
    as_of: dt.date
    plugins: Sequence[tuple[str, object]]
    modules: Sequence[str]


def prepared_rule(
    code: str, goals: Rows = (), **inputs: Unpack[RuleInputs]
) -> tuple[Session, str, OrgGraph]:
    """What :func:`run_rule` runs a rule with: the session (the rule selected, with its
    options; a ``report`` rule after every check rule), the rule's code (``code`` may be
    its name) and the graph of the rows."""
    host = make_host(
        autoload=False, modules=inputs.get("modules", ()), plugins=inputs.get("plugins", ())
    )
    request = CheckRequest(
        as_of=inputs.get("as_of", DEFAULT_AS_OF), settings=dict(inputs.get("settings") or {})
    )
    session = prepare(request, host)
    registered = session.registry.get(code)
    if registered is None:
        raise LookupError(f"no rule {code!r} is registered")
    config = session.config
    options = inputs.get("options")
    if options:
        config.options[registered.code] = registered.rule.Options.model_validate(options)
    config.ruleset.suppressions = [
        Suppression(SuppressionEntry.model_validate(entry), "test.toml", index)
        for index, entry in enumerate(inputs.get("suppress", ()))
    ]
    if registered.rule.phase == "report":
        config.selected = sorted(
            {c for c in config.selected if session.registry.rules[c].rule.phase == "check"}
            | {registered.code}
        )
    else:
        config.selected = [registered.code]
    graph = OrgGraph(
        load_rows(
            goals,
            people=inputs.get("people"),
            projects=inputs.get("projects"),
            reviews=inputs.get("reviews"),
            levels=inputs.get("levels"),
            date_order=config.settings.date_order,
        ),
        as_of=config.settings.as_of,
        levels=config.settings.levels,
    )
    return session, registered.code, graph


def run_rule(
    code: str,
    goals: Rows = (),
    *,
    outcome: RuleOutcome | None = None,
    **inputs: Unpack[RuleInputs],
) -> list[Finding]:
    """Run one rule (by code or name) over rows, as the engine would: ``goals`` and the
    :class:`RuleInputs` (``people=...``, ``options=...``, ``plugins=...``).

    ``suppress`` takes ``[[suppress]]`` entries as dicts. A rule of the ``report`` phase
    (AH9) runs after every check rule of the default selection, so it sees their findings
    and suppressions. Third-party plugins are not autoloaded: name the ones the test needs
    in ``plugins`` (``(name, module_or_object)``) or ``modules``. A rule that is skipped
    returns no findings; pass ``outcome`` to see why. A rule that crashes raises.
    """
    session, code, graph = prepared_rule(code, goals, **inputs)
    findings, outcomes, crashed = run_rules(session, graph)
    mine = next(o for o in outcomes if o.code == code)
    if outcome is not None:
        for name in RuleOutcome.model_fields:
            setattr(outcome, name, getattr(mine, name))
    if crashed:
        raise RuntimeError(f"a rule crashed: {[o.reason for o in outcomes if o.status == 'error']}")
    return [f for f in findings if f.code == code]


def flagged(findings: Iterable[Finding]) -> set[str]:
    """The ids of the entities a list of findings names."""
    return {f.entity.id for f in findings}
