"""How requests use PostgreSQL connections (app/database.py).

Reads of safe-method requests run on autocommit connections (no BEGIN/ROLLBACK
round trips; psycopg keeps its prepared statements); every other request writes
in a transaction, on a connection that is never left in autocommit, and a
transaction that only read is ended with COMMIT (a ROLLBACK makes psycopg forget
the connection's prepared statements). Pooled connections are pinged only after
sitting idle.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool

from app.exceptions import Forbidden
from app.extensions import db
from app.models import Article
from app.services import articles, favorites
from tests.conftest import auth_headers
from tests.factories import ArticleFactory, UserFactory
from tests.infra.helpers import configured


def _dbapi_autocommit() -> bool:
    return bool(db.session.connection().connection.dbapi_connection.autocommit)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_method_requests_read_without_a_transaction(app, method):
    with app.test_request_context("/api/articles", method=method):
        assert _dbapi_autocommit()
        db.session.remove()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writing_requests_run_in_a_transaction(app, method):
    with app.test_request_context("/api/articles", method=method):
        assert not _dbapi_autocommit()
        db.session.remove()


def test_a_connection_read_on_in_autocommit_writes_in_a_transaction_afterwards(app):
    # One pooled connection: the write below gets the very connection the read used.
    with app.test_request_context("/", method="GET"):
        read_on = db.session.connection().connection.dbapi_connection
        db.session.remove()
    with app.test_request_context("/", method="POST"):
        assert db.session.connection().connection.dbapi_connection is read_on
        assert not _dbapi_autocommit()
        db.session.remove()


def test_outside_requests_the_session_keeps_its_transaction(app):
    assert not _dbapi_autocommit()


def test_a_write_refused_after_its_first_rows_changes_nothing(client, user, monkeypatch):
    """Writes stay atomic: an article whose row was already sent to the database when
    the write was refused (here, by the tags step) is not stored."""

    def refuse(*_args: object) -> None:
        raise Forbidden.on("article", "refused after the article row was written")

    monkeypatch.setattr(articles, "_set_tags", refuse)
    body = {"article": {"title": "T", "description": "d", "body": "b", "tagList": ["x"]}}

    response = client.post("/api/articles", json=body, headers=auth_headers(user))

    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def _prepared_statements(app: Flask) -> int:
    """How many statements the app's connection has prepared in PostgreSQL."""
    with app.test_request_context("/", method="GET"):
        prepared = sa.table("pg_prepared_statements")
        count = db.session.scalar(sa.select(sa.func.count()).select_from(prepared))
        db.session.remove()
    return int(count or 0)


def test_a_write_request_leaves_the_connections_prepared_statements_in_place(build):
    """Its read-back after the commit opened a transaction that only read: ended with
    COMMIT, not ROLLBACK, after which psycopg would have deallocated every statement
    the connection had prepared, and PostgreSQL parsed and planned them all again."""
    app = build(configured(DATABASE_POOL_SIZE=1, DATABASE_POOL_OVERFLOW=0))
    reader = UserFactory(username="jake")
    slug = ArticleFactory().slug
    headers = auth_headers(reader)
    db.session.remove()
    client = app.test_client()
    # psycopg prepares a statement on its sixth run on a connection.
    for _ in range(6):
        assert client.get(f"/api/articles/{slug}", headers=headers).status_code == 200
    prepared = _prepared_statements(app)

    response = client.post(f"/api/articles/{slug}/favorite", headers=headers)

    assert response.status_code == 200
    assert response.json["article"]["favorited"] is True
    assert prepared > 0
    assert _prepared_statements(app) >= prepared


def test_a_refused_write_is_rolled_back_though_its_error_was_handled(client, user, monkeypatch):
    """A transaction that wrote is never committed at the end of the request: the
    refusal became a 403 response, so no exception reached the teardown."""

    def refuse(*_args: object) -> None:
        raise Forbidden.on("article", "refused after the favorite's count was written")

    slug = ArticleFactory().slug
    # The count is changed first (an UPDATE), then the favorite's row is written.
    monkeypatch.setattr(favorites, "insert_ignoring_duplicates", refuse)

    response = client.post(f"/api/articles/{slug}/favorite", headers=auth_headers(user))

    assert response.status_code == 403
    assert db.session.scalar(sa.select(Article.favorites_count).where(Article.slug == slug)) == 0


def _backend_pid() -> int:
    return db.session.scalar(sa.select(sa.func.pg_backend_pid()))


def _terminate(pid: int) -> None:
    """End server process `pid` from a connection of its own, as a server restart would."""
    other = sa.create_engine(db.engine.url, poolclass=NullPool)
    with other.connect() as connection:
        connection.execute(sa.select(sa.func.pg_terminate_backend(pid)))
    other.dispose()


@pytest.fixture
def app_with_a_dead_connection(build: Callable[..., Flask]) -> Callable[[int], tuple[Flask, int]]:
    """An app (one pooled connection, pinged after `ping_after_idle_seconds`) whose
    pooled connection the server has ended, and that connection's server pid."""

    def make(ping_after_idle_seconds: int) -> tuple[Flask, int]:
        app = build(
            configured(
                DATABASE_PING_AFTER_IDLE_SECONDS=ping_after_idle_seconds,
                DATABASE_POOL_SIZE=1,
                DATABASE_POOL_OVERFLOW=1,
            )
        )
        UserFactory(username="jake")
        pid = _backend_pid()
        db.session.remove()
        _terminate(pid)
        return app, pid

    return make


def test_an_idle_connection_that_died_is_replaced_before_a_request_uses_it(
    app_with_a_dead_connection,
):
    app, pid = app_with_a_dead_connection(0)

    response = app.test_client().get("/api/profiles/jake")

    assert response.status_code == 200
    assert _backend_pid() != pid


def test_a_busy_connection_is_not_pinged_and_a_dead_one_costs_one_request(
    app_with_a_dead_connection,
):
    app, _pid = app_with_a_dead_connection(3600)
    client = app.test_client()

    first = client.get("/api/profiles/jake")
    second = client.get("/api/profiles/jake")

    assert first.status_code == 503
    assert first.json == {"errors": {"body": ["the service is temporarily unavailable"]}}
    assert "Retry-After" in first.headers
    assert second.status_code == 200
