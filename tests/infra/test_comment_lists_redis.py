"""With Redis, each article's comments are cached for every viewer alike, and only
the writes that change a list make it stale (app/queries/comment_lists.py).

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Article, User
from app.models.base import utcnow
from app.queries import comment_lists
from app.queries.comment_lists import COMMENT_LISTS
from tests.api.helpers import add_comment, assert_no_content, create_article
from tests.conftest import auth_headers
from tests.factories import PASSWORD, CommentFactory, UserFactory
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


def _bodies(client: FlaskClient, slug: str) -> list[str]:
    return [body for body, _, _ in _comments(client, slug)]


def _generation(app: Flask, redis_client, slug: str, part: str = "") -> str | None:
    """The generation of the article's settled comments, or of another `part`."""
    key = f"{app.config['CACHE_KEY_PREFIX']}generation:{COMMENT_LISTS}:{slug}{part}"
    generation: str | None = redis_client.get(key)
    return generation


def test_a_comment_added_reads_again_only_the_comments_added_since(
    redis_app, redis_client, people, discussed
):
    client = redis_app.test_client()
    assert len(_comments(client, discussed)) == 2
    settled = _generation(redis_app, redis_client, discussed)
    recent = _generation(redis_app, redis_client, discussed, ":recent")

    add_comment(client, people["reader"], discussed, "Third.")

    assert _generation(redis_app, redis_client, discussed) == settled
    assert int(_generation(redis_app, redis_client, discussed, ":recent")) == int(recent) + 1
    with counting_statements(redis_app) as statements:
        shown = _comments(client, discussed)
    assert shown == [
        ("Third.", "reader", False),
        ("Second.", "other", False),
        ("First.", "liked", False),
    ]
    # The comments after the settled ones: a range of the index, however many there are.
    assert statements.count == 1
    with counting_statements(redis_app) as again:
        assert _comments(client, discussed, people["reader"])[2] == ("First.", "liked", True)
    assert again.count == 1, "only whom the viewer follows"


def test_a_comment_before_one_already_listed_makes_the_whole_list_stale(
    redis_app, people, discussed
):
    """Two comments committed in the other order than their places in the list (their
    writers' clocks, or their commits): the list read between the two commits holds
    the later one, and the comments after it would not be the earlier one."""
    client = redis_app.test_client()
    with redis_app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == discussed))
        later = CommentFactory(
            article=article,
            author=db.session.get(User, article.author_id),
            body="From a clock ahead.",
            created_at=utcnow() + timedelta(hours=1),
            updated_at=utcnow() + timedelta(hours=1),
        )
        db.session.commit()
        comment_lists.forget_comments_of(article.id, added=(later.created_at, later.id))
    assert _comments(client, discussed)[0] == ("From a clock ahead.", "author", False)

    add_comment(client, people["reader"], discussed, "Earlier.")

    assert _bodies(client, discussed) == ["From a clock ahead.", "Earlier.", "Second.", "First."]


def test_the_comments_added_since_follow_the_list_read_whole_again(
    redis_app, redis_client, people, discussed
):
    """When the settled comments are read again (their time was up), the comments
    added since an older read of them are not shown twice."""
    client = redis_app.test_client()
    assert len(_comments(client, discussed)) == 2
    add_comment(client, people["reader"], discussed, "Third.")
    assert len(_comments(client, discussed)) == 3
    prefix = f"{redis_app.config['CACHE_KEY_PREFIX']}{COMMENT_LISTS}:{discussed}:"
    settled_keys = [key for key in redis_client.scan_iter(f"{prefix}*") if key.endswith(":settled")]
    assert settled_keys
    redis_client.delete(*settled_keys)

    assert _bodies(client, discussed) == ["Third.", "Second.", "First."]
    add_comment(client, people["other"], discussed, "Fourth.")
    assert _bodies(client, discussed) == ["Fourth.", "Third.", "Second.", "First."]


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
    assert _bodies(client, discussed) == ["Second.", "First."]


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
