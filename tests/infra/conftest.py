"""Fixtures of the production-plumbing tests: apps built with settings of their own.

The tests of what only Redis does (the `*_redis.py` modules: a cache and rate-limit
counters shared by app processes) talk to the Redis that TEST_REDIS_URL names;
without it they are not collected at all, and the run's header says so (see
tests/conftest.py). Every other test here runs with or without it. The same goes
for the `*_postgres.py` modules and a PostgreSQL TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from flask import Flask

from app import create_app
from app.extensions import db
from config import Config
from tests.conftest import POSTGRES_URL, IsolatedClient, _empty_all_tables
from tests.infra.helpers import (
    ALLOWED_ORIGIN,
    Clock,
    HungServer,
    add_failing_views,
    configured,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL")
collect_ignore_glob = [] if REDIS_URL else ["*_redis.py"]
# How the app uses PostgreSQL connections (the `*_postgres.py` modules) needs PostgreSQL.
if not (POSTGRES_URL and POSTGRES_URL.startswith("postgres")):
    collect_ignore_glob.append("*_postgres.py")


def _redis_key_patterns(app: Flask) -> list[str]:
    """Every key an app writes to Redis: its cache entries, its rate-limit counters, its jobs."""
    return [
        app.config["CACHE_KEY_PREFIX"] + "*",
        f"LIMITS:LIMITER/{app.config['RATELIMIT_KEY_PREFIX']}/*",
        app.config["JOBS_KEY_PREFIX"] + ":*",
    ]


def _forget_redis_keys(app: Flask) -> None:
    if not REDIS_URL or app.config["REDIS_URL"] != REDIS_URL:
        return
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        for pattern in _redis_key_patterns(app):
            keys = list(client.scan_iter(match=pattern))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def clock() -> Clock:
    """A clock of the test's own, for what takes one (`clock=`) instead of time.monotonic."""
    return Clock()


@pytest.fixture
def build() -> Iterator[Callable[..., Flask]]:
    """Build apps with other settings than the suite's; each is undone after the test.

    `build(ConfigClass)` gives an app with the schema in place (its own in-memory
    SQLite database, or the test PostgreSQL database emptied) and its app context
    pushed, so that factories write to it; `schema=False` leaves the database alone
    (for an app whose database is unreachable). Its test clients are
    `IsolatedClient`s. Its keys in the test Redis are deleted afterwards.
    """
    with ExitStack() as cleanup:

        def make(config_class: type[Config], *, schema: bool = True) -> Flask:
            built = create_app(config_class)
            built.test_client_class = IsolatedClient

            on_postgres = built.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")

            def close() -> None:
                with built.app_context():
                    db.session.remove()
                    if schema and on_postgres:
                        _empty_all_tables()
                    db.engine.dispose()
                _forget_redis_keys(built)

            cleanup.callback(close)
            if schema:
                with built.app_context():
                    if on_postgres:
                        # The schema is the migrations' (tests/conftest.py); empty it.
                        _empty_all_tables()
                    else:
                        db.create_all()
            cleanup.enter_context(built.app_context())
            return built

        yield make


@pytest.fixture
def app(build: Callable[..., Flask]) -> Flask:
    """The suite's app (for `client`, `statements`, `user`...), built by `build`: its keys
    in the test Redis are deleted afterwards too."""
    return build(configured())


@pytest.fixture
def shared_database(tmp_path: Path) -> dict[str, str]:
    """Settings that give every app built with them the same database (as processes have)."""
    return {"TEST_DATABASE_URL": POSTGRES_URL or f"sqlite:///{tmp_path / 'shared.db'}"}


@pytest.fixture
def hung_redis() -> Iterator[HungServer]:
    server = HungServer()
    yield server
    server.close()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """A client of the test Redis (TEST_REDIS_URL), to look at what the apps wrote."""
    assert REDIS_URL, "only the *_redis.py modules use this, and only with TEST_REDIS_URL"
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def plumbing_app(build: Callable[..., Flask]) -> Flask:
    """An app set up as in production where these tests look: rate limits on (one
    sign-in a minute per address), CORS for ALLOWED_ORIGIN, and a view that fails
    (a bug) under /api and on the web: every kind of response can be had from it.
    """
    app = build(
        configured({"RATELIMIT_AUTH": "1 per minute", "CORS_ORIGINS": ALLOWED_ORIGIN}, limits=True)
    )
    add_failing_views(app)
    return app
