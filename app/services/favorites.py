"""Favorites: an account marks an article, and the article's stored count follows.

The count is a column of the article's row (`favorites_count`), changed in the
transaction that inserts or deletes the favorite, so that no read counts rows.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, update

from app import counts
from app.exceptions import NotFound, Unauthorized
from app.extensions import db
from app.models import Article, Favorite, User
from app.read_models import ArticleView
from app.services.articles import load_article, read_back, writing_to_article
from app.sql import delete_counting, insert_ignoring_duplicates


def favorite_article(*, actor: User, slug: str) -> ArticleView:
    """Mark the article as a favorite of `actor`; twice is the same as once."""
    article = load_article(slug)
    with writing_to_article(article.id, actor_id=actor.id):
        _mark_favorite(actor=actor, article=article, favorite=True)
    return read_back(article.id, actor.id)


def unfavorite_article(*, actor: User, slug: str) -> ArticleView:
    """Remove the article from `actor`'s favorites; twice is the same as once."""
    article = load_article(slug)
    with writing_to_article(article.id):
        _mark_favorite(actor=actor, article=article, favorite=False)
    return read_back(article.id, actor.id)


def _mark_favorite(*, actor: User, article: Article, favorite: bool) -> None:
    """Add or remove `actor`'s favorite of the article, and its stored count with it.

    The article's row first, then the favorite's: the order in which a deletion
    locks them (its cascade comes second); taken the other way round the two
    deadlocked on PostgreSQL. So the count is changed first, as if the favorite
    changed, and changed back when it did not (twice is the same as once). A write
    that finds the article gone lost the race to its deletion: NotFound, as it
    would have been a moment later. Before both, a favorite holds the actor's row
    (app/counts.py): made while the account is deleted in another tab, it waits for
    that deletion and then finds no account.
    """
    if favorite and not counts.hold_account(db.session, actor.id):
        raise Unauthorized.account_gone()
    change = 1 if favorite else -1
    if not _count_favorites(article.id, change):
        raise NotFound("article")
    if favorite:
        row = {
            "user_id": actor.id,
            "article_id": article.id,
            "article_created_at": article.created_at,
        }
        changed = insert_ignoring_duplicates(db.session, Favorite, [row])
    else:
        changed = delete_counting(
            db.session,
            delete(Favorite).where(Favorite.user_id == actor.id, Favorite.article_id == article.id),
        )
    if not changed:
        _count_favorites(article.id, -change)


def _count_favorites(article_id: int, change: int) -> int:
    """Add `change` to the article's stored favorites count, in SQL (concurrent favorites
    each add their own); return how many rows it changed (0: the article is gone)."""
    result = db.session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(favorites_count=Article.favorites_count + change)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
