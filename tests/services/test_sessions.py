"""Server-side web sessions: start, look up, end, and end all but one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import UserSession
from app.services import sessions, users
from tests.factories import UserFactory

LIFETIME = timedelta(days=1)


def _session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession)) or 0


def test_a_started_session_opens_its_user(user):
    token = sessions.start_session(user=user, lifetime=LIFETIME)

    assert sessions.user_for_session(token).id == user.id


def test_only_a_digest_of_the_token_is_stored(user):
    token = sessions.start_session(user=user, lifetime=LIFETIME)

    stored = db.session.scalars(select(UserSession.token_digest)).all()
    assert stored
    assert token not in stored
    assert all(len(digest) == 64 for digest in stored)


@pytest.mark.parametrize("token", ["", "not-a-token", "\x00", "é" * 300, "\ud800"])
def test_an_unknown_token_opens_nothing(user, token):
    sessions.start_session(user=user, lifetime=LIFETIME)

    assert sessions.user_for_session(token) is None


def test_an_ended_session_opens_nothing(user):
    token = sessions.start_session(user=user, lifetime=LIFETIME)

    sessions.end_session(token)

    assert sessions.user_for_session(token) is None


def test_ending_an_ended_session_is_harmless(user):
    token = sessions.start_session(user=user, lifetime=LIFETIME)
    sessions.end_session(token)

    sessions.end_session(token)

    assert _session_count() == 0


def test_an_expired_session_opens_nothing_and_is_forgotten_at_the_next_sign_in(user):
    expired = sessions.start_session(user=user, lifetime=timedelta(seconds=-1))

    assert sessions.user_for_session(expired) is None
    sessions.start_session(user=user, lifetime=LIFETIME)
    assert _session_count() == 1


def test_each_sign_in_is_a_session_of_its_own(user):
    first = sessions.start_session(user=user, lifetime=LIFETIME)
    second = sessions.start_session(user=user, lifetime=LIFETIME)

    sessions.end_session(first)

    assert first != second
    assert sessions.user_for_session(second).id == user.id


def test_a_new_password_ends_every_other_session_of_the_user(user):
    current = sessions.start_session(user=user, lifetime=LIFETIME)
    other = sessions.start_session(user=user, lifetime=LIFETIME)
    someone_else = UserFactory()
    theirs = sessions.start_session(user=someone_else, lifetime=LIFETIME)

    users.update_user(user=user, password="a brand new password", keep_session_token=current)

    assert sessions.user_for_session(current).id == user.id
    assert sessions.user_for_session(other) is None
    assert sessions.user_for_session(theirs).id == someone_else.id


def test_a_new_password_set_without_a_session_ends_them_all(user):
    token = sessions.start_session(user=user, lifetime=LIFETIME)

    users.update_user(user=user, password="a brand new password")

    assert sessions.user_for_session(token) is None


def test_other_settings_keep_every_session(user):
    token = sessions.start_session(user=user, lifetime=LIFETIME)

    users.update_user(user=user, bio="new bio")

    assert sessions.user_for_session(token).id == user.id
