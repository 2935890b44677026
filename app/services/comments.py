"""Comments on articles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import delete, select

from app import counts, rules
from app.exceptions import Forbidden, NotFound
from app.extensions import db
from app.models import Article, Comment, User
from app.models.base import utcnow
from app.queries import comment_lists
from app.queries.comments import comment_count, read_comment_page
from app.read_models import (
    CommentListing,
    CommentPage,
    CommentRow,
    CommentView,
    Shown,
    comment_view,
)
from app.services import notifications
from app.services.articles import article_gone, load_article, writing_to_article
from app.services.profiles import profile_view
from app.sql import delete_counting

# Ids beyond this cannot exist (the column is a 32-bit INTEGER), and PostgreSQL
# refuses to compare one with a larger value ("integer out of range").
MAX_ID = 2**31 - 1
# How `list_comments` keeps an article's comments in the cache: as views, each
# following no one (the viewer's follows are applied on each request).
VIEWS = "views-v1"


def list_comments(*, slug: str, viewer_id: int | None) -> list[CommentView]:
    """The comments on the article at `slug`, newest first."""
    listing = list_rendered_comments(
        slug=slug, viewer_id=viewer_id, render=comment_view, rendered_as=VIEWS
    )
    followed = listing.followed
    return [
        replace(view, author=replace(view.author, following=True))
        if author_id in followed
        else view
        for author_id, view in listing.shown
    ]


def list_rendered_comments(
    *, slug: str, viewer_id: int | None, render: Callable[[CommentRow], Shown], rendered_as: str
) -> CommentListing[Shown]:
    """The comments on the article at `slug`, newest first, each as `render` makes it
    of its row (rendered once per change with Redis: app/queries/comment_lists.py),
    with whom of their authors `viewer_id` follows."""
    listing = None
    if rules.can_match(slug):
        listing = comment_lists.comments_as_seen(
            slug=slug, viewer_id=viewer_id, render=render, rendered_as=rendered_as
        )
    if listing is None:
        raise NotFound("article")
    return listing


def list_comment_page(*, slug: str, viewer_id: int | None, page: int, per_page: int) -> CommentPage:
    """Page `page` (from 1) of the comments on the article at `slug`, `per_page` a
    page, newest first.

    A page past the last is the last page (a link from before comments were
    deleted); an article without comments has one empty page. One statement
    fetching at most `per_page` rows, however many comments the article has: the
    page with the article's number of comments. A page without rows costs a count
    besides (to tell an article without comments from a page past the last, or
    from no article), and a page past the last the last page's read.
    """
    if not rules.can_match(slug):
        raise NotFound("article")
    page = max(page, 1)
    found = _read_page(slug, viewer_id, page, per_page)
    if found is not None:
        return CommentPage(comments=found[0], page=page, total=found[1])
    total = comment_count(slug)
    if total is None:
        raise NotFound("article")
    last_page = max(1, -(-total // per_page))
    if page > last_page:
        page = last_page
        found = _read_page(slug, viewer_id, page, per_page)
    # Still nothing: an article without comments, or the last page's comments
    # were deleted in between.
    return CommentPage(comments=found[0] if found else [], page=page, total=total)


def _read_page(
    slug: str, viewer_id: int | None, page: int, per_page: int
) -> tuple[list[CommentView], int] | None:
    offset = (page - 1) * per_page
    if offset > MAX_ID:
        # No article has that many comments, and PostgreSQL refuses such an OFFSET.
        return None
    return read_comment_page(slug=slug, viewer_id=viewer_id, limit=per_page, offset=offset)


def add_comment(*, actor: User, slug: str, body: str) -> CommentView:
    """Add a comment by `actor` to the article at `slug`; its author may have asked
    to be mailed about it."""
    article, author_opted_in = _load_commented_article(slug)
    now = utcnow()
    comment = Comment(
        body=body, article_id=article.id, author_id=actor.id, created_at=now, updated_at=now
    )
    with writing_to_article(article.id, actor_id=actor.id):
        db.session.add(comment)
        counts.count_comments(db.session, {article.id: 1})
    comment_lists.forget_comments_of(article.id, added=(now, comment.id))
    notifications.notify_new_comment(
        comment_id=comment.id, actor=actor, author_id=article.author_id, opted_in=author_opted_in
    )
    return CommentView(
        id=comment.id,
        body=body,
        created_at=now,
        updated_at=now,
        author=profile_view(actor, following=False),
    )


def _load_commented_article(slug: str) -> tuple[Article, bool]:
    """The article at `slug` (or NotFound) and whether its author wants mail about
    comments, in the one statement that loading the article alone would take."""
    if not rules.can_match(slug):
        raise NotFound("article")
    row = db.session.execute(
        select(Article, User.notify_by_email)
        .join(User, User.id == Article.author_id)
        .where(Article.slug == slug)
    ).first()
    if row is None:
        raise NotFound("article")
    return row[0], bool(row[1])


def delete_comment(*, actor: User, slug: str, comment_id: int) -> None:
    """Delete a comment from the article at `slug`; only the comment's author may."""
    article = load_article(slug)
    comment = None
    if 0 < comment_id <= MAX_ID:
        comment = db.session.scalar(
            select(Comment).where(Comment.id == comment_id, Comment.article_id == article.id)
        )
    if comment is None:
        raise NotFound("comment")
    if comment.author_id != actor.id:
        raise Forbidden.on("comment", "only the author may delete this comment")
    article_id = article.id
    # The article's row first, then the comment's (app/counts.py).
    counted = counts.count_comments(db.session, {article_id: -1})
    deleting = delete(Comment).where(Comment.id == comment.id)
    if not counted or not delete_counting(db.session, deleting):
        # A concurrent request deleted it first, or the whole article.
        db.session.rollback()
        raise NotFound("article" if article_gone(article_id) else "comment")
    db.session.commit()
    comment_lists.forget_comments_of(article_id)
