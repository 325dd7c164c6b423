"""The engine: rule isolation, plugin failures, suppressions, exit codes, the summary."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from alignhealth import engine
from alignhealth.engine import CheckRequest, check, make_host
from alignhealth.findings import Severity
from tests import plugin_fixtures as pf
from tests.conftest import MEASURED, simple_tree

Book = Callable[..., Path]
AS_OF = dt.date(2026, 11, 15)


def run(path: Path, *plugins: tuple[str, object], **request: object) -> object:
    host = make_host(autoload=False, plugins=list(plugins))
    return check(path, CheckRequest(as_of=AS_OF, **request), host=host)  # type: ignore[arg-type]


@pytest.fixture
def broken_tree(workbook: Book) -> Path:
    tree = simple_tree()
    tree["goals"].append(
        {"ID": "G9", "Title": "Orphan", "Level": "Division", "Owner": "P3", **MEASURED}
    )
    tree["projects"].append({"ID": "PR9", "Name": "Work", "Goal": "G9", "Owner": "P3"})
    return workbook(**tree)


def test_a_crashing_rule_becomes_ah901_and_the_run_goes_on(broken_tree: Path) -> None:
    result = run(broken_tree, ("crashing", pf.Crashing()))
    codes = [f.code for f in result.findings]
    assert "AH101" in codes  # the others' findings are kept
    errors = [f for f in result.findings if f.code == "AH901"]
    assert {f.entity.id for f in errors} == {"ZZ001", "ZZ002"}
    assert {f.evidence["exception"] for f in errors} == {"KeyError", "SystemExit"}
    outcome = {o.code: o for o in result.outcomes}
    assert outcome["ZZ001"].status == "error" and "KeyError" in outcome["ZZ001"].reason
    assert outcome["ZZ003"].status == "findings" and outcome["ZZ003"].failed == 4
    assert result.summary.incomplete is True
    assert result.exit_code == 3


def test_a_clean_workbook_exits_0_with_a_perfect_score(workbook: Book) -> None:
    result = run(workbook(**simple_tree()))
    assert result.findings == []
    assert result.exit_code == 0
    assert (result.summary.health_score, result.summary.band) == (100, "excellent")
    assert all(o.status in ("ok", "skipped") for o in result.outcomes)


def test_rules_without_their_data_are_skipped_with_the_reason(workbook: Book) -> None:
    result = run(workbook([{"ID": "G1", "Title": "Top", "Owner": "Someone"}]))
    outcome = {o.code: o for o in result.outcomes}
    assert outcome["AH203"].status == "skipped"
    assert outcome["AH203"].reason == "the workbook has no People sheet"
    assert outcome["AH703"].reason == "the workbook has no Projects sheet"
    assert outcome["AH101"].status == "ok" and outcome["AH101"].checked == 1


def test_fail_on_and_exit_zero(broken_tree: Path) -> None:
    assert run(broken_tree).exit_code == 1
    assert run(broken_tree, fail_on=Severity.CRITICAL).exit_code == 0
    assert run(broken_tree, exit_zero=True).exit_code == 0
    assert run(broken_tree, ("c", pf.Crashing()), exit_zero=True).exit_code == 3


def test_a_misspelt_hook_is_reported_by_name_and_the_run_survives(broken_tree: Path) -> None:
    result = run(broken_tree, ("misspelt", pf.Misspelt()))
    assert any("misspelt" in e.message and "get_rulez" in e.message for e in result.errors)
    assert any(f.code == "AH101" for f in result.findings)
    assert result.exit_code == 2


def test_a_code_collision_is_an_error_and_the_first_owner_keeps_it(broken_tree: Path) -> None:
    result = run(broken_tree, ("colliding", pf.Colliding()))
    assert any("AH101" in e.message and "already registered" in e.message for e in result.errors)
    ah101 = [f for f in result.findings if f.code == "AH101"]
    assert [f.plugin for f in ah101] == ["alignhealth"]
    assert result.exit_code == 2


def test_a_raising_hook_does_not_discard_other_plugins(broken_tree: Path) -> None:
    result = run(
        broken_tree,
        ("broken", pf.BrokenHook()),
        ("dropper", pf.DropsLowFindings()),
        ("crashing", pf.Crashing()),
    )
    messages = " ".join(e.message for e in result.errors)
    assert "cannot list my rules" in messages and "cannot modify" in messages
    assert any(f.code == "ZZ003" for f in result.findings)  # info: kept by the dropper
    assert all(f.severity is not Severity.LOW for f in result.findings)


def test_a_plugin_loader_is_tried_before_the_builtin(broken_tree: Path, tmp_path: Path) -> None:
    own = tmp_path / "client.goals"
    shutil.copy(broken_tree, own)
    result = run(own, ("own", pf.OwnLoader()))
    assert any(n.code == "own-loader" for n in result.notices)
    assert any(f.code == "AH101" for f in result.findings)


def test_suppressions_mark_findings_and_leave_the_exit_code(
    broken_tree: Path, tmp_path: Path
) -> None:
    ruleset = tmp_path / "r.toml"
    ruleset.write_text(
        'extends = ["default"]\n'
        '[[suppress]]\nrules = ["AH101"]\nentities = ["G*"]\nreason = "legacy goals"\n'
        "expires = 2027-01-01\n"
    )
    result = run(broken_tree, ruleset=str(ruleset))
    (orphan,) = [f for f in result.findings if f.code == "AH101"]
    assert orphan.suppressed and orphan.suppression.reason == "legacy goals"
    assert orphan.suppression.source == str(ruleset)
    assert result.summary.suppressed == 1
    assert result.exit_code == 0


def test_an_expired_suppression_no_longer_applies(broken_tree: Path, tmp_path: Path) -> None:
    ruleset = tmp_path / "r.toml"
    ruleset.write_text(
        '[[suppress]]\nrules = ["orphaned-goal"]\nreason = "old"\nexpires = 2026-01-01\n'
    )
    result = run(broken_tree, ruleset=str(ruleset))
    assert [f.suppressed for f in result.findings if f.code == "AH101"] == [False]
    assert result.exit_code == 1


def test_input_errors_become_a_result_with_exit_code_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    result = run(empty)
    assert result.exit_code == 2 and result.findings == []
    assert result.errors[0].code == "empty-file" and "empty.xlsx" in result.errors[0].message


def test_findings_are_sorted_by_severity_code_and_entity(workbook: Book) -> None:
    path = workbook(
        [
            {"ID": "G3", "Title": "c", "Level": "Team"},
            {"ID": "G1", "Title": "a", "Level": "Company", "Priority": 1},
            {"ID": "G2", "Title": "b", "Level": "Team"},
        ]
    )
    result = run(path)
    keys = [(f.severity.weight, f.code, f.entity.id) for f in result.findings]
    assert keys == sorted(keys, key=lambda k: (-k[0], k[1], k[2]))
    assert [f.code for f in result.findings][:1] == ["AH201"]


def test_fingerprints_are_stable_when_rows_move(workbook: Book) -> None:
    rows = [
        {"ID": "G1", "Title": "Top", "Level": "Company", "Owner": "P"},
        {"ID": "G2", "Title": "Lost", "Level": "Team", "Owner": "P"},
    ]
    first = run(workbook(rows))
    second = run(
        workbook(
            [
                {"ID": "G0", "Title": "New", "Parent": "G1", "Owner": "P"},
                {"ID": "G5", "Title": "Newer", "Parent": "G1", "Owner": "P"},
                *rows,
            ]
        )
    )
    fingerprint = {f.fingerprint for f in first.findings if f.code == "AH101"}
    assert fingerprint == {f.fingerprint for f in second.findings if f.code == "AH101"}
    moved = next(f for f in second.findings if f.code == "AH101")
    assert moved.location.row != next(f for f in first.findings if f.code == "AH101").location.row


def test_health_score_per_owner_and_level(workbook: Book) -> None:
    tree = simple_tree()
    tree["goals"].append({"ID": "G9", "Title": "Orphan", "Level": "Team", "Owner": "P3"})
    result = run(workbook(**tree))
    summary = result.summary
    assert (summary.health_score, summary.band, summary.checked) == (75, "good", 4)
    assert [d.group for d in summary.drags] == ["structure"]
    owners = {o.id: (o.score, o.checked) for o in summary.by_owner}
    assert owners == {"P1": (100, 1), "P2": (100, 1), "P3": (50, 2)}
    levels = {entry.level: entry.score for entry in summary.by_level}
    assert levels == {"Company": 100, "Division": 100, "Team": 0}


def test_a_goal_counts_once_for_an_owner_named_twice(workbook: Book) -> None:
    tree = simple_tree()
    tree["goals"][0]["Owner"] = "P1; ann@acme.example"  # the same person, two ways
    tree["goals"].append({"ID": "G9", "Title": "Orphan", "Level": "Team", "Owner": "P1"})
    summary = run(workbook(**tree)).summary
    owners = {o.id: (o.score, o.checked, o.findings) for o in summary.by_owner}
    assert owners["P1"] == (50, 2, 4)  # G1 (one finding) once, G9 (three)


@pytest.mark.parametrize("jobs", [1, 2], ids=["one-process", "shared"])
def test_each_finding_names_who_answers_for_it(
    workbook: Book, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    # A goal's or project's first owner, as the person's id wherever the name or e-mail
    # resolves (else as written); a finding about a person names that person. Shared
    # among processes, each names the owners of its own rules' findings.
    monkeypatch.setattr(engine, "SHARE_RULES_FROM", 0)
    tree = simple_tree()
    tree["goals"] += [
        {"ID": "G7", "Title": "Stray", "Level": "Division", "Owner": "cy  COLE", **MEASURED},
        {"ID": "G8", "Title": "Lost", "Level": "Division", "Owner": "ANN@acme.example; P2"},
        {"ID": "G9", "Title": "Adrift", "Level": "Division", "Owner": "Nobody Known"},
    ]
    tree["projects"].append({"ID": "PR9", "Name": "Work", "Goal": "G404", "Owner": "bob brown"})
    tree["people"].append({"ID": "P4", "Name": "Dee Dunn", "Manager": "P404"})
    result = run(workbook(**tree), jobs=jobs)
    owners = {(f.code, f.entity.id): f.owner for f in result.findings}
    assert owners["AH101", "G7"] == "P3"
    assert owners["AH101", "G8"] == "P1"
    assert owners["AH101", "G9"] == owners["AH203", "G9"] == "Nobody Known"
    assert owners["AH701", "PR9"] == "P2"
    assert owners["AH801", "P4"] == "P4"
    assert all(f.owner for f in result.findings)


def test_prepare_graph_runs_before_the_rules(workbook: Book) -> None:
    path = workbook(
        [
            {"ID": "G1", "Title": "Top", "Level": "Company", "Owner": "P"},
            {"ID": "G2", "Title": "No level", "Parent": "G1", "Owner": "P"},
        ]
    )
    assert not [f for f in run(path).findings if f.code == "AH302"]
    enriched = run(path, ("enricher", pf.Enricher()))
    assert [f.entity.id for f in enriched.findings if f.code == "AH302"] == ["G2"]


def test_run_finished_sees_the_result_and_its_failure_is_reported(broken_tree: Path) -> None:
    recorder = pf.Recorder()
    result = run(broken_tree, ("recorder", recorder))
    assert recorder.results == [result]
    failing = pf.Recorder(fail=True)
    result = run(broken_tree, ("failing", failing))
    assert failing.results and any("notification server" in e.message for e in result.errors)
    assert result.exit_code == 2
    assert any(f.code == "AH101" for f in result.findings)


def test_the_collector_never_walks_the_records_and_is_restored_after(
    workbook: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from alignhealth import engine

    goals = [
        {"ID": f"G{n}", "Title": f"Goal {n}", "Parent": "G0" if n else None} for n in range(3000)
    ]
    path = workbook(goals)
    inside: list[str] = []  # the phase running now
    walked: list[tuple[str, int]] = []  # collections while the records are live and young
    young: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and inside:
            walked.append((inside[-1], info["generation"]))

    def spied(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            inside.append(name)
            try:
                return real(*args, **kwargs)
            finally:
                inside.pop()

        return call

    real_rules = engine.run_rules

    def rules(*args: object, **kwargs: object) -> object:
        # where a collection would look: every generation but the frozen one
        young.append(sum(len(gc.get_objects(generation)) for generation in range(3)))
        return real_rules(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "load", spied("load", engine.load))
    monkeypatch.setattr(engine, "build_graph", spied("graph", engine.build_graph))
    monkeypatch.setattr(engine, "run_rules", rules)
    gc.callbacks.append(watch)
    try:
        result = run(path)
    finally:
        gc.callbacks.remove(watch)
    assert len(result.findings) > 0  # the check ran
    assert walked == []  # no collection while reading or building the graph
    assert young[0] < len(goals)  # the records were frozen before the rules
    assert gc.isenabled() and gc.get_freeze_count() == 0  # and all is as it was, after


def test_the_rule_test_helper_leaves_the_collector_as_it_found_it() -> None:
    import gc

    from alignhealth.testing import run_rule

    frozen = gc.get_freeze_count()
    findings = run_rule("AH202", goals=[{"ID": "G1", "Title": "Grow"}])
    assert [f.entity.id for f in findings] == ["G1"]
    # a plugin's test suite calls it hundreds of times: nothing may be left frozen
    assert gc.get_freeze_count() == frozen and gc.isenabled()


def test_a_location_s_cell_is_worked_out_from_its_place() -> None:
    """A finding's cell is its sheet, row and column as Excel writes a reference, in every
    output and after a round trip through JSON (an audit's history, a SARIF consumer); it
    is not stored beside them, so it can never disagree with them."""
    from alignhealth.findings import SourceLocation

    cases = [
        (("b.xlsx", "Goals", 12, "C"), "Goals!C12"),
        (("b.xlsx", "Goal tree", 3, "F"), "'Goal tree'!F3"),
        (("b.xlsx", "O'Brien's", 4, None), "'O''Brien''s'!4:4"),
    ]
    for (workbook, sheet, row, column), cell in cases:
        location = SourceLocation.at(workbook, sheet, row, column)
        assert location.cell == cell
        dumped = location.model_dump(mode="json")
        assert dumped["cell"] == cell
        assert SourceLocation.model_validate(dumped) == location
    assert SourceLocation(workbook="b.xlsx").cell is None
    assert SourceLocation(workbook="b.xlsx", sheet="Goals").cell is None
    moved = SourceLocation.model_validate(
        {"workbook": "b.xlsx", "sheet": "Goals", "row": 9, "column": "A", "cell": "Goals!Z1"}
    )
    assert moved.cell == "Goals!A9"


def test_findings_share_one_set_of_field_names(workbook: Book) -> None:
    """The models a run makes by the million (a finding, its entity and location) share
    their class's one set of field names, where pydantic keeps a set per model (728 of a
    finding's 2,826 bytes): a finding now takes under 1,800, and behaves the same, made
    by a rule, crossing from another process, changed, copied or read back from JSON."""
    import pickle
    import tracemalloc

    from alignhealth.findings import EntityRef, Finding, PackedFindings, SourceLocation

    goals = [{"ID": f"G{n}", "Title": f"Goal {n}", "Parent": "G0" if n else None} for n in range(9)]
    result = run(workbook(goals))
    found = result.findings
    crossed = pickle.loads(pickle.dumps(PackedFindings(found))).findings
    assert len(found) > 3 and crossed == found
    for model, kind in [(lambda f: f, Finding), (lambda f: f.entity, EntityRef)]:
        sets = {id(model(f).__pydantic_fields_set__) for f in [*found, *crossed]}
        assert len(sets) == 1
        assert model(found[0]).model_fields_set == set(kind.model_fields)
    located = [f.location for f in found if f.location is not None]
    assert len({id(location.__pydantic_fields_set__) for location in located}) == 1

    # A field set later is in the set already: nothing is added to the one every finding
    # shares; a copy has a set of its own.
    first, second = found[0], found[1]
    first.owner = "P9"
    assert second.model_fields_set == set(Finding.model_fields)
    copy = first.model_copy(update={"hint": "x"})
    assert copy.__pydantic_fields_set__ is not first.__pydantic_fields_set__
    assert Finding.model_validate_json(first.model_dump_json()) == first

    def made(number: int) -> Finding:
        return Finding(
            code="AH502",
            name="future-review",
            severity=Severity.MEDIUM,
            message=f"Goal G{number} 'Goal number {number}' was reviewed after the as-of date",
            entity=EntityRef(kind="goal", id=f"G{number}", label=f"Goal number {number}"),
            location=SourceLocation.at("/data/goals.xlsx", "Goals", number + 2, "O"),
            evidence={"last_reviewed": "2026-09-01", "as_of": "2026-06-30"},
            hint="Correct the review date",
        )

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        many = [made(number) for number in range(2000)]
        each = (tracemalloc.get_traced_memory()[0] - before) / len(many)
    finally:
        tracemalloc.stop()
    assert each < 1800, f"{each:.0f} bytes a finding"
