"""Run an audit: check each configured workbook, record it, write reports, send mail."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from alignhealth.audit.config import Audit
from alignhealth.audit.history import Changes, History, StoredFinding, stored
from alignhealth.audit.mail import Digest, LeaderMail, digest_message, leader_message
from alignhealth.audit.smtp import DeliveryError, Mailer, write_outbox
from alignhealth.engine import (
    EXIT_CRASH,
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    CheckRequest,
    available_reporters,
    check_workbook,
    make_host,
    prepare,
)
from alignhealth.plugins import PluginHost
from alignhealth.runresult import RunResult

EXIT_MAIL = 4
#: Which exit code wins when several apply.
PRECEDENCE = {EXIT_INPUT: 5, EXIT_CRASH: 4, EXIT_MAIL: 3, EXIT_FINDINGS: 2, EXIT_OK: 1}


@dataclass
class AuditOutcome:
    """What an audit did: one digest per workbook, the mail it sent or wrote, its code."""

    digests: list[Digest] = field(default_factory=list)
    sent: int = 0
    outbox: list[Path] = field(default_factory=list)
    skipped_mail: list[str] = field(default_factory=list)
    delivery_error: str | None = None
    exit_code: int = EXIT_OK


def _write_reports(audit: Audit, result: RunResult, host: PluginHost) -> list[Path]:
    formats = audit.config.reports.formats
    if not formats:
        return []
    available = available_reporters(host)
    folder = audit.resolve(audit.config.reports.folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    stem = Path(result.source.path).stem
    for name in formats:
        reporter_type = available.get(name)
        if reporter_type is None:
            raise DeliveryError(f"[reports] formats: unknown format {name!r}")
        extension = {"markdown": "md", "junit": "xml"}.get(name, name)
        path = folder / f"{stem}-{result.as_of.isoformat()}.{extension}"
        content = reporter_type(destination=path).render(result)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def _leader_mails(
    digest: Digest, history: History | None, workbook: str, escalate_after: int | None
) -> list[LeaderMail]:
    graph = digest.result.graph
    if graph is None:
        return []
    by_owner: dict[str, list[StoredFinding]] = {}
    for finding in [*digest.changes.new, *digest.changes.persisting]:
        if finding.owner:
            by_owner.setdefault(finding.owner, []).append(finding)
    mails = []
    for owner, findings in sorted(by_owner.items()):
        person = graph.people.get(owner)
        if person is None or not person.email:
            continue
        cc: list[str] = []
        if escalate_after is not None and history is not None:
            stuck = [
                f
                for f in findings
                if history.runs_persisted(f, workbook, digest.run_id) >= escalate_after
            ]
            manager = graph.manager_of(owner)
            boss = graph.people.get(manager) if manager else None
            if stuck and boss is not None and boss.email:
                cc.append(boss.email)
        mails.append(LeaderMail(owner, person.label, person.email, findings, cc))
    return mails


def run_audit(
    audit: Audit, *, dry_run: bool = False, no_history: bool = False, host: PluginHost | None = None
) -> AuditOutcome:
    """Check, record, report and mail, as the config says."""
    config = audit.config
    host = host or make_host()
    request = CheckRequest(
        ruleset=audit.ruleset(),
        as_of=None if config.as_of == "today" else config.as_of,
        fail_on=config.fail_on,
        # Unattended: the rules of a large workbook use every core.
        jobs=os.cpu_count() or 1,
    )
    session = prepare(request, host)
    workbooks = audit.workbooks()
    history = History(audit.database) if not no_history or audit.database.exists() else None
    outcome = AuditOutcome()
    codes = []
    messages: list[tuple[str, EmailMessage]] = []
    email = config.email
    try:
        for workbook in workbooks:
            result = check_workbook(session, workbook, request)
            codes.append(result.exit_code)
            try:
                digest = _digest(audit, workbook, result, history, no_history, host)
                outcome.digests.append(digest)
                messages += _mails(digest, workbook, history, audit, outcome)
            finally:
                # Only the reports and the leaders' mails read the graph: a large
                # workbook's is let go before the next one is checked, not kept with
                # its digest until the audit ends.
                result.graph = None
        if email is not None and email.enabled and messages:
            if dry_run:
                for stem in dict.fromkeys(s for s, _ in messages):
                    outcome.outbox += write_outbox(
                        [m for s, m in messages if s == stem], audit.resolve(email.outbox), stem
                    )
            else:
                assert email.smtp is not None
                try:
                    Mailer(email.smtp, audit.base).send([m for _, m in messages])
                    outcome.sent = len(messages)
                except DeliveryError as exc:
                    outcome.delivery_error = exc.message
                    codes.append(EXIT_MAIL)
    finally:
        if history is not None:
            history.close()
    outcome.exit_code = max(codes or [EXIT_OK], key=lambda c: PRECEDENCE.get(c, 5))
    return outcome


def _digest(
    audit: Audit,
    workbook: Path,
    result: RunResult,
    history: History | None,
    no_history: bool,
    host: PluginHost,
) -> Digest:
    """The workbook's reports written, its run recorded, and what changed since the last."""
    key = audit.key(workbook)
    email = audit.config.email
    attachments = _write_reports(audit, result, host)
    if history is not None and not no_history:
        run_id, changes = history.record(result, key)
    else:
        run_id, changes = 0, _unrecorded(history, key, result)
    trend = history.trend(key) if history is not None else []
    attach = {
        "md" if f == "markdown" else "xml" if f == "junit" else f
        for f in (email.attach if email else [])
    }
    return Digest(
        result,
        changes,
        trend,
        run_id,
        [p for p in attachments if p.suffix.lstrip(".") in attach],
    )


def _mails(
    digest: Digest,
    workbook: Path,
    history: History | None,
    audit: Audit,
    outcome: AuditOutcome,
) -> list[tuple[str, EmailMessage]]:
    """The digest's mail and the leaders' mails, as the config asks; none when nothing
    changed and the config says to skip such runs (the workbook is then noted in
    ``outcome.skipped_mail``)."""
    email = audit.config.email
    if email is None or not email.enabled:
        return []
    changes = digest.changes
    if email.skip_when_unchanged and changes.previous is not None and not changes.changed:
        outcome.skipped_mail.append(digest.workbook)
        return []
    messages = []
    if email.to:
        messages.append(
            (workbook.stem, digest_message(digest, email.sender, email.to, email.subject))
        )
    if email.per_leader:
        key = audit.key(workbook)
        for mail in _leader_mails(digest, history, key, email.escalate_after_runs):
            messages.append((workbook.stem, leader_message(digest, mail, email.sender)))
    return messages


def _unrecorded(history: History | None, key: str, result: RunResult) -> Changes:
    """--no-history: what changed against the last recorded run, recording nothing."""
    runs = history.runs(key) if history is not None else []
    previous = runs[-1] if runs else None
    old = {}
    if history is not None and previous is not None:
        old = {f.fingerprint: f for f in history.findings(previous.id) if not f.suppressed}
    current: dict[str, StoredFinding] = {}
    for finding in result.findings:
        if not finding.suppressed and finding.fingerprint not in current:
            current[finding.fingerprint] = stored(finding, old.get(finding.fingerprint), 0, "")
    return Changes(
        new=[f for k, f in current.items() if k not in old],
        persisting=[f for k, f in current.items() if k in old],
        resolved=[f for k, f in old.items() if k not in current],
        previous=previous,
    )
