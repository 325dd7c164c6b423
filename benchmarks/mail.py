"""Time an audit's mail going out on one connection and on several.

    python benchmarks/mail.py                         # 200 messages, 20 ms per reply
    python benchmarks/mail.py --messages 600 --wait 0.05

It starts a real SMTP server on 127.0.0.1 (aiosmtpd) that waits ``--wait`` seconds before
each reply that a server across the internet makes a sender wait for (the recipient and
the message), and sends ``--messages`` messages, one to each leader, through the audit's
own ``Mailer``, with ``connections`` of 1 to ``--most``, in turns, ``--repeat`` times. It
prints the median seconds, the messages per second and the speed-up over one connection,
and checks that the server received every message, once.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from speeds import speed_table

from alignhealth.audit.config import SmtpConfig
from alignhealth.audit.smtp import Mailer


class Slow:
    """Waits before answering a recipient and a message; counts what it received."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.received: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        await asyncio.sleep(self.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.wait)
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def messages(count: int) -> list[MIMEText]:
    """One message to each of ``count`` leaders, of a leader mail's size."""
    made = []
    for number in range(count):
        message = MIMEText("  [high] AH201 Goals!F12: Priority goal G12 has no owner\n" * 5)
        message["From"] = "alignhealth@example.com"
        message["To"] = f"leader{number}@example.com"
        message["Subject"] = f"Your alignment findings in client-{number % 200}.xlsx"
        made.append(message)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="alignhealth mail benchmark")
    parser.add_argument("--messages", type=int, default=200, help="messages per send")
    parser.add_argument("--wait", type=float, default=0.02, help="seconds before each reply")
    parser.add_argument("--most", type=int, default=6, help="the most connections tried")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are shown")
    args = parser.parse_args(argv)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = Slow(args.wait)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    batch = messages(args.messages)
    tried = sorted({1, 3, args.most} | ({2} if args.most >= 2 else set()))
    tried = [n for n in tried if n <= args.most]
    seconds: dict[int, list[float]] = {n: [] for n in tried}
    wrong = 0
    try:
        for round_number in range(1, args.repeat + 1):
            for connections in tried:
                smtp = SmtpConfig(
                    host="127.0.0.1", port=port, security="none", connections=connections
                )
                handler.received.clear()
                started = time.perf_counter()
                Mailer(smtp, Path(".")).send(batch)
                seconds[connections].append(time.perf_counter() - started)
                sent = sorted(str(m["To"]) for m in batch)
                wrong += sorted(handler.received) != sent
                print(
                    f"round {round_number} of {args.repeat}: {connections} connection(s), "
                    f"{seconds[connections][-1]:.3f} s",
                    file=sys.stderr,
                )
    finally:
        controller.stop()
    print(
        f"{args.messages} messages, the server waiting {args.wait * 1000:.0f} ms before each "
        f"reply to a recipient and a message; medians of {args.repeat} round(s)"
    )
    for line in speed_table(
        seconds, args.messages, "messages", lambda n: f"{n} connection(s)", "one connection"
    ):
        print(line)
    if wrong:
        print(f"MISMATCHED: {wrong} send(s) where a message was not received, or twice")
        return 1
    print("every message received, once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
