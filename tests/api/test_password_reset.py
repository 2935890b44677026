"""Password reset through the API: mail with a link, a single-use token, every old
credential revoked. A real SMTP server receives the mail (tests/mailbox.py); without
Redis the job runs in the app once the response is sent."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models import User, UserSession
from app.services import password_reset, sessions
from tests.api.helpers import assert_error
from tests.conftest import auth_headers
from tests.factories import PASSWORD
from tests.mailbox import Mailbox, html_body, reset_token, text_body

NEW_PASSWORD = "a brand new password"
RESET = "/api/users/password-reset"
CONFIRM = "/api/users/password-reset/confirm"


@pytest.fixture(autouse=True)
def mailbox(mail_settings: Mailbox) -> Mailbox:
    """Every app of these tests mails to the test SMTP server (set up before the app)."""
    return mail_settings


def ask(client, email: object):
    """Ask for a link; the response is closed, as a server closes it once sent (which
    is when a job runs without Redis)."""
    response = client.post(RESET, json={"user": {"email": email}})
    response.close()
    return response


def confirm(client, token: object, password: str = NEW_PASSWORD):
    return client.post(CONFIRM, json={"user": {"token": token, "password": password}})


def sign_in(client, email: str, password: str):
    return client.post("/api/users/login", json={"user": {"email": email, "password": password}})


def mailed_token(client, mailbox: Mailbox, email: str = "jake@example.com") -> str:
    assert ask(client, email).status_code == 202
    (message,) = mailbox.wait_for(email)
    return reset_token(message)


def stored(user: User) -> tuple[str, int]:
    db.session.remove()
    row = db.session.execute(
        select(User.password_hash, User.credentials_generation).where(User.id == user.id)
    ).one()
    return row.password_hash, row.credentials_generation


def test_the_whole_journey_mail_link_new_password_signed_in(client, user, mailbox):
    response = ask(client, "jake@example.com")

    assert response.status_code == 202
    assert response.get_json() == {}
    (message,) = mailbox.wait_for("jake@example.com")
    assert message["Subject"] == "Reset your Conduit password"
    assert "Hello jake" in text_body(message)
    assert "http://conduit.test/password-reset/" in text_body(message)
    assert "http://conduit.test/password-reset/" in html_body(message)
    assert "30 minutes" in text_body(message)
    token = reset_token(message)

    answer = confirm(client, token)

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()["user"]
    assert body["username"] == "jake"
    assert body["email"] == "jake@example.com"
    me = client.get("/api/user", headers={"Authorization": f"Token {body['token']}"})
    assert me.status_code == 200
    assert sign_in(client, "jake@example.com", NEW_PASSWORD).status_code == 200
    assert_error(sign_in(client, "jake@example.com", PASSWORD), 401)


def test_the_address_is_matched_whatever_its_case(client, user, mailbox):
    assert ask(client, "JAKE@example.com").status_code == 202

    (message,) = mailbox.wait_for("jake@example.com")
    assert message["To"] == "jake@example.com"


def test_known_and_unknown_addresses_get_the_same_answer_and_only_accounts_get_mail(
    client, user, mailbox
):
    unknown = ask(client, "nobody@example.com")
    known = ask(client, "jake@example.com")

    assert (unknown.status_code, unknown.get_data()) == (known.status_code, known.get_data())
    assert unknown.headers.get("Content-Type") == known.headers.get("Content-Type")
    # Jobs run in order: once jake's mail is in, nobody's would have been too.
    mailbox.wait_for("jake@example.com")
    assert [m["To"] for m in mailbox.messages] == ["jake@example.com"]


@pytest.mark.parametrize("email", ["not an address", "", "a" * 300 + "@example.com", 8, None])
def test_a_malformed_address_is_refused_and_nothing_is_sent(client, user, mailbox, email):
    assert_error(ask(client, email), 422, "email")

    # Jobs run in order: the mail of a known address asked next is the only one.
    assert ask(client, "jake@example.com").status_code == 202
    mailbox.wait_for("jake@example.com")
    assert len(mailbox.messages) == 1


def test_a_link_expires_after_the_configured_time(client, app, user):
    assert app.config["PASSWORD_RESET_SECONDS"] == 30 * 60
    before = stored(user)
    token = password_reset.issue_reset_token(user=user, now=time.time() - 30 * 60 - 1)

    errors = assert_error(confirm(client, token), 422, "token")

    assert errors["token"] == [password_reset.EXPIRED]
    assert stored(user) == before


def test_a_link_still_works_just_before_it_expires(client, user):
    token = password_reset.issue_reset_token(user=user, now=time.time() - 30 * 60 + 60)

    assert confirm(client, token).status_code == 200


def test_a_link_works_once(client, user, mailbox):
    token = mailed_token(client, mailbox)
    assert confirm(client, token).status_code == 200
    after_first = stored(user)

    errors = assert_error(confirm(client, token, "yet another password"), 422, "token")

    assert errors["token"] == [password_reset.SPENT]
    assert stored(user) == after_first
    assert sign_in(client, "jake@example.com", NEW_PASSWORD).status_code == 200


def test_a_link_dies_when_the_password_changes_by_other_means(client, user, mailbox):
    token = mailed_token(client, mailbox)
    changed = client.put(
        "/api/user", json={"user": {"password": "changed in settings"}}, headers=auth_headers(user)
    )
    assert changed.status_code == 200

    assert_error(confirm(client, token), 422, "token")
    assert sign_in(client, "jake@example.com", "changed in settings").status_code == 200


def test_a_link_dies_when_the_address_changes(client, user, mailbox):
    token = mailed_token(client, mailbox)
    changed = client.put(
        "/api/user",
        json={"user": {"email": "jake@elsewhere.example.com"}},
        headers=auth_headers(user),
    )
    assert changed.status_code == 200

    assert_error(confirm(client, token), 422, "token")
    assert sign_in(client, "jake@elsewhere.example.com", PASSWORD).status_code == 200


def test_a_new_password_revokes_every_earlier_token_and_web_session(client, user, mailbox):
    old_headers = auth_headers(user)
    sessions.start_session(user=user, lifetime=timedelta(hours=1))
    assert client.get("/api/user", headers=old_headers).status_code == 200
    token = mailed_token(client, mailbox)

    fresh = confirm(client, token).get_json()["user"]["token"]

    assert_error(client.get("/api/user", headers=old_headers), 401, "token")
    assert client.get("/api/user", headers={"Authorization": f"Token {fresh}"}).status_code == 200
    count = db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    )
    assert count == 0


def test_every_link_sent_before_a_reset_dies_with_it(client, user, mailbox):
    first = mailed_token(client, mailbox)
    assert ask(client, "jake@example.com").status_code == 202
    second = reset_token(mailbox.wait_for("jake@example.com", count=2)[1])

    assert confirm(client, second).status_code == 200

    assert_error(confirm(client, first), 422, "token")


def _forged(secret: str, payload: object) -> str:
    return URLSafeSerializer(secret, salt=password_reset.SALT).dumps(payload)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "x" * 512,
        "eyJhIjoxfQ.bad-signature",
        "\u00e9\u00e8" * 10,
        "..",
    ],
)
def test_garbage_tokens_are_refused_and_nothing_changes(client, user, token):
    before = stored(user)

    errors = assert_error(confirm(client, token), 422, "token")

    assert errors["token"] == [password_reset.INVALID]
    assert stored(user) == before


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("x" * 513, "is too long (maximum is 512 characters)"),
        ("", "can't be blank"),
        ("a\x00b", "must not contain NUL characters"),
        (12, "must be a string"),
        (None, "can't be blank"),
    ],
)
def test_malformed_tokens_are_refused_by_the_schema(client, user, token, message):
    before = stored(user)

    errors = assert_error(confirm(client, token), 422, "token")

    assert errors["token"] == [message]
    assert stored(user) == before


def test_a_token_signed_with_another_secret_is_refused(client, user):
    expires = int(time.time()) + 600
    token = _forged(
        "another-secret", [user.id, 0, password_reset._fingerprint(user.email), expires]
    )
    before = stored(user)

    errors = assert_error(confirm(client, token), 422, "token")

    assert errors["token"] == [password_reset.INVALID]
    assert stored(user) == before


def test_a_password_the_rules_refuse_changes_nothing_and_keeps_the_link(client, user, mailbox):
    token = mailed_token(client, mailbox)
    before = stored(user)

    assert_error(confirm(client, token, "short"), 422, "password")

    assert stored(user) == before
    assert confirm(client, token).status_code == 200
