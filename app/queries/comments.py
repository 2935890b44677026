"""The statements that read comments: an article's, newest first, with their authors.

Columns, not Comment objects: an article can have comments by the thousand, and
building an ORM object for each was most of the request's time.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, exists, select, tuple_

from app.extensions import db
from app.models import Article, Comment, Follow, User
from app.queries import LIMIT, OFFSET, VIEWER, following_expression, read
from app.read_models import CommentRow, CommentView, comment_view

SLUG = bindparam("slug", type_=String)
# Where a list is in its order (created_at, id), for the comments after it.
AFTER_CREATED_AT = bindparam("after_created_at", type_=Comment.created_at.type)
AFTER_ID = bindparam("after_id", type_=Integer)
# Later in an article's list than the comment created at `after_created_at` with id
# `after_id`: the list's order, newest first, is (created_at, id) descending.
_LATER_IN_LIST = tuple_(Comment.created_at, Comment.id) > tuple_(AFTER_CREATED_AT, AFTER_ID)

# The number of comments on the article at `slug`: no row if there is no such article.
_COMMENT_COUNT = select(Article.comments_count).where(Article.slug == SLUG)


@functools.cache
def _newest_first(*, signed_in: bool, paged: bool, after: bool = False) -> Select[Any]:
    """The comments of the article at the bound `slug` (paged: `limit` from `offset`;
    after: only those later in the list's order than `after_created_at`, `after_id`).

    All of them: from the article, joined outward, so that an article without
    comments gives one row of nulls and one that does not exist no row, and one
    statement tells them apart. A page (no row of its own for an article without
    comments: the caller counts when a page is empty) is read from the comments'
    index in list order: joined from the article, PostgreSQL sorted every comment
    of it to keep twenty (a nested loop keeps the order of its outer side only).
    """
    # `_rows_and_followed` unpacks the rows in this order: a CommentRow, then the flag.
    columns = (
        Comment.id,
        Comment.body,
        Comment.created_at,
        Comment.updated_at,
        Comment.author_id,
        User.username,
        User.bio,
        User.image,
        following_expression(Comment.author_id, VIEWER if signed_in else None).label("following"),
    )
    order = (Comment.created_at.desc(), Comment.id.desc())
    article_id = select(Article.id).where(Article.slug == SLUG).scalar_subquery()
    if after:
        # A range of the comments' index in list order.
        return (
            select(*columns)
            .join(User, User.id == Comment.author_id)
            .where(Comment.article_id == article_id, _LATER_IN_LIST)
            .order_by(*order)
        )
    if paged:
        # Each row carries the article's number of comments, kept in its row
        # (app/counts.py): the page and its pager in one round trip.
        total = select(Article.comments_count).where(Article.slug == SLUG).scalar_subquery()
        return (
            select(*columns, total.label("total"))
            .join(User, User.id == Comment.author_id)
            .where(Comment.article_id == article_id)
            .order_by(*order)
            .limit(LIMIT)
            .offset(OFFSET)
        )
    return (
        select(*columns)
        .select_from(Article)
        .outerjoin(Comment, Comment.article_id == Article.id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Article.slug == SLUG)
        .order_by(*order)
    )


_ARTICLE_ID = bindparam("article_id", type_=Integer)
# The slug of the article with id `article_id`, and whether a comment on it comes
# after a place in its list.
_SLUG = select(Article.slug).where(Article.id == _ARTICLE_ID)
_SLUG_AND_LATER = select(
    Article.slug,
    exists().where(Comment.article_id == Article.id, _LATER_IN_LIST).label("later"),
).where(Article.id == _ARTICLE_ID)

# Whom the viewer follows.
_FOLLOWED = select(Follow.followed_id).where(Follow.follower_id == VIEWER)


def comment_count(slug: str) -> int | None:
    """How many comments the article at `slug` has (None: there is no such article)."""
    count: int | None = read(_COMMENT_COUNT, {"slug": slug}).scalar_one_or_none()
    return count


def read_comments(
    *, slug: str, viewer_id: int | None
) -> tuple[list[CommentRow], frozenset[int]] | None:
    """All the comments on the article at `slug` newest first, and which of their
    authors `viewer_id` follows; None if there is no such article."""
    statement = _newest_first(signed_in=viewer_id is not None, paged=False)
    rows = read(statement, _viewer(slug, viewer_id)).all()
    return _rows_and_followed(rows) if rows else None


def read_comments_after(
    *, slug: str, viewer_id: int | None, created_at: datetime, comment_id: int
) -> tuple[list[CommentRow], frozenset[int]]:
    """The comments on the article at `slug` later in the list's order than the one
    created at `created_at` with id `comment_id`, newest first, and which of their
    authors `viewer_id` follows."""
    statement = _newest_first(signed_in=viewer_id is not None, paged=False, after=True)
    parameters = _viewer(slug, viewer_id) | {"after_created_at": created_at, "after_id": comment_id}
    return _rows_and_followed(read(statement, parameters).all())


def read_slug_and_later(
    article_id: int, place: tuple[datetime, int] | None
) -> tuple[str, bool] | None:
    """The slug of the article `article_id` (None if it is gone), and whether a comment
    on it comes after `place` (created_at, id) in its list (True without a place).

    Through the ORM session: after a write's commit it is the first statement, which
    the session runs again once should its connection have been lost
    (app/database.py).
    """
    if place is None:
        slug = db.session.scalar(_SLUG, {"article_id": article_id})
        return None if slug is None else (slug, True)
    parameters = {"article_id": article_id, "after_created_at": place[0], "after_id": place[1]}
    row = db.session.execute(_SLUG_AND_LATER, parameters).first()
    return None if row is None else (row.slug, bool(row.later))


def read_followed(viewer_id: int) -> frozenset[int]:
    """The ids of the users `viewer_id` follows."""
    return frozenset(read(_FOLLOWED, {"viewer_id": viewer_id}).scalars())


def read_comment_page(
    *, slug: str, viewer_id: int | None, limit: int, offset: int
) -> tuple[list[CommentView], int] | None:
    """`limit` comments from `offset` on the article at `slug`, newest first, and how
    many it has in all. None when the page has no row: no such article, no comments,
    or a page past the last (`comment_count` tells them apart)."""
    parameters = _viewer(slug, viewer_id) | {"limit": limit, "offset": offset}
    statement = _newest_first(signed_in=viewer_id is not None, paged=True)
    rows = read(statement, parameters).all()
    if not rows:
        return None
    page, followed = _rows_and_followed([row[:-1] for row in rows])
    return [comment_view(row, following=row[4] in followed) for row in page], rows[0][-1]


def _viewer(slug: str, viewer_id: int | None) -> dict[str, Any]:
    return {"slug": slug} if viewer_id is None else {"slug": slug, "viewer_id": viewer_id}


def _rows_and_followed(rows: Sequence[Sequence[Any]]) -> tuple[list[CommentRow], frozenset[int]]:
    # Sliced by position: reading thousands of rows' columns by name cost more
    # than the rest of the list.
    return (
        [tuple(row[:8]) for row in rows if row[0] is not None],
        frozenset(row[4] for row in rows if row[8]),
    )
