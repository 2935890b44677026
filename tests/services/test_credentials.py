"""Credentials generations: raised by each password change, cached for the routes
that load no account, and never cached stale across a change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import cache
from app.exceptions import Invalid
from app.extensions import db
from app.models import User
from app.services import credentials, sessions, users
from tests.factories import UserFactory


def _stored(user_id: int) -> int:
    db.session.expire_all()
    generation: int = db.session.scalar(
        select(User.credentials_generation).where(User.id == user_id)
    )
    return generation


def test_a_new_account_starts_at_a_generation_of_its_own(app):
    # Not 0: SQLite gives a deleted account's id to the next account, which must not
    # accept the deleted account's tokens (tests/api/test_account_leaving.py).
    user = users.register_user(username="jake", email="jake@example.com", password="s3cret-pw")
    other = users.register_user(username="celeb", email="celeb@example.com", password="s3cret-pw")

    assert 1 <= user.credentials_generation <= credentials.FIRST_GENERATIONS
    assert _stored(user.id) == user.credentials_generation
    assert other.credentials_generation != user.credentials_generation


def test_revoking_raises_the_generation_and_ends_all_but_the_kept_session(app, user):
    lifetime = timedelta(days=1)
    kept = sessions.start_session(user=user, lifetime=lifetime)
    other = sessions.start_session(user=user, lifetime=lifetime)

    credentials.revoke_credentials(user=user, keep_session_token=kept)
    db.session.commit()

    assert _stored(user.id) == 1
    assert sessions.user_for_session(kept).id == user.id
    assert sessions.user_for_session(other) is None


def test_the_generation_is_raised_in_the_database_not_from_the_value_loaded(app, user):
    # Another process raised it after this one loaded the account.
    db.session.execute(
        update(User).where(User.id == user.id).values(credentials_generation=3),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    assert user.credentials_generation == 0

    credentials.revoke_credentials(user=user)
    db.session.commit()

    assert _stored(user.id) == 4
    assert user.credentials_generation == 4


def test_a_cached_generation_costs_one_statement_then_none(app, user, statements):
    statements.reset()
    assert credentials.current_generation(user_id=user.id) == 0
    first = statements.count
    statements.reset()
    assert credentials.current_generation(user_id=user.id) == 0

    assert (first, statements.count) == (1, 0)


def test_a_committed_revocation_makes_the_cached_generation_stale(app, user):
    assert credentials.current_generation(user_id=user.id) == 0

    credentials.revoke_credentials(user=user)
    db.session.commit()

    assert credentials.current_generation(user_id=user.id) == 1


def test_a_generation_read_before_a_revocation_is_never_cached_after_it(app, user):
    family = credentials.credentials_family(user.id)

    def read_then_revoked() -> int | None:
        # A request missed the cache and read the database (generation 0)...
        stored = _stored(user.id)
        # ...and the password changed before it stored what it read.
        credentials.revoke_credentials(user=user)
        db.session.commit()
        return stored

    assert (
        cache.read_through(family, credentials.GENERATION_ENTRY, read_then_revoked, timeout=60) == 0
    )

    assert credentials.current_generation(user_id=user.id) == 1


def test_a_rolled_back_revocation_revokes_nothing(app, user):
    assert credentials.current_generation(user_id=user.id) == 0

    credentials.revoke_credentials(user=user)
    db.session.rollback()

    assert _stored(user.id) == 0
    assert credentials.current_generation(user_id=user.id) == 0


def test_a_refused_change_of_settings_revokes_nothing(app, user, other_user):
    with pytest.raises(Invalid):
        users.update_user(user=user, username=other_user.username, password="a-new-password")

    assert _stored(user.id) == 0


def test_another_accounts_generation_is_left_alone(app, user):
    someone = UserFactory()
    assert credentials.current_generation(user_id=someone.id) == 0

    credentials.revoke_credentials(user=user)
    db.session.commit()

    assert credentials.current_generation(user_id=someone.id) == 0
    assert _stored(someone.id) == 0


def test_an_account_that_does_not_exist_has_no_generation(app, user):
    assert credentials.current_generation(user_id=user.id + 1000) is None


def test_without_a_cache_lifetime_the_generation_is_read_every_time(app, user, statements):
    app.config["CREDENTIALS_CACHE_SECONDS"] = 0

    statements.reset()
    for _ in range(2):
        assert credentials.current_generation(user_id=user.id) == 0

    assert statements.count == 2
