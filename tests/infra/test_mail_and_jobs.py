"""Mail and background jobs without Redis: the job runs in the web process once the
response is sent; no request waits on SMTP; an installation without a mail server says
so; debug without one writes the mail to the log; Redis down queues nothing and loses
nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.services import password_reset
from tests.api.helpers import assert_error
from tests.factories import UserFactory
from tests.infra.helpers import StallingSmtpServer, configured
from tests.mailbox import reset_token
from tests.web.helpers import Browser

RESET = "/api/users/password-reset"
# Without Redis, whatever the suite's TEST_REDIS_URL: jobs run in the app.
NO_REDIS = {"TEST_REDIS_URL": ""}


def _ask(client, email: str = "jake@example.com"):
    return client.post(RESET, json={"user": {"email": email}})


@pytest.fixture
def stalling_smtp() -> Iterator[StallingSmtpServer]:
    server = StallingSmtpServer()
    yield server
    server.close()


def test_the_request_answers_before_any_smtp_and_the_job_runs_after(build, stalling_smtp, capsys):
    app = build(
        configured(
            {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(stalling_smtp.port), **NO_REDIS},
            MAIL_TIMEOUT=0.5,
        )
    )
    UserFactory(username="jake", email="jake@example.com")
    client = app.test_client()

    response = _ask(client)

    # The answer is there and the mail server not even contacted yet.
    assert response.status_code == 202
    assert not stalling_smtp.connected.is_set()
    capsys.readouterr()
    # The server closes the response once sent: the job runs then, and its failure
    # (the mail server never answers) is logged, not raised.
    response.close()
    assert stalling_smtp.connected.is_set()
    assert '"event": "job failed"' in capsys.readouterr().out


def test_without_a_mail_server_in_production_the_api_says_reset_is_not_available(build):
    app = build(configured({"MAIL_SERVER": "", **NO_REDIS}))
    assert not app.debug
    UserFactory(username="jake", email="jake@example.com")

    errors = assert_error(_ask(app.test_client()), 501, "password reset")

    assert errors["password reset"] == [password_reset.NO_MAIL]


def test_without_a_mail_server_in_production_the_web_page_says_so(build):
    app = build(configured({"MAIL_SERVER": "", **NO_REDIS}))
    browser = Browser(app.test_client())

    page = browser.submit("/password-reset", {"email": "jake@example.com"})

    assert page.status == 422
    assert page.errors == [f"password reset {password_reset.NO_MAIL}"]


def test_in_debug_without_a_mail_server_the_mail_is_written_to_the_log(build, capsys):
    app = build(configured({"MAIL_SERVER": "", **NO_REDIS}))
    app.debug = True
    UserFactory(username="jake", email="jake@example.com")
    capsys.readouterr()

    response = _ask(app.test_client())
    response.close()

    assert response.status_code == 202
    out = capsys.readouterr().out
    assert "mail not sent (no MAIL_SERVER)" in out
    assert "http://conduit.test/password-reset/" in out


def test_with_redis_down_the_job_runs_here_instead_of_being_lost(build, hung_redis, smtp):
    port, mailbox = smtp
    app = build(
        configured(
            {
                "TEST_REDIS_URL": hung_redis.url,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(port),
            }
        )
    )
    assert app.extensions["conduit_jobs"] is not None
    UserFactory(username="jake", email="jake@example.com")
    client = app.test_client()

    response = _ask(client)
    response.close()

    assert response.status_code == 202
    token = reset_token(mailbox.wait_for("jake@example.com")[0])
    confirmed = client.post(
        RESET + "/confirm", json={"user": {"token": token, "password": "a new password"}}
    )
    assert confirmed.status_code == 200


def test_the_mail_comes_from_the_configured_sender(build, smtp):
    port, mailbox = smtp
    app = build(
        configured(
            {
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(port),
                "MAIL_DEFAULT_SENDER": "Conduit <hello@conduit.example.com>",
                "PUBLIC_BASE_URL": "https://conduit.example.com/",
                **NO_REDIS,
            }
        )
    )
    UserFactory(username="jake", email="jake@example.com")

    _ask(app.test_client()).close()

    (message,) = mailbox.wait_for("jake@example.com")
    assert message["From"] == "Conduit <hello@conduit.example.com>"
    assert (
        "https://conduit.example.com/password-reset/" in message.get_body(("plain",)).get_content()
    )
