"""The messages an audit sends: a digest, and optionally one per leader."""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formatdate, make_msgid
from pathlib import Path

from alignhealth.audit.history import Changes, StoredFinding
from alignhealth.findings import Severity
from alignhealth.reporters.safe import terminal_safe
from alignhealth.runresult import RunResult

SEVERITY_ORDER = {s.value: s.weight for s in Severity}
LISTED = 50

#: UTF-8, quoted-printable: readable where the text is ASCII, and lines kept short.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP


@dataclass(frozen=True)
class Contact:
    """An owner who can be mailed, and the e-mail address of their manager, if any."""

    name: str
    email: str
    manager_email: str | None = None


@dataclass
class Digest:
    """What one workbook's audit run has to say."""

    result: RunResult
    changes: Changes
    trend: list[int | None]
    run_id: int
    attachments: list[Path] = field(default_factory=list)
    #: How to reach the owners of the run's findings, by owner id (from the workbook's
    #: People sheet: those with an e-mail address).
    contacts: dict[str, Contact] = field(default_factory=dict)
    #: What the audit calls the workbook (its file name, unless another of the audit's
    #: workbooks has the same one: ``portfolio.display_names``); else its file name.
    name: str = ""

    @property
    def workbook(self) -> str:
        return self.name or Path(self.result.source.path).name


def _sorted(findings: Sequence[StoredFinding]) -> list[StoredFinding]:
    return sorted(findings, key=lambda f: (-SEVERITY_ORDER.get(f.severity, 0), f.code, f.entity_id))


def _trend_text(trend: Sequence[int | None]) -> str:
    scores = [str(s) if s is not None else "-" for s in trend]
    return " -> ".join(scores) if scores else "-"


def _text_lines(title: str, findings: Sequence[StoredFinding], since: bool = False) -> list[str]:
    if not findings:
        return []
    lines = [f"{title} ({len(findings)}):"]
    for f in _sorted(findings)[:LISTED]:
        extra = f" (since {f.first_seen[:10]})" if since else ""
        lines.append(
            f"  [{f.severity}] {f.code} {f.cell or f.entity_id}: {terminal_safe(f.message)}{extra}"
        )
        if f.hint:
            lines.append(f"      {terminal_safe(f.hint)}")
    if len(findings) > LISTED:
        lines.append(f"  ... and {len(findings) - LISTED} more (see the attached report)")
    return lines


def _html_list(title: str, findings: Sequence[StoredFinding], since: bool = False) -> str:
    if not findings:
        return ""
    items = []
    for f in _sorted(findings)[:LISTED]:
        extra = f" <small>(since {html.escape(f.first_seen[:10])})</small>" if since else ""
        hint = f"<br><small>{html.escape(f.hint)}</small>" if f.hint else ""
        items.append(
            f"<li><b>{html.escape(f.severity)}</b> {html.escape(f.code)} "
            f"<code>{html.escape(f.cell or f.entity_id)}</code>: "
            f"{html.escape(f.message)}{extra}{hint}</li>"
        )
    more = (
        f"<li>... and {len(findings) - LISTED} more (see the attached report)</li>"
        if len(findings) > LISTED
        else ""
    )
    return f"<h3>{html.escape(title)} ({len(findings)})</h3><ul>{''.join(items)}{more}</ul>"


def _message(
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    body: str,
    cc: Sequence[str] = (),
    attachments: Sequence[Path] = (),
) -> Message:
    """A message with a plain-text and an HTML alternative, and ``attachments``.

    Built with the ``email.mime`` classes, whose headers are strings until the message
    is written: the ``EmailMessage`` API parses every header as it is set and folds it
    again as the message is written, which took a millisecond a message (an audit of 200 workbooks
    with mail per leader writes 6,000 of them). Both parts are quoted-printable, so that
    no line is longer than mail allows, whatever the HTML.
    """
    alternative = MIMEMultipart("alternative")
    alternative.attach(_text_part(text, "plain"))
    page = f'<!DOCTYPE html><html><body style="font-family: sans-serif">{body}</body></html>'
    alternative.attach(_text_part(page, "html"))
    message = alternative
    if attachments:
        message = MIMEMultipart("mixed")
        message.attach(alternative)
        for path in attachments:
            kind, _ = mimetypes.guess_type(path.name)
            maintype, subtype = (kind or "application/octet-stream").split("/", 1)
            part = MIMEBase(maintype, subtype)
            part.set_payload(path.read_bytes())
            encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=path.name)
            message.attach(part)
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    # A header that is not ASCII is written in RFC 2047's encoded words.
    message["Subject"] = subject.replace("\n", " ")
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="alignhealth")
    return message


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(text, _UTF8)
    return part


def digest_message(digest: Digest, sender: str, to: Sequence[str], subject: str) -> Message:
    """The digest: score and trend, counts, the new findings first."""
    result, changes = digest.result, digest.changes
    summary = result.summary
    score = "-" if summary.health_score is None else str(summary.health_score)
    fields = {
        "workbook": digest.workbook,
        "score": score,
        "new": len(changes.new),
        "resolved": len(changes.resolved),
        "persisting": len(changes.persisting),
    }
    title = subject.format(**fields)
    head = (
        f"Alignment health check of {digest.workbook}, as of {result.as_of.isoformat()} "
        f"(run {digest.run_id})."
    )
    stats = (
        f"Health score {score}/100 ({summary.band or '-'}); trend "
        f"{_trend_text(digest.trend)}. {len(changes.new)} new, "
        f"{len(changes.resolved)} resolved, {len(changes.persisting)} persisting."
    )
    errors = [e.message for e in result.errors]
    text = [head, stats, ""]
    text += [f"Error: {terminal_safe(e)}" for e in errors]
    text += _text_lines("New", changes.new)
    text += _text_lines("Resolved", changes.resolved)
    text += _text_lines("Persisting", changes.persisting, since=True)
    body = (
        f"<h2>{html.escape(head)}</h2><p>{html.escape(stats)}</p>"
        + "".join(f'<p style="color:#c62828">Error: {html.escape(e)}</p>' for e in errors)
        + _html_list("New", changes.new)
        + _html_list("Resolved", changes.resolved)
        + _html_list("Persisting", changes.persisting, since=True)
    )
    return _message(sender, to, title, "\n".join(text) + "\n", body, attachments=digest.attachments)


@dataclass
class LeaderMail:
    """One owner's findings, and the managers to copy."""

    owner: str
    name: str
    email: str
    findings: list[StoredFinding]
    cc: list[str] = field(default_factory=list)


def leader_message(digest: Digest, mail: LeaderMail, sender: str) -> Message:
    """Only this leader's findings: new first, then those that persist."""
    new = {f.fingerprint for f in digest.changes.new}
    fresh = [f for f in mail.findings if f.fingerprint in new]
    old = [f for f in mail.findings if f.fingerprint not in new]
    subject = f"Your alignment findings in {digest.workbook}: {len(fresh)} new, {len(old)} open"
    head = (
        f"{mail.name}, these findings of the alignment health check of "
        f"{digest.workbook} (as of {digest.result.as_of.isoformat()}) are yours to act on."
    )
    note = (
        "Your manager is copied because some have been open for several checks." if mail.cc else ""
    )
    text = [head, note, "", *_text_lines("New", fresh)]
    text += _text_lines("Still open", old, since=True)
    body = (
        f"<p>{html.escape(head)}</p><p>{html.escape(note)}</p>"
        + _html_list("New", fresh)
        + _html_list("Still open", old, since=True)
    )
    return _message(sender, [mail.email], subject, "\n".join(text) + "\n", body, cc=mail.cc)
