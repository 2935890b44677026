"""How PostgreSQL plans the app's statements (DATABASE_PLAN_CACHE_MODE, config.py).

A statement psycopg has prepared is planned once per connection (a generic plan)
instead of on every run; a search is planned with its words all the same, since
which index serves it depends on them (app/queries/search.py). Read off
PostgreSQL's own count of each prepared statement's generic and custom plans.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.services import search
from bench import explain
from tests.conftest import auth_headers
from tests.factories import ArticleFactory, UserFactory
from tests.infra.helpers import configured

PREPARED = sa.table(
    "pg_prepared_statements",
    sa.column("statement", sa.Text),
    sa.column("generic_plans", sa.BigInteger),
    sa.column("custom_plans", sa.BigInteger),
)
# psycopg prepares a statement on its sixth run on a connection.
RUNS = 8


def _plans(app: Flask, marker: str) -> tuple[int, int]:
    """(generic, custom) plans of the app connection's prepared statements whose
    text holds `marker`."""
    with app.test_request_context("/", method="GET"):
        row = db.session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(PREPARED.c.generic_plans), 0),
                sa.func.coalesce(sa.func.sum(PREPARED.c.custom_plans), 0),
            ).where(PREPARED.c.statement.contains(marker))
        ).one()
        db.session.remove()
    return int(row[0]), int(row[1])


def _setting(app: Flask, name: str) -> str:
    with app.test_request_context("/", method="GET"):
        value = db.session.scalar(sa.select(sa.func.current_setting(name)))
        db.session.remove()
    return str(value)


@pytest.fixture
def one_connection_app(build) -> Flask:
    """An app with one pooled connection, so every request runs on the one inspected."""
    app = build(configured(DATABASE_POOL_SIZE=1, DATABASE_POOL_OVERFLOW=0))
    reader = UserFactory(username="jake")
    ArticleFactory(title="Dragons of the north", body="A dragon story.")
    db.session.commit()
    search.reindex_articles()
    app.config["READER_HEADERS"] = auth_headers(reader)
    db.session.remove()
    return app


def test_a_list_is_planned_once_per_connection(one_connection_app):
    client = one_connection_app.test_client()
    headers = one_connection_app.config["READER_HEADERS"]
    for _ in range(RUNS):
        assert client.get("/api/articles?limit=20", headers=headers).status_code == 200

    generic, custom = _plans(one_connection_app, "FROM articles JOIN users")

    assert generic > 0
    assert custom == 0


def test_a_search_is_planned_with_its_words_and_the_setting_is_set_back(one_connection_app):
    client = one_connection_app.test_client()
    headers = one_connection_app.config["READER_HEADERS"]
    for _ in range(RUNS):
        response = client.get("/api/articles?search=dragon&limit=20", headers=headers)
        assert response.status_code == 200
        assert response.json["articlesCount"] == 1

    generic, custom = _plans(one_connection_app, "@@")

    assert custom > 0
    assert generic == 0
    assert _setting(one_connection_app, "plan_cache_mode") == "force_generic_plan"
    assert _setting(one_connection_app, "statement_timeout") == "3s"


def test_the_mode_is_a_setting_and_nothing_is_compiled(build):
    app = build(configured(DATABASE_PLAN_CACHE_MODE="auto"))

    assert _setting(app, "plan_cache_mode") == "auto"
    assert _setting(app, "jit") == "off"


def test_bench_explain_prints_the_plan_the_app_runs(one_connection_app):
    """bench.explain EXPLAINs each statement prepared, in the connections' mode."""
    captured: list[tuple[str, dict]] = []

    def capture(_conn, _cursor, statement, parameters, *_args) -> None:
        captured.append((statement, parameters))

    headers = one_connection_app.config["READER_HEADERS"]
    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert (
            one_connection_app.test_client().get("/api/articles", headers=headers).status_code
            == 200
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    (statement, parameters), *_ = [c for c in captured if "FROM articles JOIN users" in c[0]]

    with one_connection_app.test_request_context("/", method="GET"):
        dbapi_connection = db.session.connection().connection.dbapi_connection
        with dbapi_connection.cursor() as cursor:
            plan = explain._plan_as_run(cursor, statement, parameters)
        db.session.remove()

    assert any(line.startswith("Execution Time") for line in plan)
    generic, custom = _plans(one_connection_app, "FROM articles JOIN users")
    assert (generic, custom) == (explain.WARM_UP_RUNS + 1, 0)
