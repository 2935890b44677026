"""Every read runs a fixed number of SQL statements, whatever the page size (no N+1).

The numbers, anonymous and signed-in alike unless noted:

    GET /api/articles (any filters)      1  the page, its tags and the total in one
                                            (a search too: its ranked page and total;
                                            on PostgreSQL 2 more, its own time limit
                                            set and set back)
    GET /api/articles/feed (signed-in)   1  the page (the token's credentials generation
                                            comes from the cache, as on every read)
    GET /api/articles/<slug>/comments    1  the comments joined outward from the article
                                            (with Redis, once cached: only whom a
                                            signed-in viewer follows, tests/infra/
                                            test_comment_lists_redis.py)
    GET /api/tags                        1
    GET /api/articles/<slug>             1  the article with its tags
    GET /api/profiles/<username>         1

A page past the end has no row to carry the total: it costs one more statement.
Lists are never cached: a favorites count is a column of the article's row, and
the totals of the unfiltered list, one author's, one tag's and the feed are read
in the same statement from the counts the writes keep in rows (app/counts.py),
so these numbers did not change when the totals stopped counting rows.

Each request starts with an empty session, as a request in production does, so
that nothing is served from the identity map of the objects the test made.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from app.services import articles, favorites, profiles
from tests.conftest import POSTGRES_URL, StatementCounter, auth_headers
from tests.factories import CommentFactory, UserFactory

ARTICLES = 30
COMMENTS = 30
TAGS = ["dragons", "training", "flying", "fire", "ice", "scales", "wings", "hoard"]

ARTICLE_LIST_STATEMENTS = 1
SEARCH_STATEMENTS = 3 if POSTGRES_URL else 1
FEED_STATEMENTS = 1
# The comments joined outward from the article: a missing article has no row, one
# without comments a row of nulls.
COMMENT_LIST_STATEMENTS = 1
TAG_LIST_STATEMENTS = 1
ARTICLE_STATEMENTS = 1
PROFILE_STATEMENTS = 1

VIEWERS = ["anonymous", "signed-in"]


@pytest.fixture
def world(app: Flask, user: User, other_user: User) -> dict[str, Any]:
    """Thirty articles by four authors with tags and favorites, follows, and comments."""
    fan = UserFactory(username="fan")
    writer = UserFactory(username="writer", bio="Writes", image="https://example.com/w.png")
    authors = [other_user, writer, user, fan]
    for number in range(ARTICLES):
        author = authors[number % len(authors)]
        tag_list = [TAGS[number % len(TAGS)], TAGS[(number * 3) % len(TAGS)], "dragons"]
        slug = articles.create_article(
            actor=author,
            title=f"Dragons {number}",
            description=f"About dragons, part {number}",
            body=f"Everything about dragons, part {number}",
            tag_list=tag_list,
        ).slug
        if number % 2 == 0:
            favorites.favorite_article(actor=fan, slug=slug)
        if number % 3 == 0:
            favorites.favorite_article(actor=user, slug=slug)
        if number % 5 == 0:
            favorites.favorite_article(actor=writer, slug=slug)
    profiles.follow_user(actor=user, username="celeb")
    profiles.follow_user(actor=user, username="writer")
    profiles.follow_user(actor=fan, username="jake")

    busy = articles.load_article("dragons-0")
    quiet = articles.load_article("dragons-1")
    for number in range(COMMENTS):
        CommentFactory(article=busy, author=authors[number % len(authors)])
    CommentFactory(article=quiet, author=fan)
    return {"viewer": user, "busy": busy.slug, "quiet": quiet.slug}


def _get(
    client: FlaskClient,
    statements: StatementCounter,
    url: str,
    headers: dict[str, str],
) -> tuple[int, Any]:
    """GET `url` from a fresh session; return how many statements it ran and the JSON."""
    db.session.remove()
    statements.reset()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.json
    return statements.count, response.json


def _headers(viewer: str, world: dict[str, Any]) -> dict[str, str]:
    return auth_headers(world["viewer"]) if viewer == "signed-in" else {}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="all"),
        pytest.param("tag=training&", id="tag"),
        pytest.param("author=celeb&", id="author"),
        pytest.param("favorited=fan&", id="favorited"),
        pytest.param("tag=dragons&author=celeb&favorited=fan&", id="all-filters"),
        pytest.param("search=dragons&", id="search"),
        pytest.param("search=dragon%20-nothing&tag=dragons&favorited=fan&", id="search-filters"),
    ],
)
def test_article_lists_run_the_same_statements_at_any_page_size(
    client, statements, world, viewer, query
):
    headers = _headers(viewer, world)

    one, small = _get(client, statements, f"/api/articles?{query}limit=1", headers)
    twenty, large = _get(client, statements, f"/api/articles?{query}limit=20", headers)

    expected = SEARCH_STATEMENTS if "search=" in query else ARTICLE_LIST_STATEMENTS
    assert one == twenty == expected
    assert len(small["articles"]) == 1
    assert len(large["articles"]) > 1
    assert large["articlesCount"] == small["articlesCount"] >= len(large["articles"])
    if viewer == "signed-in":
        # The per-viewer flags are computed in the same statements, not per row.
        assert any(article["author"]["following"] for article in large["articles"])


def test_article_list_flags_come_from_the_same_statements(client, statements, world):
    count, page = _get(client, statements, "/api/articles?limit=20", auth_headers(world["viewer"]))

    assert count == ARTICLE_LIST_STATEMENTS
    assert len(page["articles"]) == 20
    assert {article["favorited"] for article in page["articles"]} == {True, False}
    assert {article["author"]["following"] for article in page["articles"]} == {True, False}
    assert len({article["favoritesCount"] for article in page["articles"]}) > 1


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_page_past_the_end_counts_the_matches_separately(client, statements, world, viewer):
    headers = _headers(viewer, world)

    count, page = _get(client, statements, "/api/articles?tag=training&offset=1000", headers)
    _, first = _get(client, statements, "/api/articles?tag=training", headers)

    assert count == ARTICLE_LIST_STATEMENTS + 1
    assert page["articles"] == []
    assert page["articlesCount"] == first["articlesCount"] > 0


def test_an_empty_first_page_needs_no_count(client, statements, world):
    count, page = _get(client, statements, "/api/articles?tag=unknown", {})

    assert count == ARTICLE_LIST_STATEMENTS
    assert page == {"articles": [], "articlesCount": 0}


def test_feed_runs_the_same_statements_at_any_page_size(client, statements, world):
    headers = auth_headers(world["viewer"])

    one, small = _get(client, statements, "/api/articles/feed?limit=1", headers)
    twenty, large = _get(client, statements, "/api/articles/feed?limit=20", headers)

    assert one == twenty == FEED_STATEMENTS
    assert len(small["articles"]) == 1
    assert len(large["articles"]) == 16
    assert large["articlesCount"] == small["articlesCount"] == 16
    assert {article["author"]["username"] for article in large["articles"]} == {"celeb", "writer"}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_comment_lists_run_the_same_statements_for_one_comment_or_many(
    client, statements, world, viewer
):
    headers = _headers(viewer, world)

    one, quiet = _get(client, statements, f"/api/articles/{world['quiet']}/comments", headers)
    many, busy = _get(client, statements, f"/api/articles/{world['busy']}/comments", headers)

    assert one == many == COMMENT_LIST_STATEMENTS
    assert len(quiet["comments"]) == 1
    assert len(busy["comments"]) == COMMENTS
    if viewer == "signed-in":
        assert {c["author"]["following"] for c in busy["comments"]} == {True, False}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_tag_list_runs_one_statement(client, statements, world, viewer):
    count, body = _get(client, statements, "/api/tags", _headers(viewer, world))

    assert count == TAG_LIST_STATEMENTS
    assert sorted(body["tags"]) == sorted(TAGS)
    assert body["tags"][0] == "dragons"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_one_article_runs_one_statement(client, statements, world, viewer):
    count, body = _get(
        client, statements, f"/api/articles/{world['busy']}", _headers(viewer, world)
    )

    assert count == ARTICLE_STATEMENTS
    assert body["article"]["body"] == "Everything about dragons, part 0"
    assert body["article"]["favoritesCount"] == 3
    assert body["article"]["tagList"] == ["dragons"]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_profile_runs_one_statement(client, statements, world, viewer):
    count, body = _get(client, statements, "/api/profiles/writer", _headers(viewer, world))

    assert count == PROFILE_STATEMENTS
    assert body["profile"]["following"] is (viewer == "signed-in")


def test_list_statement_counts_stay_within_the_budget():
    assert (
        max(ARTICLE_LIST_STATEMENTS, FEED_STATEMENTS, COMMENT_LIST_STATEMENTS, TAG_LIST_STATEMENTS)
        <= 5
    )
