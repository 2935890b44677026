"""A request whose connection PostgreSQL drops after its commit still succeeds.

Its read-back (the first statement after the commit) runs again on a new
connection; the rollback that closes its session, on a connection dropped after
its last statement, is only logged (app/database.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Favorite
from tests.conftest import POSTGRES_URL, auth_headers
from tests.factories import ArticleFactory, UserFactory
from tests.infra.helpers import configured


def _terminate(pid: int) -> None:
    """End backend `pid` from a connection of its own, and wait until it has ended."""
    with psycopg.connect((POSTGRES_URL or "").replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def _backend_pid(session: Session) -> int:
    dbapi_connection: Any = session.connection().connection.dbapi_connection
    pid: int = dbapi_connection.info.backend_pid
    return pid


def _drop(when: str) -> bool:
    return has_request_context() and request.headers.get("X-Drop") == when


@pytest.fixture
def dropping_app(build: Callable[..., Flask]) -> Iterator[Flask]:
    """An app with one pooled connection, which PostgreSQL drops when a request says
    `X-Drop: after-commit` right after its commit, and with `X-Drop: after-last-query`
    once the view has answered."""
    app = build(configured(DATABASE_POOL_SIZE=1, DATABASE_POOL_OVERFLOW=0))

    def remember(session: Session) -> None:
        if _drop("after-commit"):
            g.drop_pid = _backend_pid(session)

    def drop(_session: Session) -> None:
        if has_request_context() and g.get("drop_pid"):
            _terminate(g.pop("drop_pid"))

    @app.after_request
    def drop_last(response: Response) -> Response:
        session = db.session()
        if _drop("after-last-query") and session.in_transaction():
            _terminate(_backend_pid(session))
        return response

    sa.event.listen(Session, "before_commit", remember)
    sa.event.listen(Session, "after_commit", drop)
    yield app
    sa.event.remove(Session, "before_commit", remember)
    sa.event.remove(Session, "after_commit", drop)


@pytest.mark.parametrize("when", ["after-commit", "after-last-query"])
def test_a_favorite_whose_connection_drops_after_its_commit_answers_success(dropping_app, when):
    client = dropping_app.test_client()
    user = UserFactory()
    slug = ArticleFactory(author=user).slug
    db.session.commit()
    headers = auth_headers(user)

    response = client.post(f"/api/articles/{slug}/favorite", headers={**headers, "X-Drop": when})
    after = client.get(f"/api/articles/{slug}", headers=headers)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["article"]["favorited"] is True
    assert after.status_code == 200
    assert after.json["article"]["favoritesCount"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Favorite)) == 1
