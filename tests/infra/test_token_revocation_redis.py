"""A password change made on one app process revokes the account's older tokens on
every other process sharing the database and Redis, as soon as the change has
answered: on the routes that load the account, and on those that take its
credentials generation from the cache, whether the process trusts announced
generations or asks Redis on every read.

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from flask import Flask

from app.services import credentials
from tests.api.helpers import assert_error
from tests.factories import PASSWORD, UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured, counting_statements

NEW_PASSWORD = "a-brand-new-password"
OPTIONAL = ["/api/articles", "/api/profiles/jake"]


@pytest.fixture
def make_app(build: Callable[..., Flask], shared_database: dict[str, str]) -> Callable[..., Flask]:
    """App processes of one deployment: one database, one Redis, one key prefix."""
    prefix = f"conduit-tokens-{secrets.token_hex(4)}:cache:"

    def make() -> Flask:
        config = configured(
            {**shared_database, "TEST_REDIS_URL": REDIS_URL or ""},
            CACHE_KEY_PREFIX=prefix,
            CREDENTIALS_CACHE_SECONDS=300,
        )
        return build(config)

    return make


def _sign_in(app: Flask, password: str = PASSWORD) -> dict[str, str]:
    body = {"user": {"email": "jake@example.com", "password": password}}
    response = app.test_client().post("/api/users/login", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Token {response.json['user']['token']}"}


def _answers(app: Flask, headers: dict[str, str]) -> list[int]:
    client = app.test_client()
    urls = ["/api/user", *OPTIONAL]
    return [client.get(url, headers=headers).status_code for url in urls]


def test_a_password_change_on_one_process_revokes_the_token_on_the_other(make_app):
    one, other = make_app(), make_app()
    UserFactory(username="jake", email="jake@example.com")
    old = _sign_in(one)
    # The other process has verified the token and holds the account's generation:
    # the case where it would go on trusting what it remembers.
    for _ in range(2):
        assert _answers(other, old) == [200, 200, 200]

    changed = one.test_client().put(
        "/api/user", json={"user": {"password": NEW_PASSWORD}}, headers=old
    )
    assert changed.status_code == 200
    new = {"Authorization": f"Token {changed.json['user']['token']}"}

    assert _answers(other, old) == [401, 401, 401]
    for url in OPTIONAL:
        response = other.test_client().get(url, headers=old)
        assert assert_error(response, 401) == {"token": ["has been revoked"]}
    assert _answers(one, old) == [401, 401, 401]
    assert _answers(other, new) == [200, 200, 200]
    assert _answers(other, _sign_in(other, NEW_PASSWORD)) == [200, 200, 200]


def test_a_process_reads_a_cached_generation_without_a_statement(make_app):
    one, other = make_app(), make_app()
    UserFactory(username="jake", email="jake@example.com")
    # Signing in caches the generation in Redis, for every process.
    headers = _sign_in(one)

    with counting_statements(other) as first:
        assert other.test_client().get("/api/profiles/jake", headers=headers).status_code == 200
    with counting_statements(other) as again:
        assert other.test_client().get("/api/profiles/jake", headers=headers).status_code == 200

    # Only the profile itself, as for an anonymous reader.
    assert (first.count, again.count) == (1, 1)


def test_another_accounts_cached_generation_survives_the_change(make_app):
    one, other = make_app(), make_app()
    jake = UserFactory(username="jake", email="jake@example.com")
    celeb = UserFactory(username="celeb", email="celeb@example.com")
    with other.app_context():
        assert credentials.current_generation(user_id=celeb.id) == 0
    old = _sign_in(one)

    one.test_client().put("/api/user", json={"user": {"password": NEW_PASSWORD}}, headers=old)

    with other.app_context(), counting_statements(other) as reads:
        assert credentials.current_generation(user_id=celeb.id) == 0
        assert credentials.current_generation(user_id=jake.id) == 1
    # Both from the cache: celeb's as before, and jake's new one, which the token the
    # change answered with cached.
    assert reads.count == 0
