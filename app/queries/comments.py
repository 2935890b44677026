"""The statements that read comments: an article's, newest first, with their authors.

Columns, not Comment objects: an article can have comments by the thousand, and
building an ORM object for each was most of the request's time.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, Row, Select, String, bindparam, func, select

from app.models import Article, Comment, User
from app.queries import read
from app.queries.articles import LIMIT, OFFSET, VIEWER, author_view, following_expression
from app.services.views import CommentView

ARTICLE_ID = bindparam("article_id", type_=Integer)

# The article's id and its number of comments, by slug: what a page of them needs first.
_ARTICLE_AND_COUNT = select(
    Article.id,
    select(func.count())
    .select_from(Comment)
    .where(Comment.article_id == Article.id)
    .scalar_subquery(),
).where(Article.slug == bindparam("slug", type_=String))


@functools.cache
def _newest_first(*, signed_in: bool, paged: bool) -> Select[Any]:
    query = (
        select(
            Comment.id,
            Comment.body,
            Comment.created_at,
            Comment.updated_at,
            User.username,
            User.bio,
            User.image,
            following_expression(Comment.author_id, VIEWER if signed_in else None).label(
                "following"
            ),
        )
        .join(User, User.id == Comment.author_id)
        .where(Comment.article_id == ARTICLE_ID)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return query.limit(LIMIT).offset(OFFSET) if paged else query


def article_and_comment_count(slug: str) -> tuple[int, int] | None:
    """The id of the article at `slug` and how many comments it has (None: no such article)."""
    row = read(_ARTICLE_AND_COUNT, {"slug": slug}).one_or_none()
    return None if row is None else (row[0], row[1])


def read_comments(
    *, article_id: int, viewer_id: int | None, limit: int | None = None, offset: int = 0
) -> list[CommentView]:
    """The article's comments newest first as `viewer_id` sees their authors: all of
    them, or `limit` from `offset`."""
    parameters: dict[str, Any] = {"article_id": article_id}
    if viewer_id is not None:
        parameters["viewer_id"] = viewer_id
    if limit is not None:
        parameters |= {"limit": limit, "offset": offset}
    statement = _newest_first(signed_in=viewer_id is not None, paged=limit is not None)
    return [_comment_view(row) for row in read(statement, parameters)]


def _comment_view(row: Row[Any]) -> CommentView:
    return CommentView(
        id=row.id,
        body=row.body,
        created_at=row.created_at,
        updated_at=row.updated_at,
        author=author_view(row),
    )
