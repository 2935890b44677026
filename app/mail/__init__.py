"""Outgoing mail: text and HTML bodies from templates, sent over SMTP by Flask-Mailman.

The interface is three functions: `can_send` (whether this installation sends
mail at all), `send` (render a mail from `templates/mail/<name>.txt` and
`.html` and send it) and `public_url` (an absolute link into the site for a mail).
Callers never see SMTP: they run `send` in a background job (app/jobs), so that no
request waits on a mail server.

Without MAIL_SERVER, debug mode writes each mail to the log (so that a developer
can follow a reset link with nothing configured); elsewhere `send` raises
MailUnavailable and `can_send` says no, which the features turn into a clear
answer instead of a lost mail.

Flask-Mailman, not Flask-Mail: it takes a timeout for the SMTP connection
(MAIL_TIMEOUT), and a mail server that stops answering must fail the job, to be
retried, rather than hold a worker for ever.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import Flask, current_app, render_template
from flask_mailman import EmailMultiAlternatives, Mail

log = structlog.get_logger(__name__)

_mail = Mail()


class MailUnavailable(RuntimeError):
    """This installation has no mail server (MAIL_SERVER) and is not in debug mode."""


def init_mail(app: Flask) -> None:
    """Bind the mail settings of `app` (MAIL_*)."""
    _mail.init_app(app)


def can_send() -> bool:
    """Whether mail goes anywhere: to MAIL_SERVER, or to the log in debug mode."""
    return bool(current_app.config["MAIL_SERVER"]) or current_app.debug


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` under PUBLIC_BASE_URL, with or without a request."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    base: str = current_app.config["PUBLIC_BASE_URL"]
    return base + path


def send(*, to: str, subject: str, template: str, **context: Any) -> None:
    """Send the mail `templates/mail/<template>.txt` (and `.html`) to `to`.

    Raises MailUnavailable when mail goes nowhere, and what the SMTP connection
    raises (OSError, smtplib.SMTPException) when it fails.
    """
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    if not current_app.config["MAIL_SERVER"]:
        if not current_app.debug:
            raise MailUnavailable("MAIL_SERVER is not set: this installation sends no mail")
        # Debug without a mail server: the developer reads the mail in the log.
        log.info("mail not sent (no MAIL_SERVER): here it is", to=to, subject=subject, text=text)
        return
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()
    log.info("mail sent", subject=subject)
