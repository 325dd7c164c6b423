"""Rules shared among forked processes give the same result as one process."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from alignhealth import engine
from alignhealth.engine import CheckRequest, check, make_host
from alignhealth.health import take_census
from alignhealth.sharing import run_shared, send_ahead, sends_ahead
from tests import plugin_fixtures as pf

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme-goals.xlsx"
RULESET = EXAMPLE.with_name("acme.toml")
JOBS = [f"job{n}" for n in range(12)]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _slow(job: str) -> tuple[str, int]:
    time.sleep(0.05)
    return job, os.getpid()


def test_jobs_are_shared_and_come_back_in_order() -> None:
    results = run_shared(JOBS, _slow, workers=2)
    assert list(results) == JOBS
    assert all(results[job][0] == job for job in JOBS)
    pids = {pid for _, pid in results.values()}
    assert os.getpid() in pids and len(pids) == 2


def test_this_process_takes_jobs_from_the_front_and_the_child_from_the_back() -> None:
    # Neighbouring jobs (a family of rules) share indexes; each side runs a contiguous run.
    results = run_shared(JOBS, _slow, workers=2)
    mine = [job for job in JOBS if results[job][1] == os.getpid()]
    theirs = [job for job in JOBS if results[job][1] != os.getpid()]
    assert mine and theirs
    assert mine == JOBS[: len(mine)]
    assert theirs == JOBS[len(mine) :]


def test_this_process_is_told_how_many_jobs_all_processes_started() -> None:
    # What a progress display shows: the child's jobs count too.
    told: list[tuple[str, int]] = []
    results = run_shared(JOBS, _slow, workers=2, starting=lambda job, n: told.append((job, n)))
    mine = [job for job in JOBS if results[job][1] == os.getpid()]
    assert [job for job, _ in told] == mine
    started = [n for _, n in told]
    assert started == sorted(set(started)) and started[-1] < len(JOBS)
    assert all(n >= i for i, n in enumerate(started))
    assert started[-1] > len(mine) - 1  # the child's first jobs were counted
    told.clear()
    run_shared(JOBS, _slow, workers=1, starting=lambda job, n: told.append((job, n)))
    assert told == [(job, n) for n, job in enumerate(JOBS)]


def test_the_jobs_of_a_child_that_dies_are_run_here() -> None:
    parent = os.getpid()

    def dies_in_child(job: str) -> tuple[str, int]:
        if os.getpid() != parent:
            os._exit(9)
        return _slow(job)

    results = run_shared(JOBS, dies_in_child, workers=2)
    assert list(results) == JOBS
    assert {pid for _, pid in results.values()} == {parent}


def test_what_a_child_sent_before_it_died_is_kept() -> None:
    # Each result is sent as its job ends: only the job the child died in is run again.
    parent = os.getpid()
    ran: list[str] = []  # the child's own copy once forked

    def dies_at_its_third_job(job: str) -> tuple[str, int]:
        if os.getpid() != parent and len(ran) == 2:
            time.sleep(0.2)  # its first two results are on their way by now
            os._exit(9)
        ran.append(job)
        return _slow(job)

    results = run_shared(JOBS, dies_at_its_third_job, workers=2)
    assert list(results) == JOBS
    theirs = [job for job in JOBS if results[job][1] != parent]
    assert theirs == JOBS[-2:], "the child took two jobs from the back and sent both"


def _in_parts(job: str) -> list[str]:
    """A job whose result is three parts: two sent ahead from a child, as it goes."""
    result = [f"{job}.0", f"{job}.1", f"{job}.2"]
    sent = [part for part in result[:2] if send_ahead([part])]
    time.sleep(0.02)
    return result[len(sent) :]


def _joined(parts: list[list[str]], rest: list[str]) -> list[str]:
    return [item for part in parts for item in part] + rest


def test_a_child_sends_parts_of_a_result_ahead_and_they_are_put_together() -> None:
    parts: list[int] = []

    def combine(sent: list[list[str]], rest: list[str]) -> list[str]:
        parts.append(len(sent))
        return _joined(sent, rest)

    assert not sends_ahead()  # here, a job keeps its parts
    results = run_shared(JOBS, _in_parts, workers=2, combine=combine)
    assert results == {job: [f"{job}.0", f"{job}.1", f"{job}.2"] for job in JOBS}
    assert parts and all(n == 2 for n in parts), "the child's jobs sent two parts each"
    assert len(parts) < len(JOBS), "this process kept its own jobs' parts"
    assert run_shared(JOBS, _in_parts, workers=1) == results


def test_the_parts_of_a_job_whose_child_died_are_dropped() -> None:
    # The job is run again here, whole: what the child sent of it does not count twice.
    parent = os.getpid()

    def dies_after_sending(job: str) -> list[str]:
        if os.getpid() != parent:
            send_ahead([f"{job}.0"])
            time.sleep(0.1)  # the part is on its way by now
            os._exit(9)
        return [f"{job}.0", f"{job}.1"]

    results = run_shared(JOBS, dies_after_sending, workers=2, combine=_joined)
    assert results == {job: [f"{job}.0", f"{job}.1"] for job in JOBS}


UNPICKLABLE = """
import os
import time
from alignhealth.sharing import run_shared

parent = os.getpid()

def result(job):
    class Local:  # a class defined in a function cannot be pickled
        pass
    time.sleep(0.05)  # long enough for the child to take some
    return Local() if os.getpid() != parent else job

jobs = [f"job{n}" for n in range(12)]
assert list(run_shared(jobs, result, workers=2).values()) == jobs
print("ok")
"""


def test_a_result_that_will_not_pickle_is_worked_out_here_without_a_traceback() -> None:
    # In a process of its own: what a forked child prints must reach a real stderr.
    done = subprocess.run(
        [sys.executable, "-c", UNPICKLABLE], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert "Traceback" not in done.stderr


def test_beside_another_thread_everything_runs_here() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        results = run_shared(JOBS, _slow, workers=2)
    finally:
        stop.set()
        thread.join()
    assert {pid for _, pid in results.values()} == {os.getpid()}


def _comparable(result: Any) -> tuple[list[Any], list[Any], Any]:
    findings = [f.model_dump(mode="json") for f in result.findings]
    outcomes = [o.model_dump(mode="json", exclude={"duration_ms"}) for o in result.outcomes]
    return findings, outcomes, result.summary.model_dump(mode="json")


@pytest.mark.parametrize(
    "plugins",
    [(), (("crashing", pf.Crashing()),), (("halfway", pf.Halfway()),)],
    ids=["core", "crash", "halfway"],
)
def test_a_shared_check_equals_a_check_in_one_process(
    monkeypatch: pytest.MonkeyPatch, plugins: tuple[tuple[str, object], ...]
) -> None:
    """Shared out, the rules give what they give in one process, finding for finding;
    the other process sends the findings of a rule ahead two at a time as it makes them
    (a rule that crashes or skips itself after sending some has none)."""

    def run(jobs: int) -> Any:
        request = CheckRequest(as_of=dt.date(2026, 11, 15), ruleset=str(RULESET), jobs=jobs)
        return check(EXAMPLE, request, host=make_host(autoload=False, plugins=list(plugins)))

    alone = run(1)
    monkeypatch.setattr(engine, "SHARE_RULES_FROM", 0)
    monkeypatch.setattr(engine, "SENT_AHEAD_EVERY", 2)
    ran_in: set[int] = set()
    parts: list[int] = []

    def spied(
        jobs: list[str], job: Any, workers: int, starting: Any, meanwhile: Any, combine: Any
    ) -> dict[str, Any]:
        def where(code: str) -> tuple[int, Any]:
            # The example's rules take a millisecond each: this process could take them
            # all before the child has started, and nothing would be shared.
            time.sleep(0.005)
            return os.getpid(), job(code)

        def combined(sent: list[Any], result: tuple[int, Any]) -> tuple[int, Any]:
            parts.append(len(sent))
            return result[0], combine(sent, result[1])

        results = run_shared(jobs, where, workers, starting, meanwhile, combined)
        ran_in.update(pid for pid, _ in results.values())
        return {code: result for code, (_, result) in results.items()}

    monkeypatch.setattr(engine, "run_shared", spied)
    shared = run(2)
    assert len(ran_in) == 2, "the rules were shared between two processes"
    assert sum(parts) > 0, "findings were sent ahead"
    assert alone.findings, "the example has findings to compare"
    assert _comparable(shared) == _comparable(alone)
    # every field, the discriminator (never dumped) and the Python types of evidence too
    assert shared.findings == alone.findings
    assert any(f.discriminator for f in alone.findings)
    assert shared.exit_code == alone.exit_code
    if plugins == (("crashing", pf.Crashing()),):
        assert {f.entity.id for f in shared.findings if f.code == "AH901"} == {"ZZ001", "ZZ002"}


def test_findings_cross_packed_and_come_back_equal() -> None:
    """A rule's findings cross from the rule process as one list of fields: each comes
    back equal, field for field, whatever it holds; a plugin's subclass of Finding
    crosses as it is."""
    import pickle

    from alignhealth.findings import (
        EntityRef,
        Finding,
        PackedFindings,
        Severity,
        SourceLocation,
        SuppressionInfo,
    )

    def made(number: int, **fields: Any) -> Finding:
        fields.setdefault("location", SourceLocation.at("book.xlsx", "Goal Tree", number, "C"))
        return Finding(
            code="AH108",
            name="too-deep",
            severity=Severity.LOW,
            message=f"Goal G{number} is deep",
            entity=EntityRef(kind="goal", id=f"G{number}", label="Grow"),
            **fields,
        )

    findings = [
        made(1),
        made(2, discriminator="top", owner="P1", hint="Merge"),
        made(3, location=None, related=[EntityRef(kind="person", id="P2")]),
        made(4, evidence={"when": dt.date(2026, 1, 2), "ids": ("G1", "G2"), "n": [1.5]}),
        made(5, suppressed=True, suppression=SuppressionInfo(reason="paper", source="r.toml")),
    ]
    back = pickle.loads(pickle.dumps(PackedFindings(findings))).findings
    assert back == findings
    assert [f.discriminator for f in back] == ["", "top", "", "", ""]
    assert back[3].evidence == {"when": dt.date(2026, 1, 2), "ids": ("G1", "G2"), "n": [1.5]}

    # Two findings to a piece: three pieces, each made findings in turn, in order.
    from alignhealth import findings as findings_module

    before, findings_module.PACKED_AT_ONCE = findings_module.PACKED_AT_ONCE, 2
    try:
        _, (pieces, discriminators) = PackedFindings(findings).__reduce__()
        assert len(pieces) == 3 and discriminators == {1: "top"}
        back = pickle.loads(pickle.dumps(PackedFindings(findings))).findings
    finally:
        findings_module.PACKED_AT_ONCE = before
    assert back == findings
    assert [f.discriminator for f in back] == ["", "top", "", "", ""]
    assert [pickle.loads(piece)[0]["entity"]["id"] for piece in pieces] == ["G1", "G3", "G5"]

    class Marked(Finding):
        mark: str = "x"

    subclassed = [made(6), Marked(**made(7).model_dump(), mark="y")]
    packed = PackedFindings(subclassed)
    assert packed.__reduce__()[0] is PackedFindings  # as it is, not as fields


def test_only_this_process_reports_progress(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"

    class Sink:
        def rows(self, sheet: str, count: int) -> None:
            pass

        def rules(self, done: int, total: int, code: str) -> None:
            with calls.open("a") as log:  # a forked process's calls land here too
                log.write(f"{os.getpid()} {code} {done} {total}\n")

    monkeypatch.setattr(engine, "SHARE_RULES_FROM", 0)
    request = CheckRequest(as_of=dt.date(2026, 11, 15), ruleset=str(RULESET), jobs=2)
    session = engine.prepare(request, make_host(autoload=False))
    session.config.progress = Sink()
    engine.check_workbook(session, EXAMPLE, request)
    lines = [line.split() for line in calls.read_text().splitlines()]
    assert {pid for pid, *_ in lines} == {str(os.getpid())}
    # Counted over both processes: rising, each rule started once, within the total.
    done = [int(n) for *_, n, _ in lines]
    total = int(lines[0][3])
    rules = session.registry.rules
    assert total == sum(rules[code].rule.phase == "check" for code in session.config.selected)
    assert done == sorted(set(done)) and done[-1] < total
    assert len({code for _, code, *_ in lines}) == len(lines)


def _slow_to_exit(job: str) -> tuple[str, int]:
    """A job whose process, if it is a child, takes two seconds to end."""
    from multiprocessing import util

    if not hasattr(_slow_to_exit, "finalizer") and multiprocessing.parent_process() is not None:
        _slow_to_exit.finalizer = util.Finalize(None, time.sleep, args=(2,), exitpriority=0)  # type: ignore[attr-defined]
    return _slow(job)


def test_a_child_that_sent_its_results_is_not_waited_for() -> None:
    started = time.perf_counter()
    results = run_shared(JOBS, _slow_to_exit, workers=2)
    took = time.perf_counter() - started
    child = next(pid for _, pid in results.values() if pid != os.getpid())
    assert took < 1.5  # the jobs take 0.3 s a process; the child's ending 2 s more
    alive = {p.pid for p in multiprocessing.active_children()}
    assert child in alive  # still ending...
    deadline = time.monotonic() + 30
    while child in {p.pid for p in multiprocessing.active_children()}:
        assert time.monotonic() < deadline
        time.sleep(0.05)  # ...and it ends by itself, reaped like any child


def test_rules_are_shared_out_with_the_families_that_build_the_same_indexes_at_one_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each process builds the indexes its own rules ask for: the manager chain's families
    # at the front (this process), the owner index's at the back (the child).
    request = CheckRequest(as_of=dt.date(2026, 11, 15), ruleset=str(RULESET), jobs=2)
    session = engine.prepare(request, make_host(autoload=False, plugins=[("crash", pf.Crashing())]))
    rules = session.registry.rules
    check_rules = [c for c in session.config.selected if rules[c].rule.phase == "check"]
    order = engine.sharing_order(check_rules, session.registry)
    assert sorted(order) == sorted(check_rules)
    families = [rules[code].rule.groups[0] if rules[code].rule.groups else "" for code in order]
    runs = [f for i, f in enumerate(families) if i == 0 or families[i - 1] != f]
    assert len(runs) == len(set(runs)), "each family is one run of neighbours"
    assert runs[:2] == ["levels", "execution"]
    assert runs[-4:] == ["ownership", "priorities", "engagement", "orgchart"]
    plugin = [i for i, code in enumerate(order) if rules[code].plugin == "crash"]
    assert plugin and all(
        families.index("data") < i < families.index("ownership") for i in plugin
    ), "another family sits between the two ends"
    for family in set(families):
        codes = [c for c, f in zip(order, families, strict=True) if f == family]
        assert codes == [c for c in check_rules if c in codes], "selection order in a family"

    given: list[list[str]] = []

    def spied(
        jobs: list[str], job: Any, workers: int, starting: Any, meanwhile: Any, combine: Any
    ) -> dict[str, Any]:
        given.append(list(jobs))
        return run_shared(jobs, job, 1, starting, meanwhile, combine)

    monkeypatch.setattr(engine, "run_shared", spied)
    monkeypatch.setattr(engine, "SHARE_RULES_FROM", 0)
    engine.check_workbook(session, EXAMPLE, request)
    assert given == [order]
    one = CheckRequest(as_of=dt.date(2026, 11, 15), ruleset=str(RULESET), jobs=1)
    engine.check_workbook(engine.prepare(one, make_host(autoload=False)), EXAMPLE, one)
    assert given[1] == [c for c in check_rules if rules[c].plugin != "crash"], (
        "one process runs the rules in selection order"
    )


def test_meanwhile_runs_here_once_while_the_child_takes_jobs() -> None:
    calls: list[int] = []

    def meanwhile() -> None:
        calls.append(os.getpid())
        # The child is already at work: alone it would take every job in 0.6 s, so it
        # takes most of them even where it starts late (a loaded machine).
        time.sleep(1.0)

    results = run_shared(JOBS, _slow, workers=2, meanwhile=meanwhile)
    assert calls == [os.getpid()]
    theirs = [job for job in JOBS if results[job][1] != os.getpid()]
    assert len(theirs) >= len(JOBS) // 2 + 1, "the child did not wait for this process's work"
    calls.clear()
    run_shared(JOBS, _slow, workers=1, meanwhile=meanwhile)
    assert calls == [], "not shared: the caller does that work when it needs it"


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_census_is_taken_while_shared_rules_run(
    monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setattr(engine, "SHARE_RULES_FROM", 0)
    taken: list[tuple[int, int]] = []  # (process, rules started by then)
    started: list[str] = []
    real = engine.run_one

    def spied_take(graph: Any) -> Any:
        taken.append((os.getpid(), len(started)))
        return take_census(graph)

    def spied_run(*args: Any) -> Any:
        started.append(args[1])
        return real(*args)

    monkeypatch.setattr(engine, "take_census", spied_take)
    monkeypatch.setattr(engine, "run_one", spied_run)
    request = CheckRequest(as_of=dt.date(2026, 11, 15), ruleset=str(RULESET), jobs=jobs)
    session = engine.prepare(request, make_host(autoload=False))
    result = engine.check_workbook(session, EXAMPLE, request)
    if jobs == 2:  # taken here, before this process's first rule (the child's are not seen)
        assert taken == [(os.getpid(), 0)]
    else:  # in one process, the summary takes it once the rules are done
        assert taken == []
    assert result.summary.by_owner and result.summary.health_score is not None
