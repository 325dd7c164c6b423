"""Send mail properly: TLS, login from the environment, timeouts, retries that make sense."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from email.message import Message
from pathlib import Path

from alignhealth.audit.config import SmtpConfig
from alignhealth.errors import AlignhealthError, UsageError
from alignhealth.outfiles import write_whole

#: The fewest messages worth a connection of their own (it costs a TLS handshake and a
#: login, as much as several messages).
PER_CONNECTION = 10


class DeliveryError(AlignhealthError):
    """Mail could not be delivered (exit code 4); the run is still recorded."""

    code = "delivery"


def _temporary(exc: BaseException) -> bool:
    """4xx replies and dropped connections are worth another try; 5xx and auth are not."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(
        exc, smtplib.SMTPServerDisconnected | ConnectionError | socket.timeout | TimeoutError
    )


class Mailer:
    """Delivers messages through one configured SMTP server."""

    def __init__(
        self, config: SmtpConfig, base: Path, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config
        self.sleep = sleep
        self.password: str | None = None
        if config.username:
            if not config.password_env:
                raise UsageError(
                    "[email.smtp] username is set but password-env is not: name "
                    "the environment variable that holds the password"
                )
            self.password = os.environ.get(config.password_env)
            if self.password is None:
                raise UsageError(
                    f"[email.smtp] password-env: the environment variable "
                    f"{config.password_env} is not set"
                )
        self.context = ssl.create_default_context(
            cafile=str(base / config.ca_file) if config.ca_file else None
        )

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        port = config.resolved_port()
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, port, timeout=config.timeout, context=self.context
            )
        else:
            client = smtplib.SMTP(config.host, port, timeout=config.timeout)
        client.ehlo()
        if config.security == "starttls":
            client.starttls(context=self.context)
            client.ehlo()
        if config.username and self.password is not None:
            client.login(config.username, self.password)
        return client

    def send(self, messages: Sequence[Message]) -> None:
        """Send every message, retrying temporary failures with backoff; a permanent
        failure or a failed login is raised as :class:`DeliveryError`.

        Many messages (an audit of a portfolio with mail per leader) go out on up to
        ``connections`` connections at once, each with its share, in a thread of its own:
        a message waits for four of the server's replies, and a connection to a server
        across the internet spends nearly all its time waiting for them. A connection
        carries at least ``PER_CONNECTION`` messages, so a few go out on one, as before.
        """
        count = min(self.config.connections, -(-len(messages) // PER_CONNECTION))
        if count <= 1:
            self._send_on_one(messages)
            return
        failures: list[DeliveryError] = []
        # Set when the audit stops (Ctrl-C, SIGTERM) as the threads send: each ends after
        # the message under way, and none keeps the process alive sending the rest.
        stop = threading.Event()

        def share(index: int) -> None:
            try:
                self._send_on_one(messages[index::count], stop)
            except DeliveryError as exc:
                failures.append(exc)

        threads = [
            threading.Thread(target=share, args=(i,), name=f"alignhealth-smtp-{i}", daemon=True)
            for i in range(count)
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException:
            stop.set()
            raise
        if failures:
            raise failures[0]

    def _send_on_one(
        self, messages: Sequence[Message], stop: threading.Event | None = None
    ) -> None:
        """Send the messages on one connection, in order, retrying as :meth:`send` says;
        none after ``stop`` is set."""
        stop = stop or threading.Event()
        pending = list(messages)
        attempt = 0
        while pending and not stop.is_set():
            try:
                with self._connect() as client:
                    while pending and not stop.is_set():
                        client.send_message(pending[0])
                        pending.pop(0)
            except (smtplib.SMTPException, OSError) as exc:
                if not _temporary(exc) or attempt >= self.config.retries:
                    raise DeliveryError(self._describe(exc, attempt)) from None
                self.sleep(self.config.backoff * (2**attempt))
                attempt += 1

    def _describe(self, exc: BaseException, attempt: int) -> str:
        where = f"{self.config.host}:{self.config.resolved_port()}"
        tries = f" after {attempt + 1} attempts" if attempt else ""
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return (
                f"mail to {where}: login refused ({exc.smtp_code}); check the user and "
                f"the password in {self.config.password_env}"
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return f"mail to {where}: refused{tries} ({exc.smtp_code} {exc.smtp_error!r})"
        return f"mail to {where}: {type(exc).__name__}: {exc}{tries}"


def write_outbox(messages: Sequence[Message], folder: Path, stem: str) -> list[Path]:
    """--dry-run: each message as an .eml file, instead of sending."""
    paths = []
    for index, message in enumerate(messages, start=1):
        path = folder / f"{stem}-{index:02d}.eml"
        write_whole(path, bytes(message))
        paths.append(path)
    return paths
