"""A connection whose socket fails while a statement is under way.

When PostgreSQL ends a backend just as a statement is sent, psycopg may find the
socket failed under its wait: it raises "connection socket closed" and leaves the
connection in the middle of the command, without marking it broken. The tests
put a connection in that very state (the statement sent, then the wait raising as
psycopg's does) and pin that psycopg leaves it so; the app must drop that
connection, answer 503 (never 500), and keep a write that had committed a success
(app/database.py, `discard_connections_left_mid_command`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask, has_request_context, request
from psycopg.pq import TransactionStatus
from sqlalchemy.orm import Session

from app.database_guard import GuardedConnection
from app.extensions import db
from tests.api.helpers import assert_error
from tests.conftest import POSTGRES_URL, auth_headers
from tests.factories import ArticleFactory, UserFactory
from tests.infra.helpers import configured

SOCKET_CLOSED = "connection socket closed"


def losing_wait(wait: Callable[..., Any]) -> Callable[..., Any]:
    """psycopg's `wait`, except on a connection told to `lose_socket`: its next wait
    sends what the command has to send, then raises as psycopg's wait does when it
    finds the socket failed."""

    def losing(connection: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(connection, "lose_socket", False):
            return wait(connection, gen, *args, **kwargs)
        connection.lose_socket = False
        next(gen)
        raise psycopg.OperationalError(SOCKET_CLOSED)

    return losing


class LosingConnection(GuardedConnection):
    wait = losing_wait(GuardedConnection.wait)


def test_psycopg_leaves_a_connection_mid_command_after_its_socket_failed():
    """What the app's handling relies on: the state psycopg leaves, and its refusal of
    the next command (fails should psycopg start marking such a connection broken)."""
    connection: Any = LosingConnection.connect((POSTGRES_URL or "").replace("+psycopg", ""))
    try:
        connection.lose_socket = True
        with pytest.raises(psycopg.OperationalError, match=SOCKET_CLOSED):
            connection.execute("SELECT 1")

        assert not connection.broken
        assert connection.info.transaction_status is TransactionStatus.ACTIVE
        with pytest.raises(psycopg.OperationalError, match="another command is already"):
            connection.rollback()
    finally:
        connection.close()


def _lose_on(when: str) -> bool:
    return has_request_context() and request.headers.get("X-Lose-Socket") == when


@pytest.fixture
def losing_app(build: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app with one pooled connection, whose socket fails under the request's first
    statement (`X-Lose-Socket: first-statement`) or under the first one after its
    commit (`X-Lose-Socket: after-commit`)."""
    monkeypatch.setattr(GuardedConnection, "wait", losing_wait(GuardedConnection.wait))
    app = build(configured(DATABASE_POOL_SIZE=1, DATABASE_POOL_OVERFLOW=0))
    armed: dict[str, bool] = {}

    def arm(connection: sa.Connection, *_args: Any) -> None:
        if armed.pop("next", False):
            dbapi_connection: Any = connection.connection.dbapi_connection
            dbapi_connection.lose_socket = True

    def arm_first(*_args: Any) -> None:
        if _lose_on("first-statement") and not armed.pop("done", False):
            armed.update(next=True, done=True)

    def arm_after_commit(_session: Session) -> None:
        if _lose_on("after-commit"):
            armed["next"] = True

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", arm_first)
    sa.event.listen(engine, "before_cursor_execute", arm)
    sa.event.listen(Session, "after_commit", arm_after_commit)
    yield app
    sa.event.remove(engine, "before_cursor_execute", arm_first)
    sa.event.remove(engine, "before_cursor_execute", arm)
    sa.event.remove(Session, "after_commit", arm_after_commit)


def test_a_read_whose_socket_fails_mid_statement_answers_503_and_the_next_one_succeeds(
    losing_app,
):
    client = losing_app.test_client()
    ArticleFactory()
    db.session.commit()

    lost = client.get("/api/articles", headers={"X-Lose-Socket": "first-statement"})
    after = client.get("/api/articles")

    assert_error(lost, 503, "body")
    assert lost.headers["Retry-After"]
    assert after.status_code == 200, after.get_data(as_text=True)
    assert after.json["articlesCount"] == 1


def test_a_favorite_whose_read_back_loses_its_socket_answers_success(losing_app):
    client = losing_app.test_client()
    user = UserFactory()
    slug = ArticleFactory(author=user).slug
    db.session.commit()
    headers = auth_headers(user)

    favored = client.post(
        f"/api/articles/{slug}/favorite", headers={**headers, "X-Lose-Socket": "after-commit"}
    )
    after = client.get(f"/api/articles/{slug}", headers=headers)

    assert favored.status_code == 200, favored.get_data(as_text=True)
    assert favored.json["article"]["favorited"] is True
    assert favored.json["article"]["favoritesCount"] == 1
    assert after.json["article"]["favoritesCount"] == 1
