"""A search PostgreSQL cannot answer within SEARCH_TIME_LIMIT_MS is answered over
the newest articles only (app/queries/search.py), for any viewer, instead of
running on to the statement timeout and a 503. PostgreSQL only: SQLite has no
statement timeout, and FTS5 answers phrases from its index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import rules
from app.extensions import db
from app.models import Article
from app.queries import search as queries
from app.services import search
from tests.conftest import auth_headers

ARTICLES = 1200
T0 = datetime(2026, 1, 1, tzinfo=UTC)
BEST = ARTICLES - 10


def _body(number: int) -> str:
    # Long and varied enough that ranking a thousand of them takes milliseconds.
    words = " ".join(f"word{(number * 7 + step) % 997}x{step}" for step in range(200))
    return f"Once a dragon flew over hill {number}: {words}."


@pytest.fixture
def library(app, user) -> None:
    """ARTICLES articles about dragons; the best match, by its title, is the tenth newest."""
    rows = [
        {
            "slug": f"story-{number}",
            "title": "Dragon lore" if number == BEST else f"Story {number}",
            "description": "A tale",
            "body": _body(number),
            "author_id": user.id,
            "created_at": T0 + timedelta(minutes=number),
            "updated_at": T0 + timedelta(minutes=number),
        }
        for number in range(ARTICLES)
    ]
    db.session.execute(sa.insert(Article), rows)
    db.session.commit()
    search.reindex_articles()


def _search(client, headers: dict[str, str]) -> dict:
    response = client.get("/api/articles?search=dragon&limit=3", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


@pytest.mark.usefixtures("library")
@pytest.mark.parametrize("viewer", ["anonymous", "signed-in"])
def test_a_search_past_its_time_limit_is_answered_over_the_newest_articles(
    app, client, user, monkeypatch, viewer
):
    headers = auth_headers(user) if viewer == "signed-in" else {}
    monkeypatch.setattr(rules, "SEARCH_WINDOW", 5)
    app.config["SEARCH_TIME_LIMIT_MS"] = 0

    whole = _search(client, headers)

    assert whole["articlesCount"] == rules.SEARCH_CANDIDATES
    assert whole["articles"][0]["title"] == "Dragon lore"

    # 1 ms: no search ranking 1,000 of these is answered that fast (tens of ms).
    app.config["SEARCH_TIME_LIMIT_MS"] = 1
    newest = _search(client, headers)

    assert newest["articlesCount"] == 5
    assert [article["slug"] for article in newest["articles"]] == [
        f"story-{number}" for number in (ARTICLES - 1, ARTICLES - 2, ARTICLES - 3)
    ]
    if viewer == "signed-in":
        # The viewer's own articles, as the request read them after the rollback.
        assert newest["articles"][0]["author"]["username"] == "jake"


def _statement_timeout(connection: sa.Connection) -> str:
    return str(connection.scalar(sa.select(sa.func.current_setting("statement_timeout"))))


@pytest.mark.usefixtures("library")
@pytest.mark.parametrize("search_ms", [1, 5000], ids=["past-the-limit", "within-it"])
def test_the_settings_are_set_back_on_an_autocommit_connection(app, search_ms):
    # As a GET request reads (app/database.py): every statement its own transaction.
    settings = queries.SessionSettings(
        search_ms=search_ms, statement_ms=2500, plan_cache_mode="force_generic_plan"
    )
    parameters = {
        "search": "dragon",
        "language": "english",
        "limit": 1,
        "offset": 0,
        "window": rules.SEARCH_WINDOW,
    }
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        before = _statement_timeout(connection)
        try:
            found = queries.search_page(
                connection,
                queries.SearchShape(signed_in=False),
                parameters,
                snippets=False,
                settings=settings,
            )
        except queries.SearchTimedOut:
            assert search_ms == 1
        else:
            assert found.total == rules.SEARCH_CANDIDATES
        assert before != "2500ms"
        assert _statement_timeout(connection) == "2500ms"
        mode = connection.scalar(sa.select(sa.func.current_setting("plan_cache_mode")))
        assert mode == "force_generic_plan"


@pytest.mark.usefixtures("library")
def test_in_a_transaction_the_rollback_after_the_time_limit_undoes_it(app):
    app.config["SEARCH_TIME_LIMIT_MS"] = 1
    before = _statement_timeout(db.session.connection())

    page = search.search_articles(viewer_id=None, query="dragon", limit=1)

    assert page.total == min(rules.SEARCH_WINDOW, rules.SEARCH_CANDIDATES)
    assert _statement_timeout(db.session.connection()) == before
