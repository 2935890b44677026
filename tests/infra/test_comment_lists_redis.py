"""With Redis, each article's comments are cached for every viewer alike, and only
the writes that change a list make it stale (app/services/comment_lists.py).

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.services.comment_lists import COMMENT_LISTS
from tests.api.helpers import add_comment, assert_no_content, create_article
from tests.conftest import auth_headers
from tests.factories import PASSWORD, UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured, counting_statements


@pytest.fixture
def redis_app(build) -> Flask:
    app = build(configured({"TEST_REDIS_URL": REDIS_URL or ""}))
    assert app.config["COMMENTS_CACHE_SECONDS"] == 60
    return app


@pytest.fixture
def people(redis_app) -> dict[str, dict[str, str]]:
    """The headers of an author, two commenters and a reader who follows one of them."""
    names = ("author", "liked", "other", "reader")
    users = {name: UserFactory(username=name, email=f"{name}@example.com") for name in names}
    return {name: auth_headers(user) for name, user in users.items()}


@pytest.fixture
def discussed(redis_app, people) -> str:
    """An article with a comment by `liked` and a later one by `other`, whom `reader`
    does not follow; `reader` follows `liked`."""
    client = redis_app.test_client()
    slug: str = create_article(client, people["author"])["slug"]
    add_comment(client, people["liked"], slug, "First.")
    add_comment(client, people["other"], slug, "Second.")
    response = client.post("/api/profiles/liked/follow", headers=people["reader"])
    assert response.status_code == 200
    return slug


def _comments(client: FlaskClient, slug: str, headers: dict[str, str] | None = None) -> Any:
    response = client.get(f"/api/articles/{slug}/comments", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [
        (c["body"], c["author"]["username"], c["author"]["following"])
        for c in response.json["comments"]
    ]


def _generation(app: Flask, redis_client, slug: str) -> str | None:
    key = f"{app.config['CACHE_KEY_PREFIX']}generation:{COMMENT_LISTS}:{slug}"
    generation: str | None = redis_client.get(key)
    return generation


def test_a_cached_list_reads_only_whom_the_viewer_follows(redis_app, people, discussed):
    client = redis_app.test_client()
    expected_anonymous = [("Second.", "other", False), ("First.", "liked", False)]
    assert _comments(client, discussed) == expected_anonymous

    with counting_statements(redis_app) as anonymous:
        assert _comments(client, discussed) == expected_anonymous
    with counting_statements(redis_app) as signed_in:
        shown = _comments(client, discussed, people["reader"])

    assert anonymous.count == 0
    # The viewer's follows; the token is checked against its cached generation.
    assert signed_in.count == 1
    assert shown == [("Second.", "other", False), ("First.", "liked", True)]


def test_a_comment_added_or_deleted_shows_at_once(redis_app, people, discussed):
    client = redis_app.test_client()
    assert len(_comments(client, discussed)) == 2

    added = add_comment(client, people["reader"], discussed, "Third.")
    assert _comments(client, discussed)[0] == ("Third.", "reader", False)

    response = client.delete(
        f"/api/articles/{discussed}/comments/{added['id']}", headers=people["reader"]
    )
    assert_no_content(response)
    assert [body for body, _, _ in _comments(client, discussed)] == ["Second.", "First."]


def test_a_comment_makes_stale_only_its_own_articles_list(
    redis_app, redis_client, people, discussed
):
    client = redis_app.test_client()
    quiet = create_article(client, people["author"], title="Quiet")["slug"]
    add_comment(client, people["other"], quiet, "Alone.")
    _comments(client, discussed), _comments(client, quiet)
    before = _generation(redis_app, redis_client, quiet)

    add_comment(client, people["liked"], discussed, "Again.")
    favorited = client.post(f"/api/articles/{quiet}/favorite", headers=people["reader"])
    assert favorited.status_code == 200

    assert _generation(redis_app, redis_client, quiet) == before
    with counting_statements(redis_app) as statements:
        assert _comments(client, quiet) == [("Alone.", "other", False)]
    assert statements.count == 0


def test_a_commenters_new_profile_shows_in_every_list(redis_app, people, discussed):
    client = redis_app.test_client()
    assert _comments(client, discussed)[1] == ("First.", "liked", False)

    response = client.put(
        "/api/user", json={"user": {"username": "renamed", "bio": "New"}}, headers=people["liked"]
    )
    assert response.status_code == 200

    response = client.get(f"/api/articles/{discussed}/comments")
    author = response.json["comments"][1]["author"]
    assert (author["username"], author["bio"]) == ("renamed", "New")


def test_a_renamed_article_keeps_its_comments_under_its_new_slug_only(redis_app, people, discussed):
    client = redis_app.test_client()
    assert len(_comments(client, discussed)) == 2

    response = client.put(
        f"/api/articles/{discussed}",
        json={"article": {"title": "A new title"}},
        headers=people["author"],
    )
    renamed = response.json["article"]["slug"]

    assert renamed != discussed
    assert len(_comments(client, renamed)) == 2
    assert client.get(f"/api/articles/{discussed}/comments").status_code == 404


def test_a_deleted_article_has_no_comments_to_list(redis_app, people, discussed):
    client = redis_app.test_client()
    assert len(_comments(client, discussed)) == 2

    assert_no_content(client.delete(f"/api/articles/{discussed}", headers=people["author"]))

    assert client.get(f"/api/articles/{discussed}/comments").status_code == 404
    # A new article that takes the slug starts without the old one's comments.
    again = create_article(client, people["author"])["slug"]
    assert again == discussed
    assert _comments(client, again) == []


def test_a_deleted_accounts_comments_and_articles_leave_the_lists(redis_app, people, discussed):
    client = redis_app.test_client()
    assert len(_comments(client, discussed)) == 2

    response = client.delete(
        "/api/user", json={"user": {"password": PASSWORD}}, headers=people["other"]
    )
    assert_no_content(response)
    assert _comments(client, discussed) == [("First.", "liked", False)]

    response = client.delete(
        "/api/user", json={"user": {"password": PASSWORD}}, headers=people["author"]
    )
    assert_no_content(response)
    assert client.get(f"/api/articles/{discussed}/comments").status_code == 404
