"""Writes that lose a race with the deletion of their article or of the profile they
follow answer 404, and those that lose it to the deletion of their own account (in
another tab) 401: never 500 or 422.

The article or the account is deleted (and committed) by another connection just
after the request loaded it and before its first write; see tests/interleaving.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Article, Comment, Favorite, Follow, User
from tests.api.helpers import add_comment, assert_error, create_article
from tests.conftest import POSTGRES_URL
from tests.interleaving import committed_before_next_write


@pytest.fixture
def slug(client, headers) -> str:
    return create_article(client, headers, title="Dragons", tag_list=["fire"])["slug"]


def _deletion(slug: str):
    return delete(Article).where(Article.slug == slug)


def _count(model: type) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    "article",
    [{"title": "Renamed"}, {"body": "Changed"}, {"tagList": ["ice"]}],
    ids=["title", "body", "tags"],
)
def test_an_update_racing_the_articles_deletion_is_404(client, headers, slug, article):
    with committed_before_next_write(_deletion(slug)) as race:
        response = client.put(f"/api/articles/{slug}", json={"article": article}, headers=headers)

    assert race.fired
    assert assert_error(response, 404) == {"article": ["not found"]}
    assert _count(Article) == 0


if not (POSTGRES_URL and POSTGRES_URL.startswith("postgres")):
    # SQLite locks no row as the deletion loads the article; PostgreSQL does, and
    # there the other deletion waits (tests/services/test_races.py,
    # test_a_deletion_begun_during_the_articles_deletion_waits_for_it).

    def test_a_deletion_racing_the_articles_deletion_is_404(client, headers, slug):
        with committed_before_next_write(_deletion(slug)) as race:
            response = client.delete(f"/api/articles/{slug}", headers=headers)

        assert race.fired
        assert assert_error(response, 404) == {"article": ["not found"]}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_a_favorite_racing_the_articles_deletion_is_404(client, other_headers, slug, method):
    with committed_before_next_write(_deletion(slug)) as race:
        response = client.open(
            f"/api/articles/{slug}/favorite", method=method, headers=other_headers
        )

    assert race.fired
    assert assert_error(response, 404) == {"article": ["not found"]}
    assert _count(Favorite) == 0


def _comment_racing(client, headers, slug: str, write):
    """POST a comment on `slug` while `write` commits first; the response."""
    with committed_before_next_write(write) as race:
        response = client.post(
            f"/api/articles/{slug}/comments",
            json={"comment": {"body": "First!"}},
            headers=headers,
        )
    assert race.fired
    return response


def test_a_comment_racing_the_articles_deletion_is_404(client, other_headers, slug):
    response = _comment_racing(client, other_headers, slug, _deletion(slug))

    assert assert_error(response, 404) == {"article": ["not found"]}
    assert _count(Comment) == 0


def test_deleting_a_comment_racing_the_articles_deletion_is_404(client, other_headers, slug):
    comment = add_comment(client, other_headers, slug)

    with committed_before_next_write(_deletion(slug)) as race:
        response = client.delete(
            f"/api/articles/{slug}/comments/{comment['id']}", headers=other_headers
        )

    assert race.fired
    assert assert_error(response, 404) == {"article": ["not found"]}


def test_deleting_a_comment_twice_at_once_is_404_for_the_second(client, other_headers, slug):
    comment = add_comment(client, other_headers, slug)
    deletion = delete(Comment).where(Comment.id == comment["id"])

    with committed_before_next_write(deletion) as race:
        response = client.delete(
            f"/api/articles/{slug}/comments/{comment['id']}", headers=other_headers
        )

    assert race.fired
    assert assert_error(response, 404) == {"comment": ["not found"]}
    assert _count(Article) == 1


def _account_deletion(user: User):
    return delete(User).where(User.id == user.id)


def test_a_favorite_racing_its_accounts_deletion_is_401(client, other_user, other_headers, slug):
    # The favorite's first lock is its account's row (PostgreSQL), before the article's.
    with committed_before_next_write(_account_deletion(other_user), or_lock=True) as race:
        response = client.post(f"/api/articles/{slug}/favorite", headers=other_headers)

    assert race.fired
    assert assert_error(response, 401) == {"account": ["has been deleted"]}
    assert _count(Favorite) == 0
    assert db.session.scalar(select(Article.favorites_count)) == 0


def test_a_comment_racing_its_accounts_deletion_is_401(client, other_user, other_headers, slug):
    response = _comment_racing(client, other_headers, slug, _account_deletion(other_user))

    assert assert_error(response, 401) == {"account": ["has been deleted"]}
    assert _count(Comment) == 0
    assert db.session.scalar(select(Article.comments_count)) == 0


def test_a_follow_racing_the_followed_accounts_deletion_is_404(client, other_user, headers):
    with committed_before_next_write(_account_deletion(other_user)) as race:
        response = client.post("/api/profiles/celeb/follow", headers=headers)

    assert race.fired
    assert assert_error(response, 404) == {"profile": ["not found"]}
    assert _count(Follow) == 0


def test_a_follow_racing_its_accounts_deletion_is_401(client, user, other_user, headers):
    with committed_before_next_write(_account_deletion(user)) as race:
        response = client.post("/api/profiles/celeb/follow", headers=headers)

    assert race.fired
    assert assert_error(response, 401) == {"account": ["has been deleted"]}
    assert _count(Follow) == 0


@pytest.mark.parametrize(
    "change",
    [{"bio": "new"}, {"username": "renamed", "password": "a new password"}],
    ids=["bio", "name-and-password"],
)
def test_a_settings_change_racing_its_accounts_deletion_is_401(client, user, headers, change):
    with committed_before_next_write(_account_deletion(user)) as race:
        response = client.put("/api/user", json={"user": change}, headers=headers)

    assert race.fired
    assert assert_error(response, 401) == {"account": ["has been deleted"]}
    assert _count(User) == 0


def test_an_article_racing_its_authors_deletion_is_401(client, user, headers):
    article = {"title": "Late", "description": "d", "body": "b", "tagList": ["late"]}
    with committed_before_next_write(_account_deletion(user)) as race:
        response = client.post("/api/articles", json={"article": article}, headers=headers)

    assert race.fired
    assert assert_error(response, 401) == {"account": ["has been deleted"]}
    assert _count(Article) == 0
