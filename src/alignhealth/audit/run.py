"""Run an audit: check each configured workbook, record it, write reports, send mail."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from alignhealth.audit.config import Audit
from alignhealth.audit.history import Changes, History, StoredFinding, last_told, stored
from alignhealth.audit.mail import Contact, Digest, LeaderMail, digest_message, leader_message
from alignhealth.audit.smtp import DeliveryError, Mailer, write_outbox
from alignhealth.engine import (
    EXIT_CRASH,
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    CheckRequest,
    Session,
    available_reporters,
    check_workbook,
    make_host,
    prepare,
    unchecked,
)
from alignhealth.lifetime import scratch_folder
from alignhealth.outfiles import Inputs
from alignhealth.plugins import PluginHost
from alignhealth.pool import in_input_order, map_workbooks, worker_died
from alignhealth.portfolio import display_names, file_stems
from alignhealth.progress import PortfolioProgress
from alignhealth.reporters.base import Reporter
from alignhealth.runresult import RunResult
from alignhealth.sharing import can_fork

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
    #: Files the config's patterns matched that are not goal workbooks (reports
    #: alignhealth wrote), each with why.
    skipped_files: list[str] = field(default_factory=list)
    delivery_error: str | None = None
    exit_code: int = EXIT_OK


def _check_formats(audit: Audit, host: PluginHost) -> None:
    """Every report format the config names exists (before any workbook is checked)."""
    available = available_reporters(host)
    for name in audit.config.reports.formats:
        if name not in available:
            raise DeliveryError(f"[reports] formats: unknown format {name!r}")


#: The file extension of a report format, where it is not the format's name.
_EXTENSIONS = {"markdown": "md", "junit": "xml", "text": "txt", "statistics": "statistics.txt"}


def _report_paths(audit: Audit, stem: str, as_of: dt.date) -> dict[str, Path]:
    """The file each configured report format of a workbook is written to, by format."""
    folder = audit.resolve(audit.config.reports.folder)
    return {
        name: folder / f"{stem}-{as_of.isoformat()}.{_EXTENSIONS.get(name, name)}"
        for name in audit.config.reports.formats
    }


def _refuse_inputs(audit: Audit, stems: dict[Path, str], as_of: dt.date) -> None:
    """Before any workbook is checked: no report is written over a workbook of the audit
    (a reports folder among the workbooks, one named as a report would be)."""
    inputs = Inputs(stems)
    for stem in stems.values():
        for name, path in _report_paths(audit, stem, as_of).items():
            inputs.refuse(
                path,
                f"[reports]: the {name} report",
                "keep the reports folder apart from the workbooks the config names",
            )


def _write_reports(
    audit: Audit, result: RunResult, available: dict[str, type[Reporter]], stem: str
) -> list[Path]:
    written = []
    for name, path in _report_paths(audit, stem, result.as_of).items():
        available[name](destination=path).save(result, path)
        written.append(path)
    return written


def _contacts(result: RunResult) -> dict[str, Contact]:
    """The owners of the result's findings who have an e-mail address on People, each
    with their manager's, from the result's graph."""
    graph = result.graph
    if graph is None:
        return {}
    contacts = {}
    for owner in {f.owner for f in result.findings if f.owner}:
        person = graph.people.get(owner)
        if person is None or not person.email:
            continue
        manager = graph.manager_of(owner)
        boss = graph.people.get(manager) if manager else None
        contacts[owner] = Contact(person.label, person.email, boss.email if boss else None)
    return contacts


@dataclass
class Checked:
    """One workbook checked for an audit: its result (without its graph), the reports
    written of it, and how to reach its findings' owners."""

    result: RunResult
    reports: list[Path]
    contacts: dict[str, Contact]


class AuditCheck:
    """An audit's check of one workbook, in whichever process checks it: the reports and
    the owners' contacts are made there, from the workbook's graph, which is let go before
    the result leaves (a portfolio of large workbooks would otherwise hold every graph, or
    send each to the process that records the run)."""

    def __init__(
        self,
        audit: Audit,
        session: Session,
        request: CheckRequest,
        host: PluginHost,
        stems: dict[Path, str],
    ) -> None:
        self.audit = audit
        self.session = session
        self.request = request
        self.available = available_reporters(host)
        self.stems = stems

    def __call__(self, workbook: Path) -> Checked:
        result = check_workbook(self.session, workbook, self.request)
        try:
            reports = _write_reports(self.audit, result, self.available, self.stems[workbook])
            email = self.audit.config.email
            wanted = email is not None and email.enabled and email.per_leader
            contacts = _contacts(result) if wanted else {}
        finally:
            result.graph = None
        return Checked(result, reports, contacts)


def _leader_mails(
    digest: Digest, history: History | None, workbook: str, escalate_after: int | None
) -> list[LeaderMail]:
    by_owner: dict[str, list[StoredFinding]] = {}
    for finding in [*digest.changes.new, *digest.changes.persisting]:
        if finding.owner:
            by_owner.setdefault(finding.owner, []).append(finding)
    mails = []
    for owner, findings in sorted(by_owner.items()):
        contact = digest.contacts.get(owner)
        if contact is None:
            continue
        cc: list[str] = []
        if escalate_after is not None and history is not None and contact.manager_email:
            stuck = any(
                history.runs_persisted(f, workbook, digest.run_id) >= escalate_after
                for f in findings
            )
            if stuck:
                cc.append(contact.manager_email)
        mails.append(LeaderMail(owner, contact.name, contact.email, findings, cc))
    return mails


# Its workers may be killed half-way through a report (a worker that dies takes the
# others with it): what they leave goes with the folder, however the audit is started.
@scratch_folder()
def run_audit(
    audit: Audit,
    *,
    dry_run: bool = False,
    no_history: bool = False,
    host: PluginHost | None = None,
    jobs: int | None = None,
    progress: PortfolioProgress | None = None,
) -> AuditOutcome:
    """Check, record, report and mail, as the config says.

    The workbooks are checked by up to ``jobs`` processes at once (default: one per
    core), where this process can fork; their runs are recorded, and their mail made, here,
    in the order of the config's workbooks. ``progress`` is told of each workbook checked.
    """
    config = audit.config
    host = host or make_host()
    skipped: list[str] = []
    workbooks = audit.workbooks(skipped)
    cores = jobs or os.cpu_count() or 1
    workers = min(cores, len(workbooks)) if can_fork() else 1
    request = CheckRequest(
        ruleset=audit.ruleset(),
        as_of=None if config.as_of == "today" else config.as_of,
        fail_on=config.fail_on,
        # Unattended: cores no workbook of its own needs share out the rules of the
        # workbooks (all of them, for one large workbook).
        jobs=max(1, cores // workers),
    )
    session = prepare(request, host)
    _check_formats(audit, host)
    stems = file_stems(workbooks, audit.key)
    _refuse_inputs(audit, stems, session.config.settings.as_of)
    history = History(audit.database) if not no_history or audit.database.exists() else None
    outcome = AuditOutcome(skipped_files=skipped)
    codes = []
    # Sent once every workbook is checked (a delivery failure then loses no run); with
    # --dry-run, each workbook's are written to the outbox as soon as they are made.
    messages: list[Message] = []
    email = config.email
    names = display_names(workbooks, audit.key)
    try:
        if workers > 1:
            # Forked workers inherit the session and the plugin host as they are (and
            # the history's connection, which only this process uses).
            args = (audit, session, request, host, stems)

            def died(path: Path) -> Checked:
                return Checked(unchecked(session, path, worker_died(path), EXIT_CRASH), [], {})

            found = map_workbooks(workbooks, AuditCheck, args, workers, progress, died)
            checked = in_input_order(found)
        else:
            check = AuditCheck(audit, session, request, host, stems)
            checked = _one_by_one(check, workbooks, progress)
        for workbook, done in zip(workbooks, checked, strict=True):
            codes.append(done.result.exit_code)
            digest = _digest(audit, workbook, done, history, no_history, names[workbook])
            outcome.digests.append(digest)
            mails = _mails(digest, workbook, history, audit, outcome)
            if mails and dry_run:
                assert email is not None
                folder = audit.resolve(email.outbox)
                outcome.outbox += write_outbox(mails, folder, stems[workbook])
            else:
                messages += mails
        if email is not None and email.enabled and messages:
            assert not dry_run and email.smtp is not None
            try:
                Mailer(email.smtp, audit.base).send(messages)
                outcome.sent = len(messages)
            except DeliveryError as exc:
                outcome.delivery_error = exc.message
                codes.append(EXIT_MAIL)
        if history is not None and outcome.delivery_error is None:
            # Delivered, written to the outbox, or nothing to tell: the next runs compare
            # with these. Undelivered (or stopped before this), the next run's mail tells
            # these runs' changes again.
            history.mark_told(d.run_id for d in outcome.digests if d.run_id)
    finally:
        if history is not None:
            history.close()
    outcome.exit_code = max(codes or [EXIT_OK], key=lambda c: PRECEDENCE.get(c, 5))
    return outcome


def _one_by_one(
    check: AuditCheck, workbooks: Sequence[Path], progress: PortfolioProgress | None
) -> Iterator[Checked]:
    """Each workbook checked in this process, in turn."""
    if progress is not None:
        progress.workbooks(0, len(workbooks), None)
    for done, workbook in enumerate(workbooks, start=1):
        yield check(workbook)
        if progress is not None:
            progress.workbooks(done, len(workbooks), str(workbook))


def _digest(
    audit: Audit,
    workbook: Path,
    checked: Checked,
    history: History | None,
    no_history: bool,
    name: str,
) -> Digest:
    """The workbook's run recorded, and what changed since the last."""
    key = audit.key(workbook)
    email = audit.config.email
    result = checked.result
    if history is not None and not no_history:
        # A run whose mail is still to go is told once it went (run_audit marks it).
        run_id, changes = history.record(result, key, told=email is None or not email.enabled)
    else:
        run_id, changes = 0, _unrecorded(history, key, result)
    trend = history.trend(key) if history is not None else []
    attach = {_EXTENSIONS.get(f, f) for f in (email.attach if email else [])}
    return Digest(
        result,
        changes,
        trend,
        run_id,
        [p for p in checked.reports if p.suffix.lstrip(".") in attach],
        checked.contacts,
        name,
    )


def _mails(
    digest: Digest,
    workbook: Path,
    history: History | None,
    audit: Audit,
    outcome: AuditOutcome,
) -> list[Message]:
    """The digest's mail and the leaders' mails, as the config asks; none when nothing
    changed and the config says to skip such runs (the workbook is then noted in
    ``outcome.skipped_mail``)."""
    email = audit.config.email
    if email is None or not email.enabled:
        return []
    changes = digest.changes
    # A run with errors (a workbook that could not be read, say) is always told of.
    quiet = changes.previous is not None and not changes.changed and not digest.result.errors
    if email.skip_when_unchanged and quiet:
        outcome.skipped_mail.append(digest.workbook)
        return []
    messages = []
    if email.to:
        messages.append(digest_message(digest, email.sender, email.to, email.subject))
    if email.per_leader:
        key = audit.key(workbook)
        for mail in _leader_mails(digest, history, key, email.escalate_after_runs):
            messages.append(leader_message(digest, mail, email.sender))
    return messages


def _unrecorded(history: History | None, key: str, result: RunResult) -> Changes:
    """--no-history: what changed against the last run recorded and told, recording
    nothing."""
    previous = last_told(history.runs(key)) if history is not None else None
    if result.source.sha256 is None:  # not read: nothing to compare (as History.record)
        return Changes(previous=previous)
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
