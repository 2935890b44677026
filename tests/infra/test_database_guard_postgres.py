"""Bounded waits on a PostgreSQL that does not answer.

The server seems frozen behind a proxy of the test's own that stops forwarding
(tests/faults/proxy.py); the shared server itself is never stopped. The first
tests pin what app/database_guard.py asks of psycopg (a wait with a timeout, and
the error that says it expired): they fail should psycopg change it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from app.database import GUARD_EXTENSION
from app.database_guard import DatabaseGuard, GuardedConnection, connect_guarded
from tests.api.helpers import assert_error
from tests.conftest import POSTGRES_URL
from tests.faults.proxy import FaultyProxy
from tests.infra.helpers import configured

REPLY_SECONDS = 0.5


@pytest.fixture
def proxy() -> Iterator[FaultyProxy]:
    assert POSTGRES_URL
    proxy = FaultyProxy(sa.make_url(POSTGRES_URL).port or 5432)
    yield proxy
    proxy.close()


def _conninfo(proxy: FaultyProxy) -> dict[str, Any]:
    url = sa.make_url(POSTGRES_URL or "")
    return {
        "host": "127.0.0.1",
        "port": proxy.port,
        "user": url.username,
        "dbname": url.database,
        "connect_timeout": 2,
    }


def _guard() -> DatabaseGuard:
    return DatabaseGuard(reply_timeout=REPLY_SECONDS, fail_fast_seconds=60, trial_seconds=60)


def test_a_statement_without_an_answer_gives_up_after_the_reply_timeout(proxy):
    guard = _guard()
    connection = connect_guarded(guard, (), _conninfo(proxy))
    assert connection.execute("SELECT 1").fetchone() == (1,)
    proxy.stall()

    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError, match=r"did not answer within 0\.5 s"):
        connection.execute("SELECT 1")

    assert REPLY_SECONDS <= time.monotonic() - started < REPLY_SECONDS + 1
    assert connection.closed
    assert guard.is_open
    assert not guard.admit()


def test_connecting_to_a_server_that_does_not_answer_gives_up_after_the_connect_timeout(proxy):
    guard = _guard()
    proxy.stall()

    started = time.monotonic()
    with pytest.raises(psycopg.errors.ConnectionTimeout):
        connect_guarded(guard, (), _conninfo(proxy))

    assert time.monotonic() - started < 3
    assert guard.is_open


def test_a_connection_answered_in_time_closes_the_guard(proxy):
    guard = _guard()
    guard.unanswered()
    guard.answered()

    connection = connect_guarded(guard, (), _conninfo(proxy))

    assert isinstance(connection, GuardedConnection)
    assert connection.execute("SELECT 1").fetchone() == (1,)
    connection.close()


# The app on a database that stops answering ----------------------------------------


@pytest.fixture
def frozen_app(build: Callable[..., Flask], proxy: FaultyProxy) -> Callable[[float], Flask]:
    """An app whose database (the test database, only read), behind `proxy`, is about
    to freeze, failing fast for the seconds given."""

    def make(fail_fast_seconds: float) -> Flask:
        through = sa.make_url(POSTGRES_URL or "").set(port=proxy.port)
        return build(
            configured(
                SQLALCHEMY_DATABASE_URI=through.render_as_string(hide_password=False),
                DATABASE_STATEMENT_TIMEOUT_MS=200,
                DATABASE_REPLY_TIMEOUT_MS=int(REPLY_SECONDS * 1000),
                DATABASE_FAIL_FAST_SECONDS=fail_fast_seconds,
            ),
            schema=False,
        )

    return make


def test_requests_give_up_with_503_then_fail_fast_while_the_database_is_frozen(frozen_app, proxy):
    client = frozen_app(60.0).test_client()
    assert client.get("/api/articles").status_code == 200
    proxy.stall()

    timings = []
    for path in ("/api/articles", "/api/tags", "/health/ready"):
        started = time.monotonic()
        response = client.get(path)
        timings.append(time.monotonic() - started)
        assert_error(response, 503)
        assert response.headers["Retry-After"] == "5"
    live = client.get("/health")

    assert timings[0] < REPLY_SECONDS + 1
    assert max(timings[1:]) < 0.2, "requests after the first did not fail fast"
    assert live.status_code == 200


def test_after_the_pause_a_request_tries_again_and_its_answer_reopens_the_database(
    frozen_app, proxy
):
    app = frozen_app(0.3)
    client = app.test_client()
    guard: DatabaseGuard = app.extensions[GUARD_EXTENSION]
    proxy.stall()
    assert client.get("/api/tags").status_code == 503
    proxy.resume()
    assert client.get("/api/tags").status_code == 503, "refused at once during the pause"

    deadline = time.monotonic() + 5
    statuses = []
    while guard.is_open and time.monotonic() < deadline:
        statuses.append(client.get("/api/tags").status_code)
        threading.Event().wait(0.05)  # the pause runs out meanwhile

    assert not guard.is_open
    assert set(statuses) <= {200, 503}
    assert statuses[-1] == 200
