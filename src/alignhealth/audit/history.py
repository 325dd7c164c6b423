"""The audit history: every run and every finding, in SQLite, written atomically.

A run is written in one transaction: a run that crashes or is killed half way leaves the
history as it was. WAL journaling and a busy timeout let two audits started at once take
turns instead of corrupting each other.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, fields
from pathlib import Path
from typing import TypeVar

from alignhealth.errors import UsageError
from alignhealth.findings import Finding
from alignhealth.runresult import RunResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    workbook TEXT NOT NULL,
    workbook_sha256 TEXT,
    ruleset TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    as_of TEXT NOT NULL,
    counts TEXT NOT NULL,
    findings INTEGER NOT NULL,
    health_score INTEGER,
    band TEXT,
    exit_code INTEGER NOT NULL,
    told INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    fingerprint TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    severity TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    message TEXT NOT NULL,
    cell TEXT,
    owner TEXT,
    hint TEXT,
    suppressed INTEGER NOT NULL,
    first_run_id INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (run_id, fingerprint)
);
CREATE INDEX IF NOT EXISTS runs_by_workbook ON runs(workbook, id);
"""


@dataclass
class StoredFinding:
    fingerprint: str
    code: str
    name: str
    severity: str
    entity_kind: str
    entity_id: str
    message: str
    cell: str | None
    owner: str | None
    hint: str | None
    suppressed: bool
    first_run_id: int
    first_seen: str

    def __post_init__(self) -> None:
        self.suppressed = bool(self.suppressed)  # SQLite stores it as 0 or 1


@dataclass
class Run:
    id: int
    started_at: str
    workbook: str
    as_of: str
    health_score: int | None
    band: str | None
    findings: int
    exit_code: int
    ruleset: str
    workbook_sha256: str | None = None
    #: Its changes reached the people the audit tells (its mail was delivered, written to
    #: the outbox, or not needed). The next run is compared with the last run told.
    told: bool = True

    def __post_init__(self) -> None:
        self.told = bool(self.told)  # SQLite stores it as 0 or 1


_Row = TypeVar("_Row")


def _rows_as(cls: type[_Row], rows: Iterable[sqlite3.Row]) -> list[_Row]:
    """Rows as records of ``cls``, each field from the column of its name."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return [cls(**{name: row[name] for name in names}) for row in rows]


@dataclass
class Changes:
    """A run's findings against the previous run of the same workbook."""

    new: list[StoredFinding] = field(default_factory=list)
    persisting: list[StoredFinding] = field(default_factory=list)
    resolved: list[StoredFinding] = field(default_factory=list)
    previous: Run | None = None

    @property
    def changed(self) -> bool:
        return bool(self.new or self.resolved)


#: Seconds an audit waits for another holding the history database.
OPEN_TIMEOUT = 60.0


class History:
    """An SQLite history file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=OPEN_TIMEOUT, isolation_level=None)
            self._prepare()
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{path}: not a usable history database ({exc})") from None
        self.db.row_factory = sqlite3.Row

    def _prepare(self) -> None:
        """WAL mode and the tables. Two audits opening a new database at once can find it
        locked without SQLite waiting (switching the journal mode does not always call
        the busy handler), so that is retried until the open timeout."""
        deadline = time.monotonic() + OPEN_TIMEOUT
        while True:
            try:
                self.db.execute(f"PRAGMA busy_timeout={int(OPEN_TIMEOUT * 1000)}")
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.executescript(SCHEMA)
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        """Bring a history written by an earlier version up to this schema. Its runs were
        all told (it compared each run with the one before). Opening one that is up to
        date takes no write lock (audits opening it at once do not wait on each other)."""

        def outdated() -> bool:
            return "told" not in {row[1] for row in self.db.execute("PRAGMA table_info(runs)")}

        if outdated():
            with self.transaction():
                if outdated():  # another audit may have brought it up meanwhile
                    self.db.execute("ALTER TABLE runs ADD COLUMN told INTEGER NOT NULL DEFAULT 1")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: all of it, or (on any exception or a kill) none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def runs(self, workbook: str | None = None) -> list[Run]:
        query = "SELECT * FROM runs" + (" WHERE workbook = ?" if workbook else "") + " ORDER BY id"
        return _rows_as(Run, self.db.execute(query, (workbook,) if workbook else ()))

    def run(self, run_id: int) -> Run:
        found = _rows_as(Run, self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)))
        if not found:
            raise UsageError(f"{self.path}: no run {run_id}; `alignhealth history` lists them")
        return found[0]

    def findings(self, run_id: int) -> list[StoredFinding]:
        rows = self.db.execute("SELECT * FROM findings WHERE run_id = ? ORDER BY rowid", (run_id,))
        return _rows_as(StoredFinding, rows)

    def record(self, result: RunResult, workbook: str, told: bool = True) -> tuple[int, Changes]:
        """Store a run and its findings; return its id and what changed since the previous
        run of the same workbook that was read and told (by fingerprint, so rows that move
        keep their identity). A run of a workbook that could not be read is stored, with no
        findings, and changes nothing: its findings were not looked for, so none is new
        and none resolved, and the next run is compared with the last one read.

        A run recorded with ``told`` false (its mail is still to go) is compared with by
        later runs only once :meth:`mark_told`: were its mail never delivered, the next
        run's mail tells its changes again, rather than leaving them untold.
        """
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.transaction() as db:
            previous = last_told(self.runs(workbook))
            before = {f.fingerprint: f for f in self.findings(previous.id)} if previous else {}
            cursor = db.execute(
                "INSERT INTO runs (started_at, workbook, workbook_sha256, ruleset, "
                "tool_version, as_of, counts, findings, health_score, band, exit_code, told) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    started,
                    workbook,
                    result.source.sha256,
                    result.ruleset.name,
                    result.tool.version,
                    result.as_of.isoformat(),
                    json.dumps(result.source.counts),
                    len(result.active_findings()),
                    result.summary.health_score,
                    result.summary.band,
                    result.exit_code,
                    int(told),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            _pause_for_tests()
            rows = []
            seen: set[str] = set()
            for finding in result.findings:
                if finding.fingerprint in seen:
                    continue
                seen.add(finding.fingerprint)
                earlier = before.get(finding.fingerprint)
                rows.append(_row(run_id, finding, earlier, started))
            db.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        if result.source.sha256 is None:
            return run_id, Changes(previous=previous)
        changes = self.compare(previous.id if previous else None, run_id)
        changes.previous = previous
        return run_id, changes

    def mark_told(self, run_ids: Iterable[int]) -> None:
        """The runs' changes reached their readers: later runs are compared with them."""
        ids = [(run_id,) for run_id in run_ids]
        if not ids:
            return
        with self.transaction() as db:
            db.executemany("UPDATE runs SET told = 1 WHERE id = ?", ids)

    def compare(self, old_run: int | None, new_run: int) -> Changes:
        """New, persisting and resolved findings between two runs (suppressed ones aside)."""
        old = (
            {f.fingerprint: f for f in self.findings(old_run) if not f.suppressed}
            if old_run is not None
            else {}
        )
        new = {f.fingerprint: f for f in self.findings(new_run) if not f.suppressed}
        return Changes(
            new=[f for k, f in new.items() if k not in old],
            persisting=[f for k, f in new.items() if k in old],
            resolved=[f for k, f in old.items() if k not in new],
        )

    def runs_persisted(self, finding: StoredFinding, workbook: str, upto: int) -> int:
        """How many runs of the workbook (up to ``upto``) have held this finding."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM findings JOIN runs ON runs.id = findings.run_id "
            "WHERE runs.workbook = ? AND findings.fingerprint = ? AND runs.id <= ? "
            "AND runs.id >= ?",
            (workbook, finding.fingerprint, upto, finding.first_run_id),
        ).fetchone()
        return int(row[0])

    def trend(self, workbook: str, last: int = 8) -> list[int | None]:
        return [r.health_score for r in self.runs(workbook)[-last:]]


def last_told(runs: Sequence[Run]) -> Run | None:
    """The run a new run is compared with: the last of ``runs`` whose workbook was read
    (one that could not be read has no checksum, and no findings to compare with) and
    whose changes were told."""
    return next((r for r in reversed(runs) if r.told and r.workbook_sha256 is not None), None)


def stored(f: Finding, earlier: StoredFinding | None, run_id: int, started: str) -> StoredFinding:
    """A finding as the history keeps it, carrying when it was first seen."""
    location = f.location
    return StoredFinding(
        fingerprint=f.fingerprint,
        code=f.code,
        name=f.name,
        severity=f.severity.value,
        entity_kind=f.entity.kind,
        entity_id=f.entity.id,
        message=f.message,
        cell=location.cell if location else None,
        owner=f.owner,
        hint=f.hint,
        suppressed=f.suppressed,
        first_run_id=earlier.first_run_id if earlier else run_id,
        first_seen=earlier.first_seen if earlier else started,
    )


def _row(
    run_id: int, f: Finding, earlier: StoredFinding | None, started: str
) -> tuple[object, ...]:
    return (run_id, *astuple(stored(f, earlier, run_id, started)))


def _pause_for_tests() -> None:
    """Lets a test kill an audit while its transaction is open."""
    pause = os.environ.get("ALIGNHEALTH_TEST_PAUSE_IN_TRANSACTION")
    if pause:
        marker = Path(pause)
        marker.write_text("in transaction")
        time.sleep(60)


def summarize_runs(runs: Sequence[Run]) -> str:
    """A small table of runs and the health-score trend."""
    lines = ["  run  started (UTC)              as of       score  findings  exit  workbook"]
    for r in runs:
        score = "-" if r.health_score is None else str(r.health_score)
        lines.append(
            f"  {r.id:>3}  {r.started_at:<25}  {r.as_of}  {score:>5}  "
            f"{r.findings:>8}  {r.exit_code:>4}  {r.workbook}"
            + ("" if r.told else "  (its mail was not sent: the next run's tells its changes)")
        )
    return "\n".join(lines)
