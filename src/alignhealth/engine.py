"""Run a health check: resolve the ruleset, load the workbook, run each rule in isolation,
apply suppressions, score, and choose the exit code."""

from __future__ import annotations

import datetime as dt
import gc
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alignhealth import __version__
from alignhealth.collector import gc_paused
from alignhealth.errors import InputError, UsageError, did_you_mean
from alignhealth.findings import Finding, PackedFindings, RuleOutcome, RunError, Severity
from alignhealth.graph import OrgGraph
from alignhealth.health import Census, summarize, take_census
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.model import Goal, Project
from alignhealth.plugins import PluginHost
from alignhealth.reporters.base import Reporter
from alignhealth.rules.base import Crash, Rule, RuleContext, RuleOptions, RunState, SkipRule
from alignhealth.rules.registry import RuleRegistry
from alignhealth.rules.selection import SelectionLayer, select_rules, severities
from alignhealth.ruleset import ResolvedRuleset, RulesetLoader, load_mapping
from alignhealth.runresult import RulesetInfo, RunConfig, RunResult, SourceInfo, ToolInfo
from alignhealth.settings import Settings
from alignhealth.sharing import run_shared, send_ahead, sends_ahead
from alignhealth.suppressions import apply_suppressions
from alignhealth.tomlfile import describe_validation_error

RULE_ERROR_CODE = "AH901"

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_CRASH = 3


@dataclass
class CheckRequest:
    """What the user asked for: the command line's options, as a library call."""

    ruleset: str | None = None
    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    mapping: Path | None = None
    as_of: dt.date | None = None
    fail_on: Severity = Severity.LOW
    exit_zero: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    #: Processes the rules of one large workbook may be shared among (this one included).
    jobs: int = 1


@dataclass
class Session:
    """The plugins, rules and resolved configuration shared by every workbook of a run."""

    host: PluginHost
    registry: RuleRegistry
    config: RunConfig

    @property
    def errors(self) -> list[RunError]:
        return [*self.host.errors, *self.registry.errors]


def make_host(
    autoload: bool | None = None,
    modules: Sequence[str] = (),
    plugins: Sequence[tuple[str, object]] = (),
) -> PluginHost:
    """A plugin host for one run: the built-ins, entry points (unless ``autoload`` is
    False or ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD is set), ``modules`` and ``plugins``."""
    return PluginHost(autoload=autoload, modules=modules, plugins=plugins)


def presets(host: PluginHost) -> dict[str, Any]:
    """Every preset any plugin offers (a later plugin cannot replace an earlier one's)."""
    found: dict[str, Any] = {}
    for _, offered in host.each("get_rulesets"):
        for name, resource in (offered or {}).items():
            found.setdefault(name, resource)
    return found


def available_reporters(host: PluginHost) -> dict[str, type[Reporter]]:
    """Every output format any plugin offers, by name (the first registration wins)."""
    found: dict[str, type[Reporter]] = {}
    for _, offered in host.each("get_reporters"):
        for reporter in offered or ():
            found.setdefault(reporter.name, reporter)
    return found


def _rule_options(registry: RuleRegistry, ruleset: ResolvedRuleset) -> dict[str, RuleOptions]:
    options: dict[str, RuleOptions] = {}
    given: dict[str, tuple[dict[str, Any], str]] = {}
    for key, (values, source) in ruleset.options.items():
        registered = registry.get(key)
        if registered is None:
            known = [*registry.rules, *registry.by_name]
            raise UsageError(
                f"{source}: [rules.options.{key}]: no rule {key!r}{did_you_mean(key, known)}"
            )
        previous = given.get(registered.code, ({}, source))[0]
        given[registered.code] = ({**previous, **values}, source)
    for code, registered in registry.rules.items():
        values, source = given.get(code, ({}, ""))
        try:
            options[code] = registered.rule.Options.model_validate(values, by_name=False)
        except ValidationError as exc:
            raise UsageError(
                describe_validation_error(
                    exc, registered.rule.Options, source, prefix=f"rules.options.{code}"
                )
            ) from None
    return options


def prepare(
    request: CheckRequest,
    host: PluginHost,
    *,
    today: Callable[[], dt.date] = dt.date.today,
) -> Session:
    """Resolve plugins, rules, ruleset, selection, severities, options and settings."""
    registry = RuleRegistry.from_host(host)
    loader = RulesetLoader(presets(host))
    ruleset = loader.load(request.ruleset or "default")
    loaded = {info.name for info in host.infos if info.error is None}
    loaded |= {info.distribution for info in host.infos if info.distribution and not info.error}
    for name in ruleset.requires_plugins:
        if name not in loaded:
            raise UsageError(
                f"ruleset {ruleset.name!r} requires plugin {name!r}, which is not installed "
                f"(or failed to load); install it with: pip install {name}"
            )
    layers = list(ruleset.layers)
    if request.select is not None or request.extend_select or request.ignore:
        layers.append(
            SelectionLayer(
                "the command line", request.select, request.extend_select, request.ignore
            )
        )
    selected = select_rules(registry, layers)
    overrides = {selector: value for selector, (value, _) in ruleset.severity.items()}
    source = ruleset.sources[-1] if ruleset.sources else "ruleset"
    severity_of = severities(registry, overrides, source)
    options = _rule_options(registry, ruleset)
    values = {**ruleset.settings, **request.settings}
    values["as_of"] = request.as_of or values.get("as_of") or today()
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        raise UsageError(describe_validation_error(exc, Settings, source, "settings")) from None
    mapping = ruleset.mapping
    if request.mapping is not None:
        mapping = load_mapping(request.mapping).merged_over(mapping)
    config = RunConfig(
        ruleset=ruleset,
        settings=settings,
        selected=selected,
        severities=severity_of,
        options=options,
        mapping=mapping,
        fail_on=request.fail_on,
        jobs=request.jobs,
    )
    return Session(host, registry, config)


def _requirement_missing(requirement: str, graph: OrgGraph) -> str | None:
    if requirement == "people" and not graph.has_people:
        return "the workbook has no People sheet"
    if requirement == "projects" and not graph.has_projects:
        return "the workbook has no Projects sheet"
    if requirement == "reviews" and not graph.has_reviews:
        return "the workbook has no Reviews sheet"
    if requirement == "managers" and not (graph.has_people and graph.has_managers):
        return "no manager data (no People sheet, or no one names a manager)"
    if requirement == "levels" and not any(g.level for g in graph.goals.values()):
        return "no goal has a level"
    if requirement == "review-data":
        from alignhealth.loaders.schema import SheetKind

        if not graph.has_reviews and not graph.has_field(SheetKind.GOALS, "last_reviewed"):
            return "no review data (no Reviews sheet and no last-reviewed column)"
    return None


def _subject_count(rule: type[Rule], graph: OrgGraph) -> int:
    return {
        "goals": len(graph.goals),
        "people": len(graph.people),
        "projects": len(graph.projects),
        "workbook": 1,
    }[rule.subject]


#: The findings a rule run by another process sends ahead at a time.
SENT_AHEAD_EVERY = 5_000


def run_one(
    session: Session,
    code: str,
    graph: OrgGraph,
    run: RunState,
    outcome: RuleOutcome,
    ahead: Callable[[list[Finding]], bool] | None = None,
) -> list[Finding]:
    """Run one rule in isolation, filling in its outcome; a crash is recorded in ``run``.

    ``ahead(findings)``, if given, is offered the rule's findings :data:`SENT_AHEAD_EVERY`
    at a time as they are made; those it takes (it returns True) are not returned, but
    counted in the outcome. A rule that crashes or is skipped after some were taken
    returns none, and its outcome says so: what was taken is to be dropped.
    """
    config = session.config
    registered = session.registry.rules[code]
    rule_cls = registered.rule
    reason = next((r for req in rule_cls.requires if (r := _requirement_missing(req, graph))), None)
    if reason:
        outcome.status, outcome.reason = "skipped", reason
        return []
    started = time.perf_counter()
    sent = 0
    try:
        ctx = RuleContext(
            rule_cls(),
            graph,
            config.options[code],
            config.settings,
            config.severities[code],
            registered.plugin,
            run,
        )
        # One loop either way, so that a crash's traceback is the same in both processes.
        produced: list[Finding] = []
        for finding in ctx.rule.check(ctx):
            produced.append(finding)
            if len(produced) == SENT_AHEAD_EVERY and ahead is not None and ahead(produced):
                sent += len(produced)
                produced = []
    except SkipRule as skip:
        outcome.status, outcome.reason = "skipped", str(skip) or "skipped by the rule"
        return []
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        outcome.status = "error"
        outcome.reason = f"{type(exc).__name__}: {exc}"
        outcome.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        run.crashes.append(
            Crash(
                code=code,
                name=rule_cls.name,
                plugin=registered.plugin,
                exception=type(exc).__name__,
                message=str(exc),
                traceback=traceback.format_exc(limit=-3),
            )
        )
        return []
    run.rules_run += 1
    outcome.duration_ms = round((time.perf_counter() - started) * 1000, 3)
    outcome.checked = ctx.checked if ctx.checked is not None else _subject_count(rule_cls, graph)
    outcome.failed = sent + len(produced)
    outcome.status = "findings" if outcome.failed else "ok"
    return produced


#: Below this many goals the rules take well under a second, less than a fork would save.
SHARE_RULES_FROM = 20_000

#: The order a large graph's check rules are shared out in, by family (a rule's first
#: group): this process takes rules from the front, a forked one from the back
#: (:mod:`alignhealth.sharing`). Each process builds the per-run indexes its own rules ask
#: for, so families that ask for the same ones sit at the same end: levels and execution
#: walk the manager chain, ownership, priorities and engagement count each owner's goals.
#: Other families (plugins') go between the two ends.
SHARING_FRONT = ("levels", "execution", "measurement", "structure", "data")
SHARING_BACK = ("ownership", "priorities", "engagement", "orgchart")


def sharing_order(codes: Sequence[str], registry: RuleRegistry) -> list[str]:
    """``codes`` in the order they are shared out among processes: by family, front
    families first and back families last, selection order within a family."""

    def position(code: str) -> int:
        groups = registry.rules[code].rule.groups
        family = groups[0] if groups else ""
        if family in SHARING_FRONT:
            return SHARING_FRONT.index(family)
        if family in SHARING_BACK:
            return len(SHARING_FRONT) + 1 + SHARING_BACK.index(family)
        return len(SHARING_FRONT)

    return sorted(codes, key=position)


def blank_outcome(session: Session, code: str) -> RuleOutcome:
    """The outcome of a selected rule before it runs (:func:`run_one` fills it in)."""
    rule = session.registry.rules[code]
    return RuleOutcome(
        code=code,
        name=rule.rule.name,
        plugin=rule.plugin,
        summary=rule.rule.summary,
        severity=session.config.severities[code],
        groups=list(rule.rule.groups),
        status="ok",
    )


#: What a rule run by either process hands back: its findings, outcome and crash.
Checked = tuple[PackedFindings, RuleOutcome, RunState]


def with_sent(sent: list[PackedFindings], checked: Checked) -> Checked:
    """A rule's result made of the findings it sent ahead (``sent``, in order) and what it
    returned: none of them if it crashed or was skipped after sending some."""
    rest, outcome, state = checked
    if outcome.status in ("error", "skipped"):
        return checked
    findings = [finding for part in sent for finding in part.findings]
    findings.extend(rest.findings)
    return PackedFindings(findings), outcome, state


def run_rules(
    session: Session, graph: OrgGraph, meanwhile: Callable[[], object] | None = None
) -> tuple[list[Finding], list[RuleOutcome], bool]:
    """Run the selected rules: every ``check`` rule, then suppressions, then the ``report``
    rules (AH9), which see the crashes and suppressions of the run.

    The ``check`` rules of a large graph are shared among ``config.jobs`` processes
    (:mod:`alignhealth.sharing`); their findings and outcomes are merged in selection
    order, so the result is the same as one process gives. ``meanwhile()``, work that
    does not depend on the findings, is done by this process while another starts on the
    rules; it is not called when the rules are not shared.
    """
    config = session.config
    run = RunState()
    outcomes = {code: blank_outcome(session, code) for code in config.selected}
    phases: dict[str, list[str]] = {"check": [], "report": []}
    for code in config.selected:
        phases[session.registry.rules[code].rule.phase].append(code)

    def check_rule(code: str) -> Checked:
        """One rule, in whichever process takes it: its findings (their owners named:
        shared out with the rules rather than left for this process alone after them;
        packed, should they cross from another process), outcome and crash. Run by
        another process, a rule that finds much sends its findings ahead as it makes
        them, so that this one takes them in meanwhile (a rule with a finding on every
        goal left this process waiting while the other packed and it unpacked them)."""
        state = RunState()
        produced = run_one(
            session, code, graph, state, outcomes[code], sent_ahead if sends_ahead() else None
        )
        assign_owners(produced, graph)
        return PackedFindings(produced), outcomes[code], state

    def sent_ahead(findings: list[Finding]) -> bool:
        assign_owners(findings, graph)
        return send_ahead(PackedFindings(findings))

    progress = config.progress
    total = len(phases["check"])

    def starting(code: str, started: int) -> None:
        if progress is not None:
            progress.rules(started, total, code)

    workers = config.jobs if len(graph.goals) >= SHARE_RULES_FROM else 1
    # The rules build per-run indexes of millions of small objects and no cycles: a
    # collector pass over them every few thousand allocations cost a tenth of the phase.
    with gc_paused():
        # Only this process draws progress (a forked one would write over the display),
        # counting the rules every process has started.
        jobs = phases["check"]
        if workers > 1:
            jobs = sharing_order(jobs, session.registry)
        results = run_shared(jobs, check_rule, workers, starting, meanwhile, with_sent)
    findings: list[Finding] = []
    for code in phases["check"]:
        packed, outcomes[code], state = results[code]
        run.crashes.extend(state.crashes)
        run.rules_run += state.rules_run
        findings.extend(packed.findings)
    run.suppression_uses = apply_suppressions(
        findings, config.ruleset.suppressions, session.registry, config.settings.as_of
    )
    # AH901 reports the crashes of the others, so it runs after every other report rule.
    for code in sorted(phases["report"], key=lambda c: c == RULE_ERROR_CODE):
        findings.extend(run_one(session, code, graph, run, outcomes[code]))
    return findings, list(outcomes.values()), bool(run.crashes)


def exit_code(
    errors: bool, crashed: bool, findings: Sequence[Finding], request: CheckRequest
) -> int:
    """2 for untrustworthy input, then 3 for a crash, then 1 for findings at --fail-on."""
    if errors:
        return EXIT_INPUT
    if crashed:
        return EXIT_CRASH
    threshold = request.fail_on.weight
    if any(not f.suppressed and f.severity.weight >= threshold for f in findings):
        return EXIT_OK if request.exit_zero else EXIT_FINDINGS
    return EXIT_OK


def load(session: Session, path: Path) -> LoadedWorkbook:
    """Read the workbook through the ``load_source`` hook (plugins first, built-in last)."""
    errors_before = len(session.host.errors)
    loaded = session.host.first("load_source", path=path, config=session.config)
    if loaded is None:
        failures = "; ".join(e.message for e in session.host.errors[errors_before:])
        raise InputError(
            f"{path}: no loader could read this file" + (f" ({failures})" if failures else ""),
            code="no-loader",
        )
    if not isinstance(loaded, LoadedWorkbook):
        raise InputError(
            f"{path}: a plugin's load_source returned {type(loaded).__name__}, not a "
            "LoadedWorkbook",
            code="bad-loader",
        )
    return loaded


def assign_owners(findings: Sequence[Finding], graph: OrgGraph) -> None:
    """Name who answers for each finding's entity (see :attr:`Finding.owner`), where no
    one is named yet."""
    records: dict[str, Mapping[str, Goal | Project]] = {
        "goal": graph.goals,
        "project": graph.projects,
    }
    resolve = graph.resolve
    for finding in findings:
        if finding.owner is not None:
            continue
        entity = finding.entity
        if entity.kind == "person":
            finding.owner = entity.id
            continue
        among = records.get(entity.kind)
        record = among.get(entity.id) if among is not None else None
        if record is not None and record.owners:
            first = record.owners[0]
            finding.owner = resolve(first).person_id or first


def build_graph(session: Session, loaded: LoadedWorkbook) -> OrgGraph:
    """The graph of a loaded workbook, enriched by ``prepare_graph`` hooks.

    The records and indexes live until the run ends and form no reference cycles, so they
    are moved out of the cyclic garbage collector's sight (``gc.freeze``): otherwise every
    collection during the rules re-scans them, and a run's cost grows faster than its size.
    """
    config = session.config
    with gc_paused():
        graph = OrgGraph(loaded, as_of=config.settings.as_of, levels=config.settings.levels)
        list(session.host.each("prepare_graph", graph=graph, config=config))
        gc.freeze()
    return graph


def check_workbook(session: Session, path: Path, request: CheckRequest) -> RunResult:
    """Check one workbook. Input errors become a result with ``errors`` and exit code 2."""
    # The collector stays paused from the first row read until the graph is frozen: were
    # it let back in between, its first pass would walk every record just read (a
    # twentieth of a large check).
    with gc_paused():
        try:
            loaded = load(session, path)
        except InputError as exc:
            error = RunError(code=exc.code, message=exc.message, location=exc.location)
            return unchecked(session, path, error, EXIT_INPUT)
        graph = build_graph(session, loaded)
    try:
        return _checked(session, path, request, loaded, graph, _run_info(session))
    finally:
        gc.unfreeze()


def _run_info(session: Session) -> dict[str, Any]:
    """What every result of the session says of the run: the tool, as-of and ruleset."""
    config = session.config
    return {
        "tool": ToolInfo(version=__version__),
        "as_of": config.settings.as_of,
        "ruleset": RulesetInfo(
            name=config.ruleset.name, selected=config.selected, sources=config.ruleset.sources
        ),
    }


def unchecked(session: Session, path: Path, error: RunError, code: int) -> RunResult:
    """The result of a workbook that could not be checked: ``error`` (after the session's
    own errors), no findings, exit code ``code``."""
    return RunResult(
        **_run_info(session),
        source=SourceInfo(path=str(path)),
        errors=[*session.errors, error],
        summary=summarize(None, [], {}, incomplete=True),
        exit_code=code,
    )


def _checked(
    session: Session,
    path: Path,
    request: CheckRequest,
    loaded: LoadedWorkbook,
    graph: OrgGraph,
    base: dict[str, Any],
) -> RunResult:
    """The rules and the result, while the graph is out of the collector's sight."""
    config = session.config
    # The census of owners and levels the summary starts from does not depend on the
    # findings: a large check's process takes it while its child starts on the rules.
    taken: list[Census] = []
    with gc_paused():
        findings, outcomes, crashed = run_rules(
            session, graph, meanwhile=lambda: taken.append(take_census(graph))
        )
        # The indexes the rules built live as long as the graph: out of the collector's
        # sight too (check_workbook lets them go), or its next pass walks them all.
        gc.freeze()
    assign_owners(findings, graph)
    for _, changed in session.host.each("modify_findings", findings=findings, config=config):
        if changed is not None:
            findings = list(changed)
    findings.sort(key=Finding.sort_key)
    errors = list(session.errors)
    groups_of = {code: r.rule.groups for code, r in session.registry.rules.items()}
    result = RunResult(
        **base,
        source=SourceInfo(
            path=str(path),
            sha256=loaded.sha256,
            counts={
                "goals": len(graph.goals),
                "people": len(graph.people),
                "projects": len(graph.projects),
                "reviews": len(graph.reviews),
            },
        ),
        findings=findings,
        outcomes=outcomes,
        notices=loaded.notices,
        errors=errors,
        summary=summarize(
            graph, findings, groups_of, incomplete=crashed, census=next(iter(taken), None)
        ),
        graph=graph,
    )
    result.exit_code = exit_code(bool(errors), crashed, findings, request)
    list(session.host.each("run_finished", result=result, config=config))
    if len(session.errors) > len(errors):
        # A run_finished hook failed: the reports must say so, and the run is not clean.
        result.errors = list(session.errors)
        result.exit_code = exit_code(True, crashed, findings, request)
    return result


def check(
    path: Path,
    request: CheckRequest | None = None,
    *,
    host: PluginHost | None = None,
) -> RunResult:
    """Check one workbook with a fresh plugin host: the library's one-call entry point.

    Raises :class:`UsageError` for a bad ruleset or selector (nothing was checked).
    """
    request = request or CheckRequest()
    session = prepare(request, host or make_host())
    return check_workbook(session, path, request)


__all__ = ["CheckRequest", "Session", "check", "check_workbook", "prepare"]
