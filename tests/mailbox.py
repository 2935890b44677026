"""A real SMTP server for the tests (aiosmtpd on a free port) and what it received."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers import free_port

# aiosmtpd logs every connection from its own thread, which may run before a test
# builds its app, while the root logger still holds the handler an earlier test's
# app wrote to that test's output, closed since ("--- Logging error ---"). Its
# records go to logging's last resort instead: warnings and worse, on stderr.
logging.getLogger("mail.log").propagate = False

# How long a test waits for a mail that a job sends after the response.
MAIL_WAIT_SECONDS = 20.0
RESET_LINK = re.compile(r"https?://\S+/password-reset/(\S+)")


class Mailbox:
    """The messages an SMTP server received, parsed, in order of arrival."""

    def __init__(self, *, refuse: int = 0) -> None:
        self._messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        # The first `refuse` mails are refused with a temporary failure, as a busy
        # mail server does; `refused` counts them.
        self._refuse = refuse
        self.refused = 0

    # aiosmtpd calls its handlers by this name (handle_<SMTP command>).
    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refused < self._refuse:
            self.refused += 1
            return "451 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._arrived:
            return list(self._messages)

    def wait_for(
        self, to: str, *, count: int = 1, seconds: float = MAIL_WAIT_SECONDS
    ) -> list[EmailMessage]:
        """The first `count` messages to `to`, once they have arrived (AssertionError if not)."""
        deadline = time.monotonic() + seconds
        with self._arrived:
            while True:
                found = [m for m in self._messages if to in str(m["To"])]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                assert left > 0, f"no mail to {to} within {seconds} s: {self._messages}"
                self._arrived.wait(left)


def text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return str(part.get_content())


def html_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, message
    return str(part.get_content())


def reset_token(message: EmailMessage) -> str:
    """The token of the reset link in `message`'s text body."""
    match = RESET_LINK.search(text_body(message))
    assert match, text_body(message)
    return match.group(1)


@contextmanager
def smtp_server(*, refuse: int = 0) -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server on 127.0.0.1 and a free port, with its mailbox, until the block ends
    (refusing the first `refuse` mails)."""
    mailbox = Mailbox(refuse=refuse)
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()
