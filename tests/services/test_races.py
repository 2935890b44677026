"""Writes that lose a race with the deletion of their article: NotFound, and nothing written.

Each test lets the service load the article, then commits the article's deletion
(as a concurrent request would) just before the service's first write; see
tests/interleaving.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from app.exceptions import NotFound
from app.extensions import db
from app.models import Article, ArticleTag, Comment, Favorite, User
from app.services import articles, comments
from tests.factories import ArticleFactory, CommentFactory
from tests.interleaving import committed_before_next_write


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def article(app, user) -> Article:
    return articles.load_article(
        articles.create_article(
            actor=user, title="Dragons", description="d", body="b", tag_list=["fire"]
        ).slug
    )


def _deletion(article: Article) -> Any:
    return delete(Article).where(Article.id == article.id)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Renamed"},
        {"body": "Changed"},
        {"description": "Changed", "tag_list": ["ice"]},
        {"tag_list": []},
    ],
    ids=["title", "body", "description-and-tags", "tags-only"],
)
def test_update_article_racing_its_deletion_is_not_found(app, user, article, changes):
    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        articles.update_article(actor=user, slug="dragons", **changes)

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert (_count(Article), _count(ArticleTag)) == (0, 0)


def test_delete_article_racing_its_deletion_is_not_found(app, user, article):
    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        articles.delete_article(actor=user, slug="dragons")

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert _count(Article) == 0


@pytest.mark.parametrize("service", [articles.favorite_article, articles.unfavorite_article])
def test_favorites_racing_the_articles_deletion_are_not_found(
    app, article, other_user: User, service
):
    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        service(actor=other_user, slug="dragons")

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert _count(Favorite) == 0


def test_add_comment_racing_the_articles_deletion_is_not_found(app, article, other_user):
    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        comments.add_comment(actor=other_user, slug="dragons", body="First!")

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert _count(Comment) == 0


def test_delete_comment_racing_the_articles_deletion_is_not_found(app, article, other_user):
    comment = CommentFactory(article=article, author=other_user)

    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        comments.delete_comment(actor=other_user, slug="dragons", comment_id=comment.id)

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert _count(Comment) == 0


def test_delete_comment_racing_its_own_deletion_is_not_found(app, article, other_user):
    # Deleted twice at once (two tabs): the article stays, the comment is what is gone.
    comment = CommentFactory(article=article, author=other_user)
    kept = CommentFactory(article=article, author=other_user)
    deletion = delete(Comment).where(Comment.id == comment.id)

    with committed_before_next_write(deletion) as race, pytest.raises(NotFound) as caught:
        comments.delete_comment(actor=other_user, slug="dragons", comment_id=comment.id)

    assert race.fired
    assert caught.value.errors == {"comment": ["not found"]}
    assert db.session.scalars(select(Comment.id)).all() == [kept.id]


def test_a_write_whose_article_outlives_the_race_still_succeeds(app, user, article, other_user):
    # Another article deleted at the same moment changes nothing for this one.
    other = ArticleFactory(author=user, slug="other", title="Other")

    with committed_before_next_write(_deletion(other)) as race:
        view = articles.favorite_article(actor=other_user, slug="dragons")

    assert race.fired
    assert (view.favorited, view.favorites_count) == (True, 1)
    assert _count(Article) == 1
