"""Notification mail through the API: the `notifyByEmail` setting of /api/user (an
extension of the spec) and the mails that follows and comments send.

A real SMTP server receives the mail (tests/mailbox.py); without Redis a job runs
in the app once the response is closed, as a server closes it once sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import User
from tests.api.helpers import assert_error
from tests.mailbox import Mailbox, text_body

# The test apps' PUBLIC_BASE_URL (config.TestConfig).
PUBLIC = "http://conduit.test"


@pytest.fixture(autouse=True)
def mailbox(mail_settings: Mailbox) -> Mailbox:
    """Every app of these tests mails to the test SMTP server (set up before the app)."""
    return mail_settings


def _call(client, method: str, path: str, headers: dict[str, str], **kwargs: Any):
    response = client.open(path, method=method, headers=headers, **kwargs)
    # A job runs once the response is closed: then its mail has been sent, or not.
    response.close()
    return response


def _set(client, headers: dict[str, str], value: object):
    return _call(client, "PUT", "/api/user", headers, json={"user": {"notifyByEmail": value}})


def _setting(user_id: int) -> bool:
    db.session.remove()
    return db.session.get(User, user_id).notify_by_email


def test_the_setting_is_off_for_a_new_account(client):
    user = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}

    registered = client.post("/api/users", json={"user": user}).json["user"]
    headers = {"Authorization": f"Token {registered['token']}"}

    assert registered["notifyByEmail"] is False
    assert client.get("/api/user", headers=headers).json["user"]["notifyByEmail"] is False


def test_the_setting_is_turned_on_and_off_with_put(client, user, headers):
    turned_on = _set(client, headers, True)

    assert turned_on.status_code == 200
    assert turned_on.json["user"]["notifyByEmail"] is True
    assert client.get("/api/user", headers=headers).json["user"]["notifyByEmail"] is True
    assert _setting(user.id) is True

    assert _set(client, headers, False).json["user"]["notifyByEmail"] is False
    assert _setting(user.id) is False


def test_other_settings_leave_the_notification_setting_alone(client, user, headers):
    _set(client, headers, True)

    changed = _call(client, "PUT", "/api/user", headers, json={"user": {"bio": "Hi"}})

    assert changed.json["user"]["notifyByEmail"] is True
    assert _setting(user.id) is True


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, [], {}])
def test_a_value_that_is_not_a_boolean_is_422_and_changes_nothing(client, user, headers, value):
    response = _call(
        client,
        "PUT",
        "/api/user",
        headers,
        json={"user": {"bio": "Changed", "notifyByEmail": value}},
    )

    assert assert_error(response, 422, "notifyByEmail") == {
        "notifyByEmail": ["must be true or false"]
    }
    db.session.remove()
    saved = db.session.get(User, user.id)
    assert (saved.notify_by_email, saved.bio) == (False, None)


def test_opted_in_a_new_follower_is_mailed_once(client, user, headers, other_headers, mailbox):
    _set(client, headers, True)

    first = _call(client, "POST", "/api/profiles/jake/follow", other_headers)
    again = _call(client, "POST", "/api/profiles/jake/follow", other_headers)

    assert (first.status_code, again.status_code) == (200, 200)
    (message,) = mailbox.messages
    assert message["To"] == "jake@example.com"
    assert message["Subject"] == "celeb is now following you on Conduit"
    assert f"{PUBLIC}/profile/celeb" in text_body(message)


def test_opted_in_a_comment_is_mailed_once_and_ones_own_not_at_all(
    client, user, headers, other_headers, mailbox
):
    _set(client, headers, True)
    article = {"title": "Dragons", "description": "d", "body": "b"}
    slug = _call(client, "POST", "/api/articles", headers, json={"article": article}).json[
        "article"
    ]["slug"]
    comments = f"/api/articles/{slug}/comments"

    own = _call(client, "POST", comments, headers, json={"comment": {"body": "Mine"}})
    theirs = _call(client, "POST", comments, other_headers, json={"comment": {"body": "Nice"}})

    assert (own.status_code, theirs.status_code) == (200, 200)
    (message,) = mailbox.messages
    assert message["To"] == "jake@example.com"
    assert message["Subject"] == "celeb commented on Dragons"
    comment_id = theirs.json["comment"]["id"]
    assert f"{PUBLIC}/article/{slug}#comment-{comment_id}" in text_body(message)
    assert "Nice" in text_body(message)


def test_without_the_setting_follows_and_comments_mail_nothing(
    client, user, headers, other_headers, mailbox
):
    article = {"title": "Dragons", "description": "d", "body": "b"}
    slug = _call(client, "POST", "/api/articles", headers, json={"article": article}).json[
        "article"
    ]["slug"]

    _call(client, "POST", "/api/profiles/jake/follow", other_headers)
    _call(
        client,
        "POST",
        f"/api/articles/{slug}/comments",
        other_headers,
        json={"comment": {"body": "Hi"}},
    )

    assert mailbox.messages == []
