"""Scheduled audits against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from alignhealth import hookimpl
from alignhealth.cli import main
from alignhealth.runresult import RunResult
from alignhealth.testing import write_workbook
from tests.audit.smtp_server import Server
from tests.conftest import MEASURED


def goals(*, orphan: bool = True, unowned: bool = False) -> dict[str, Any]:
    rows = [
        {"ID": "G1", "Title": "Grow", "Level": "Company", "Owner": "P1", **MEASURED},
        {
            "ID": "G2",
            "Title": "Sell",
            "Parent": "G1",
            "Level": "Division",
            "Owner": "P2",
            **MEASURED,
        },
        {
            "ID": "G3",
            "Title": "Make",
            "Parent": "G1",
            "Level": "Division",
            "Owner": "P3",
            **MEASURED,
        },
    ]
    if orphan:
        rows.append({"ID": "G9", "Title": "Orphan", "Level": "Division", "Owner": "P3", **MEASURED})
    if unowned:
        rows.append(
            {
                "ID": "G8",
                "Title": "Unowned",
                "Parent": "G1",
                "Level": "Division",
                "Priority": 1,
                **MEASURED,
            }
        )
    projects = [
        {"ID": f"PR{r['ID']}", "Name": "Work", "Goal": r["ID"], "Owner": "P2"} for r in rows[1:]
    ]
    people = [
        {"ID": "P1", "Name": "Ann Archer", "Email": "ann@acme.example", "Level": "Company"},
        {
            "ID": "P2",
            "Name": "Bob Brown",
            "Email": "bob@acme.example",
            "Manager": "P1",
            "Level": "Division",
        },
        {
            "ID": "P3",
            "Name": "Cy Cole",
            "Email": "cy@acme.example",
            "Manager": "P1",
            "Level": "Division",
        },
    ]
    return {"goals": rows, "people": people, "projects": projects}


def config(folder: Path, server: Server | None, **email: Any) -> Path:
    smtp = email.pop("smtp", {})
    lines = [
        'workbooks = ["client.xlsx"]',
        "as-of = 2026-11-15",
        "[history]",
        'database = "history.sqlite"',
        "[reports]",
        'folder = "reports"',
        'formats = ["html", "xlsx"]',
        "[email]",
        'from = "alignhealth@acme.example"',
        'to = ["pmo@acme.example"]',
        'attach = ["html"]',
    ]
    for key, value in email.items():
        lines.append(f"{key} = {json.dumps(value)}")
    lines.append("[email.smtp]")
    lines.append('host = "127.0.0.1"')
    lines.append(f"port = {server.port if server else 2525}")
    lines.append(f'security = "{smtp.pop("security", "none")}"')
    lines.append("timeout = 5")
    lines.append("backoff = 0")
    for key, value in smtp.items():
        lines.append(f"{key} = {json.dumps(value)}")
    path = folder / "audit.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def audit(path: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["audit", str(path), "--no-plugins", *args])


def recorded_runs(config_path: Path) -> list[dict[str, Any]]:
    """The runs `alignhealth history --format json` lists for an audit config."""
    out = CliRunner().invoke(main, ["history", "--config", str(config_path), "--format", "json"])
    runs: list[dict[str, Any]] = json.loads(out.stdout)
    return runs


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    yield running
    running.stop()


def parts(message: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"attachments": []}
    for part in message.walk():
        if part.get_filename():
            found["attachments"].append(part.get_filename())
        elif part.get_content_type() in ("text/plain", "text/html"):
            found[part.get_content_type()] = part.get_payload(decode=True).decode()
    return found


def test_first_run_then_a_fix_and_a_new_problem(tmp_path: Path, server: Server) -> None:
    write_workbook(tmp_path / "client.xlsx", **goals())
    path = config(tmp_path, server)
    first = audit(path)
    assert first.exit_code == 1, first.output
    assert "run 1" in first.stdout and "1 new" in first.stdout
    (digest,) = server.messages
    assert digest.recipients == ["pmo@acme.example"]
    assert digest.sender == "alignhealth@acme.example"
    assert digest.message["Subject"].startswith("Alignment health: client.xlsx")
    body = parts(digest.message)
    assert "Orphan" in body["text/plain"] and "Orphan" in body["text/html"]
    assert "1 new, 0 resolved, 0 persisting" in body["text/plain"]
    assert body["attachments"] == ["client-2026-11-15.html"]
    assert (tmp_path / "reports" / "client-2026-11-15.xlsx").exists()

    write_workbook(tmp_path / "client.xlsx", **goals(orphan=False, unowned=True))
    second = audit(path)
    assert second.exit_code == 1
    digest = server.messages[-1]
    text = parts(digest.message)["text/plain"]
    assert "1 new, 1 resolved, 0 persisting" in text
    assert text.index("New (1)") < text.index("Resolved (1)")
    assert "AH201" in text.split("Resolved")[0] and "AH101" in text.split("Resolved")[1]
    assert "trend 75 -> 75" in text
    history = CliRunner().invoke(main, ["history", "--config", str(path)])
    assert "    1  " in history.stdout and "    2  " in history.stdout
    assert "trend client.xlsx:" in history.stdout
    diff = CliRunner().invoke(main, ["history", "--config", str(path), "--diff", "1", "2"])
    assert "new (1):" in diff.stdout and "resolved (1):" in diff.stdout


def test_the_same_workbook_twice_is_all_persisting(tmp_path: Path, server: Server) -> None:
    write_workbook(tmp_path / "client.xlsx", **goals(unowned=True))
    path = config(tmp_path, server)
    audit(path)
    second = audit(path)
    assert "0 new, 0 resolved, 2 persisting" in second.stdout
    text = parts(server.messages[-1].message)["text/plain"]
    assert "0 new, 0 resolved, 2 persisting" in text and "since 20" in text
    quiet = config(tmp_path, server, **{"skip-when-unchanged": True})
    count = len(server.messages)
    third = audit(quiet)
    assert "nothing changed, no mail" in third.stderr
    assert len(server.messages) == count


def test_changes_whose_mail_was_not_delivered_are_told_by_the_next_run(
    tmp_path: Path, server: Server
) -> None:
    """A week whose mail the server refused: the next week's mail tells what changed
    since the last mail that went out (the orphan fixed, the unowned goal new), not
    since the week nobody heard of, where both would have been lost."""
    write_workbook(tmp_path / "client.xlsx", **goals())
    path = config(tmp_path, server)
    assert audit(path).exit_code == 1
    write_workbook(tmp_path / "client.xlsx", **goals(orphan=False, unowned=True))
    server.handler.refuse = ["550 5.7.1 relaying denied"]
    refused = audit(path)
    assert refused.exit_code == 4, refused.output
    assert len(server.messages) == 1
    listed = CliRunner().invoke(main, ["history", "--config", str(path)]).stdout
    (second,) = [line for line in listed.splitlines() if line.startswith("    2  ")]
    assert "its mail was not sent" in second
    server.handler.refuse = []
    third = audit(path)
    assert third.exit_code == 1, third.output
    text = parts(server.messages[-1].message)["text/plain"]
    assert "1 new, 1 resolved, 0 persisting" in text
    assert "AH201" in text.split("Resolved")[0] and "AH101" in text.split("Resolved")[1]
    # Told now: the week after compares with the third run.
    assert "0 new, 0 resolved, 1 persisting" in audit(path).stdout


def test_an_audit_stopped_before_its_mail_went_leaves_the_changes_to_the_next(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timer's time limit stops the audit (SIGTERM) as its mail is about to go: exit
    143, the run recorded, and the next run's mail tells what that one found."""
    from alignhealth.audit import run as audit_run
    from alignhealth.lifetime import Stopped

    write_workbook(tmp_path / "client.xlsx", **goals())
    path = config(tmp_path, server)

    def stopped(self: object, messages: object) -> None:
        raise Stopped(signal.SIGTERM)

    with monkeypatch.context() as patched:
        patched.setattr(audit_run.Mailer, "send", stopped)
        result = audit(path)
    assert result.exit_code == 143 and "stopped by SIGTERM" in result.stderr
    assert [run["id"] for run in recorded_runs(path)] == [1]
    assert server.messages == []
    assert audit(path).exit_code == 1
    text = parts(server.messages[-1].message)["text/plain"]
    assert "1 new, 0 resolved, 0 persisting" in text


def test_reports_kept_among_the_workbooks_are_not_read_back(tmp_path: Path) -> None:
    """The reports folder is the workbooks' own: the next run's pattern matches the last
    run's Excel report too, which is left out with a note, not checked as a workbook (it
    has no goals sheet: exit code 2 every week after the first)."""
    write_workbook(tmp_path / "client.xlsx", **goals())
    path = tmp_path / "audit.toml"
    path.write_text(
        'workbooks = ["*.xlsx"]\nas-of = 2026-11-15\n[history]\ndatabase = "h.sqlite"\n'
        '[reports]\nfolder = "."\nformats = ["xlsx"]\n'
    )
    assert audit(path).exit_code == 1
    report = tmp_path / "client-2026-11-15.xlsx"
    again = audit(path)
    assert again.exit_code == 1, again.output
    assert f"skipped {report}: an alignhealth report, not a goal workbook" in again.stderr
    assert "run 2, health 75/100; 0 new, 0 resolved, 1 persisting" in again.stdout
    assert {run["workbook"] for run in recorded_runs(path)} == {"client.xlsx"}


def test_a_wildcard_reads_workbooks_not_what_lies_beside_them(tmp_path: Path) -> None:
    """`clients/*` over a folder that also holds notes, the history and the reports (all
    formats): the workbooks and a folder of CSVs are audited, run after run; the rest is
    not read (a notes file read as a CSV, then the reports and the database, each an
    error, and the reports refused as about to be written over)."""
    clients = tmp_path / "clients"
    write_workbook(clients / "acme.xlsx", **goals())
    (clients / "beta").mkdir()
    (clients / "beta" / "goals.csv").write_text("ID,Title,Level\nG1,Grow,Company\n")
    (clients / "README.txt").write_text("Client workbooks, one per client\n")
    path = tmp_path / "audit.toml"
    path.write_text(
        'workbooks = ["clients/*"]\nas-of = 2026-11-15\n[history]\n'
        'database = "clients/history.sqlite"\n[reports]\nfolder = "clients"\n'
        'formats = ["html", "json", "xlsx", "csv"]\n'
    )
    for run in (1, 2):
        result = audit(path)
        assert result.exit_code == 1, result.output
        assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["acme.xlsx", "beta"]
        assert f"run {2 * run - 1}," in result.stdout
    assert {r["workbook"] for r in recorded_runs(path)} == {"clients/acme.xlsx", "clients/beta"}


def test_no_report_is_written_over_a_workbook_of_the_audit(tmp_path: Path) -> None:
    """A client's workbook named as a report of another would be: the audit stops before
    any check (exit code 2, naming it) and the workbook is untouched."""
    write_workbook(tmp_path / "client.xlsx", **goals())
    other = write_workbook(tmp_path / "client-2026-11-15.xlsx", **goals(unowned=True))
    before = other.read_bytes()
    path = tmp_path / "audit.toml"
    path.write_text(
        'workbooks = ["*.xlsx"]\nas-of = 2026-11-15\n[history]\ndatabase = "h.sqlite"\n'
        '[reports]\nfolder = "."\nformats = ["xlsx"]\n'
    )
    result = audit(path)
    assert result.exit_code == 2, result.output
    assert f"[reports]: the xlsx report {other}: that is the workbook {other} itself" in (
        result.stderr
    )
    assert "keep the reports folder apart from the workbooks" in result.stderr
    assert other.read_bytes() == before
    assert not (tmp_path / "h.sqlite").exists() or recorded_runs(path) == []


def test_a_history_from_before_told_runs_is_brought_up_to_date(tmp_path: Path) -> None:
    """A history file an earlier version wrote (no ``told`` column) opens, and its runs
    count as told, as that version compared each run with the one before."""
    from alignhealth.audit.history import History

    database = tmp_path / "old.sqlite"
    old = sqlite3.connect(database)
    old.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL,"
        " workbook TEXT NOT NULL, workbook_sha256 TEXT, ruleset TEXT NOT NULL,"
        " tool_version TEXT NOT NULL, as_of TEXT NOT NULL, counts TEXT NOT NULL,"
        " findings INTEGER NOT NULL, health_score INTEGER, band TEXT,"
        " exit_code INTEGER NOT NULL);"
        "INSERT INTO runs VALUES (1, '2026-11-01T07:00:00+00:00', 'client.xlsx', 'abc',"
        " 'default', '0.1', '2026-11-01', '{}', 0, 100, 'excellent', 0);"
    )
    old.commit()
    old.close()
    history = History(database)
    try:
        (run,) = history.runs()
        assert run.told and run.id == 1
    finally:
        history.close()
    # A second open finds the column there already.
    History(database).close()


def test_per_leader_mail_and_escalation(tmp_path: Path, server: Server) -> None:
    write_workbook(tmp_path / "client.xlsx", **goals(unowned=True))
    path = config(tmp_path, server, **{"per-leader": True, "escalate-after-runs": 2})
    audit(path)
    leaders = {m.recipients[0]: m for m in server.messages if m.recipients != ["pmo@acme.example"]}
    assert set(leaders) == {"cy@acme.example"}  # the orphan's owner; G8 has no owner
    cy = parts(leaders["cy@acme.example"].message)["text/plain"]
    assert "G9" in cy and "G8" not in cy and leaders["cy@acme.example"].message["Cc"] is None
    server.messages.clear()
    audit(path)
    cy_mail = next(m for m in server.messages if "cy@acme.example" in m.recipients)
    assert cy_mail.message["Cc"] == "ann@acme.example"  # her manager, after 2 runs
    assert "ann@acme.example" in cy_mail.recipients


def test_starttls_with_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(tmp_path, "starttls", login=("audit", "s3cret"))
    try:
        write_workbook(tmp_path / "client.xlsx", **goals())
        monkeypatch.setenv("AH_SMTP_PASSWORD", "s3cret")
        path = config(
            tmp_path,
            server,
            smtp={
                "security": "starttls",
                "username": "audit",
                "password-env": "AH_SMTP_PASSWORD",
                "ca-file": "cert.pem",
            },
        )
        result = audit(path)
        assert result.exit_code == 1, result.output
        assert len(server.messages) == 1
        monkeypatch.setenv("AH_SMTP_PASSWORD", "wrong")
        before = server.handler.connections
        refused = audit(path)
        assert refused.exit_code == 4 and "login refused" in refused.stderr
        # one connection, never retried: EHLO before and after STARTTLS
        assert server.handler.connections == before + 2
        assert "the run is recorded" in refused.stderr
        assert len(recorded_runs(path)) == 2
    finally:
        server.stop()


def test_implicit_tls(tmp_path: Path) -> None:
    server = Server(tmp_path, "tls")
    try:
        write_workbook(tmp_path / "client.xlsx", **goals())
        path = config(tmp_path, server, smtp={"security": "tls", "ca-file": "cert.pem"})
        assert audit(path).exit_code == 1
        assert len(server.messages) == 1
        untrusted = config(tmp_path, server, smtp={"security": "tls"})
        failed = audit(untrusted)
        assert failed.exit_code == 4 and "CERTIFICATE_VERIFY_FAILED" in failed.stderr
    finally:
        server.stop()


def test_temporary_failures_are_retried_permanent_ones_are_not(
    tmp_path: Path, server: Server
) -> None:
    write_workbook(tmp_path / "client.xlsx", **goals())
    path = config(tmp_path, server, smtp={"retries": 2})
    server.handler.refuse = ["451 4.3.0 try again later"]
    assert audit(path).exit_code == 1
    assert len(server.messages) == 1
    server.handler.refuse = ["550 5.7.1 relaying denied"] * 3
    before = server.handler.connections
    failed = audit(path)
    assert failed.exit_code == 4 and "550" in failed.stderr
    assert server.handler.connections == before + 1


def test_an_audit_lets_each_graph_go_once_its_mails_are_made(tmp_path: Path) -> None:
    """The leaders' mails are made from each workbook's graph; the graphs are not kept
    with the digests until the audit ends (a portfolio of large workbooks would hold
    them all)."""
    from alignhealth.audit.config import load_audit
    from alignhealth.audit.run import run_audit
    from alignhealth.engine import make_host

    write_workbook(tmp_path / "client.xlsx", **goals(unowned=True))
    path = config(tmp_path, None, **{"per-leader": True})
    outcome = run_audit(load_audit(path), dry_run=True, host=make_host(autoload=False))
    leader = [p for p in outcome.outbox if b"To: cy@acme.example" in p.read_bytes()]
    assert len(leader) == 1  # made from the graph: the owner's e-mail is on People
    assert outcome.digests and all(d.result.graph is None for d in outcome.digests)


def test_dry_run_writes_eml_and_records_the_run(tmp_path: Path) -> None:
    write_workbook(tmp_path / "client.xlsx", **goals())
    path = config(tmp_path, None, **{"per-leader": True})
    result = audit(path, "--dry-run")
    assert result.exit_code == 1
    emls = sorted((tmp_path / "outbox").glob("*.eml"))
    assert [p.name for p in emls] == ["client-01.eml", "client-02.eml"]
    assert b"Subject: Alignment health: client.xlsx" in emls[0].read_bytes()
    assert len(recorded_runs(path)) == 1
    assert audit(path, "--dry-run", "--no-history").exit_code == 1
    assert len(recorded_runs(path)) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'workbooks = ["x.xlsx"]\n[email]\nfrom = "a@b"\n[email.smtp]\nhost = "h"\n'
            'password = "hunter2"\n',
            "password in the config file is refused",
        ),
        (
            'workbooks = ["x.xlsx"]\nfail_on = "low"\n',
            "unknown key 'fail_on' (did you mean 'fail-on'",
        ),
        ('workbooks = ["missing-*.xlsx"]\n', "matches no workbook"),
        ('workbooks = ["x.xlsx"]\n[email]\nfrom = "a@b"\n', "[email.smtp] is required"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"")
    path = tmp_path / "audit.toml"
    path.write_text(text)
    result = audit(path)
    assert result.exit_code == 2 and message in result.stderr


def test_a_killed_audit_leaves_the_history_as_it_was(tmp_path: Path) -> None:
    write_workbook(tmp_path / "client.xlsx", **goals())
    path = config(tmp_path, None)
    path.write_text(path.read_text().replace("[email]", "[email]\nenabled = false"))
    assert audit(path).exit_code == 1
    marker = tmp_path / "in-transaction"
    # Killed outright, it cannot remove its scratch folder: that goes in the test's.
    env = {
        **os.environ,
        "ALIGNHEALTH_TEST_PAUSE_IN_TRANSACTION": str(marker),
        "TMPDIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "alignhealth", "audit", str(path), "--no-plugins"], env=env
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the audit never reached its transaction"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    db = sqlite3.connect(tmp_path / "history.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(DISTINCT run_id) FROM findings").fetchone()[0] == 1
    db.close()
    assert audit(path).exit_code == 1  # and the next audit carries on from it
    assert [r["id"] for r in recorded_runs(path)] == [1, 2]


def test_two_audits_at_once_both_land(tmp_path: Path) -> None:
    write_workbook(tmp_path / "client.xlsx", **goals())
    path = config(tmp_path, None)
    path.write_text(path.read_text().replace("[email]", "[email]\nenabled = false"))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "alignhealth", "audit", str(path), "--no-plugins"],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    assert [p.wait(120) for p in processes] == [1, 1]
    db = sqlite3.connect(tmp_path / "history.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    db.close()


def test_the_example_audit_works_from_a_checkout(tmp_path: Path) -> None:
    import shutil

    examples = Path(__file__).resolve().parents[2] / "examples"
    for name in ("audit.toml", "acme.toml", "acme-goals.xlsx"):
        shutil.copy(examples / name, tmp_path / name)
    result = CliRunner().invoke(
        main, ["audit", str(tmp_path / "audit.toml"), "--dry-run", "--no-plugins"]
    )
    assert result.exit_code == 1, result.output
    assert (tmp_path / "outbox" / "acme-goals-01.eml").exists()
    listed = CliRunner().invoke(main, ["history", "--config", str(tmp_path / "audit.toml")])
    assert "acme-goals.xlsx" in listed.stdout and "74" in listed.stdout


class _Witness:
    """Notes the process each workbook is checked in."""

    def __init__(self, log: Path) -> None:
        self.log = log

    @hookimpl
    def run_finished(self, result: RunResult, config: object) -> None:
        with self.log.open("a") as file:
            file.write(f"{os.getpid()} {Path(result.source.path).name}\n")


def _portfolio(tmp_path: Path) -> Path:
    """Four clients' workbooks: orphaned, orphaned and unowned, clean, unowned."""
    clients = tmp_path / "clients"
    clients.mkdir()
    kinds: list[dict[str, bool]] = [{}, {"unowned": True}, {"orphan": False}]
    kinds.append({"orphan": False, "unowned": True})
    for number, kind in enumerate(kinds):
        write_workbook(clients / f"client-{number}.xlsx", **goals(**kind))
    path = config(tmp_path, None, **{"per-leader": True})
    text = path.read_text().replace('["client.xlsx"]', '["clients/*.xlsx"]')
    path.write_text(text)
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_portfolio_audit_checks_workbooks_at_once_and_records_them_in_order(
    tmp_path: Path, jobs: int
) -> None:
    """Workers fork only from a process of one thread: no SMTP server runs in this one
    (the mail goes to the outbox)."""
    from alignhealth.audit.config import load_audit
    from alignhealth.audit.run import run_audit
    from alignhealth.engine import make_host

    path = _portfolio(tmp_path)
    log = tmp_path / "checked-in"
    host = make_host(autoload=False, plugins=[("witness", _Witness(log))])
    outcome = run_audit(load_audit(path), host=host, jobs=jobs, dry_run=True)

    checked_in = {line.split()[0] for line in log.read_text().splitlines()}
    assert len(log.read_text().splitlines()) == 4
    if jobs == 1:
        assert checked_in == {str(os.getpid())}
    else:  # by worker processes, not this one
        assert str(os.getpid()) not in checked_in
    names = [d.workbook for d in outcome.digests]
    assert names == [f"client-{n}.xlsx" for n in range(4)]
    assert [d.run_id for d in outcome.digests] == [1, 2, 3, 4]
    assert [len(d.changes.new) for d in outcome.digests] == [1, 2, 0, 1]
    assert all(d.result.graph is None for d in outcome.digests)
    assert outcome.exit_code == 1
    mail = {p.name: p.read_bytes() for p in outcome.outbox}
    # A digest per workbook; and to the orphan's owner, from client-0 and client-1, a
    # mail made from the graph the workbook was checked with.
    assert sorted(mail) == [
        "client-0-01.eml",
        "client-0-02.eml",
        "client-1-01.eml",
        "client-1-02.eml",
        "client-2-01.eml",
        "client-3-01.eml",
    ]
    leaders = [m for m in mail.values() if b"To: cy@acme.example" in m]
    assert len(leaders) == 2 and all(b"G9" in m and b"G8" not in m for m in leaders)


def test_audit_jobs_option_and_an_unknown_format_fails_before_any_check(tmp_path: Path) -> None:
    path = _portfolio(tmp_path)
    result = audit(path, "--jobs", "2", "--dry-run")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"client-{n}.xlsx" for n in range(4)]
    assert "run 4, health" in lines[3]
    path.write_text(path.read_text().replace('formats = ["html", "xlsx"]', 'formats = ["htm"]'))
    failed = audit(path, "--jobs", "2", "--dry-run")
    assert failed.exit_code == 2 and "unknown format 'htm'" in failed.stderr
    assert len(recorded_runs(path)) == 4  # nothing was checked, nothing recorded


def test_workbooks_that_share_a_file_name_keep_their_reports_and_mail_apart(
    tmp_path: Path,
) -> None:
    """clients/**/goals.xlsx: each client's reports, attachments and outbox files are
    its own (named by its path), checked at once or not."""
    for client, kind in (("acme", {}), ("beta", {"unowned": True})):
        (tmp_path / "clients" / client).mkdir(parents=True)
        write_workbook(tmp_path / "clients" / client / "goals.xlsx", **goals(**kind))
    path = config(tmp_path, None, **{"per-leader": True})
    path.write_text(path.read_text().replace('["client.xlsx"]', '["clients/**/*.xlsx"]'))
    result = audit(path, "--dry-run", "--jobs", "2")
    assert result.exit_code == 1, result.output
    assert [line.split(": run")[0] for line in result.stdout.splitlines()] == [
        "clients/acme/goals.xlsx",
        "clients/beta/goals.xlsx",
    ]
    reports = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert reports == [
        f"clients-{c}-goals-2026-11-15.{x}" for c in ("acme", "beta") for x in ("html", "xlsx")
    ]
    mail = {p.name: p.read_bytes() for p in (tmp_path / "outbox").iterdir()}
    assert sorted(mail) == [f"clients-{c}-goals-0{n}.eml" for c in ("acme", "beta") for n in (1, 2)]
    for client, unowned in (("acme", False), ("beta", True)):
        digest = parts(email.message_from_bytes(mail[f"clients-{client}-goals-01.eml"]))
        assert digest["attachments"] == [f"clients-{client}-goals-2026-11-15.html"]
        assert f"clients/{client}/goals.xlsx" in digest["text/plain"]
        assert ("G8" in digest["text/plain"]) is unowned  # beta's own finding
    history = CliRunner().invoke(main, ["history", "--config", str(path)])
    assert "trend clients/acme/goals.xlsx: 75" in history.stdout
    assert "trend clients/beta/goals.xlsx: 60" in history.stdout


def test_mail_in_other_alphabets_reads_back_as_written(tmp_path: Path) -> None:
    """Subjects in RFC 2047 words, bodies quoted-printable: no line past mail's limit,
    however long the HTML, and every character as it was."""
    data = goals()
    data["people"][2]["Name"] = "Çağla Öztürk"
    data["goals"][-1]["Title"] = "Wachstum in Zürich – " + "sehr " * 300
    write_workbook(tmp_path / "zürich.xlsx", **data)
    path = config(tmp_path, None, **{"per-leader": True})
    path.write_text(path.read_text().replace('["client.xlsx"]', '["zürich.xlsx"]'))
    assert audit(path, "--dry-run").exit_code == 1
    digest_file, leader_file = sorted((tmp_path / "outbox").iterdir())
    for file in (digest_file, leader_file):
        raw = file.read_bytes()
        # RFC 5322's limit; the title alone runs to 1,500 characters.
        assert raw.isascii() and max(len(line) for line in raw.splitlines()) <= 998
    digest = email.message_from_bytes(digest_file.read_bytes(), policy=email.policy.default)
    assert digest["Subject"].startswith("Alignment health: zürich.xlsx")
    assert parts(digest)["attachments"] == ["zürich-2026-11-15.html"]
    leader = email.message_from_bytes(leader_file.read_bytes(), policy=email.policy.default)
    assert leader["Subject"] == "Your alignment findings in zürich.xlsx: 1 new, 0 open"
    text = parts(leader)["text/plain"]
    assert text.startswith("Çağla Öztürk, these findings") and "Wachstum in Zürich –" in text
    assert "Çağla Öztürk" in parts(leader)["text/html"]


def test_a_workbook_that_cannot_be_read_changes_nothing_in_the_history(
    tmp_path: Path, server: Server
) -> None:
    """A broken copy one week is not 'everything resolved', nor the next week's good
    copy 'everything new': the findings persist from the last run that was read."""
    write_workbook(tmp_path / "client.xlsx", **goals(unowned=True))
    path = config(tmp_path, server, **{"skip-when-unchanged": True})
    assert "2 new, 0 resolved, 0 persisting" in audit(path).stdout
    (tmp_path / "client.xlsx").write_bytes(b"")
    broken = audit(path)
    assert broken.exit_code == 2
    assert "run 2, health -/100; 0 new, 0 resolved, 0 persisting" in broken.stdout
    # Told of, though nothing changed: it could not be read.
    assert "the file is empty" in parts(server.messages[-1].message)["text/plain"]
    write_workbook(tmp_path / "client.xlsx", **goals(unowned=True))
    third = audit(path)
    assert "run 3, health 60/100; 0 new, 0 resolved, 2 persisting" in third.stdout
    assert len(server.messages) == 2  # nothing changed since run 1: no mail
    runs = recorded_runs(path)
    assert [r["exit_code"] for r in runs] == [1, 2, 1]
    assert (
        "trend client.xlsx: 60 -> - -> 60"
        in CliRunner().invoke(main, ["history", "--config", str(path)]).stdout
    )


def test_a_workbook_whose_worker_dies_is_recorded_and_the_others_audited(tmp_path: Path) -> None:
    from alignhealth.audit.config import load_audit
    from alignhealth.audit.run import run_audit
    from alignhealth.engine import make_host
    from tests import poison_plugin

    clients = tmp_path / "clients"
    clients.mkdir()
    for name in ("a", "poison", "b"):
        write_workbook(clients / f"{name}.xlsx", **goals())
    path = config(tmp_path, None)
    path.write_text(path.read_text().replace('["client.xlsx"]', '["clients/*.xlsx"]'))
    host = make_host(autoload=False, plugins=[("poison", poison_plugin)])
    outcome = run_audit(load_audit(path), host=host, jobs=2, dry_run=True)
    assert [d.workbook for d in outcome.digests] == ["a.xlsx", "b.xlsx", "poison.xlsx"]
    a, b, poisoned = outcome.digests
    assert len(a.changes.new) == 1 and len(b.changes.new) == 1
    assert [e.code for e in poisoned.result.errors] == ["worker-died"]
    assert outcome.exit_code == 3
    assert sorted(p.name for p in outcome.outbox) == ["a-01.eml", "b-01.eml", "poison-01.eml"]
    mail = email.message_from_bytes((tmp_path / "outbox" / "poison-01.eml").read_bytes())
    assert "the process checking it ended abruptly" in parts(mail)["text/plain"]


def test_an_audit_s_workers_leave_their_scratch_files_in_a_folder_removed_after(
    tmp_path: Path,
) -> None:
    """A worker that dies takes the others with it, wherever they are (half-way through an
    Excel report, whose writer keeps its rows in scratch files): whatever they leave is in
    the audit's own scratch folder, removed once it ends, however it was started (here as
    a library call, without the command's)."""
    from alignhealth import hookimpl
    from alignhealth.audit.config import load_audit
    from alignhealth.audit.run import run_audit
    from alignhealth.engine import make_host
    from alignhealth.lifetime import SCRATCH_ENV

    seen = tmp_path / "seen"
    seen.mkdir()

    class Spy:
        @hookimpl
        def run_finished(self, result: RunResult, config: object) -> None:
            (seen / str(os.getpid())).write_text(os.environ.get(SCRATCH_ENV, ""))

    clients = tmp_path / "clients"
    clients.mkdir()
    for name in ("a", "b"):
        write_workbook(clients / f"{name}.xlsx", **goals())
    path = config(tmp_path, None)
    path.write_text(path.read_text().replace('["client.xlsx"]', '["clients/*.xlsx"]'))
    assert SCRATCH_ENV not in os.environ
    host = make_host(autoload=False, plugins=[("spy", Spy())])
    run_audit(load_audit(path), host=host, jobs=2, dry_run=True)
    folders = {Path(p.read_text()) for p in seen.iterdir()}
    assert len(list(seen.iterdir())) >= 1 and len(folders) == 1
    (folder,) = folders
    assert folder.name.startswith("alignhealth-") and not folder.exists()
    assert SCRATCH_ENV not in os.environ


def _messages(count: int) -> list[Any]:
    from email.mime.text import MIMEText

    messages = []
    for number in range(count):
        message = MIMEText(f"finding {number}")
        message["From"], message["To"] = "alignhealth@acme.example", f"p{number}@acme.example"
        message["Subject"] = f"message {number}"
        messages.append(message)
    return messages


def test_many_messages_go_out_on_several_connections_at_once(server: Server) -> None:
    """Each message waits on the server's replies: a portfolio's mail per leader goes out
    on ``connections`` connections at once, a few messages on one."""
    from alignhealth.audit.config import SmtpConfig
    from alignhealth.audit.smtp import Mailer

    smtp = SmtpConfig(host="127.0.0.1", port=server.port, security="none", connections=3)
    server.handler.delay = 0.05
    Mailer(smtp, Path(".")).send(_messages(5))
    assert server.handler.connections == 1 and server.handler.most_at_once == 1
    Mailer(smtp, Path(".")).send(_messages(30))
    assert server.handler.connections == 1 + 3
    assert server.handler.most_at_once >= 2
    received = [m.recipients[0] for m in server.messages[5:]]
    assert sorted(received) == sorted(f"p{n}@acme.example" for n in range(30))


def test_a_stop_while_mail_goes_out_on_several_connections_stops_the_sending(
    server: Server,
) -> None:
    """SIGTERM (a timer's time limit) as the audit sends its mail on three connections:
    the stop is raised at once, and the connections' threads send nothing more (they
    kept sending, and held the process open until they were done: 60 messages at 0.1 s
    a reply, some 8 s)."""
    import threading

    from alignhealth.audit.config import SmtpConfig
    from alignhealth.audit.smtp import Mailer
    from alignhealth.lifetime import Stopped, stopped_by_signals

    smtp = SmtpConfig(host="127.0.0.1", port=server.port, security="none", connections=3)
    server.handler.delay = 0.1
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))

    def send() -> None:
        with stopped_by_signals():
            timer.start()
            Mailer(smtp, Path(".")).send(_messages(60))

    def senders() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.startswith("alignhealth-smtp")]

    started = time.monotonic()
    with pytest.raises(Stopped):
        send()
    assert time.monotonic() - started < 2
    # Each thread ends once the message under way when the stop came has gone.
    deadline = time.monotonic() + 5
    while senders() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert senders() == []
    sent = len(server.messages)
    time.sleep(1)
    assert len(server.messages) == sent < 60


def test_a_refusal_on_one_connection_is_reported_and_the_others_deliver(
    server: Server,
) -> None:
    from alignhealth.audit.config import SmtpConfig
    from alignhealth.audit.smtp import DeliveryError, Mailer

    smtp = SmtpConfig(host="127.0.0.1", port=server.port, security="none", connections=3)
    server.handler.refuse = ["550 5.7.1 relaying denied"]
    with pytest.raises(DeliveryError, match="550"):
        Mailer(smtp, Path(".")).send(_messages(30))
    # The refused connection stops; the other two deliver their shares of ten.
    assert len(server.messages) >= 20


def test_text_reports_are_named_txt_and_the_counts_by_rule_apart(tmp_path: Path) -> None:
    path = _portfolio(tmp_path)
    path.write_text(
        path.read_text().replace('formats = ["html", "xlsx"]', 'formats = ["text", "statistics"]')
    )
    result = audit(path, "--dry-run", "--no-history")
    assert result.exit_code == 1, result.output
    reports = tmp_path / "reports"
    text = (reports / "client-0-2026-11-15.txt").read_text()
    counts = (reports / "client-0-2026-11-15.statistics.txt").read_text()
    assert "hint: " in text and "hint: " not in counts
    assert re.search(r"^  count  code\s+severity  rule$", counts, re.M), counts
    assert text.splitlines()[-1] == counts.splitlines()[-1]  # the same totals
