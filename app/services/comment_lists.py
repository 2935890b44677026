"""Each article's comments, cached for every viewer alike, and the writes that make
them stale.

A popular article has comments by the thousand, which the API lists whole: reading
them with their authors was most of what such a list cost. With Redis
(COMMENTS_CACHE_SECONDS), the comments of an article are kept in a cache family
of its own (by slug), the same rows for every viewer; only whom the viewer follows
is read from the database. Nothing but a change to that list makes it stale, each
after its commit: a comment added or deleted (`forget_comments_of`), the article
renamed or deleted, a commenter's new username, bio or image, or a commenter's
account deleted (`forget_comment_lists`). Without Redis the lists are read from
the database: a process of its own could not tell the others.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select, union

from app import cache
from app.extensions import db
from app.models import Article, Comment
from app.queries.comments import read_comments, read_followed
from app.services.views import CommentListing, CommentRow

# The version is raised when what is cached changes shape.
COMMENT_LISTS = "comments-v1"
ENTRY = "all"


def comments_as_seen(*, slug: str, viewer_id: int | None) -> CommentListing | None:
    """The comments on the article at `slug`, newest first, with whom of their authors
    `viewer_id` follows; None if there is no such article.

    One statement whether cached or not: a miss reads the rows with the viewer's
    follows, a hit only the follows (none for an anonymous viewer)."""
    seconds = current_app.config["COMMENTS_CACHE_SECONDS"]
    if not seconds:
        return read_comments(slug=slug, viewer_id=viewer_id)
    # What a miss read, with the viewer's follows.
    missed: dict[str, CommentListing | None] = {}

    def load() -> list[CommentRow] | None:
        missed["listing"] = listing = read_comments(slug=slug, viewer_id=viewer_id)
        return None if listing is None else list(listing.rows)

    rows = cache.read_through(_family(slug), ENTRY, load, timeout=seconds)
    if "listing" in missed:
        return missed["listing"]
    if rows is None:
        return None
    followed = read_followed(viewer_id) if viewer_id is not None and rows else frozenset()
    return CommentListing(rows=rows, followed=followed)


def forget_comments_of(article_id: int) -> None:
    """After a comment on the article `article_id` was added or deleted and committed.

    By the article's slug as it is now: it may have been renamed since the writer
    loaded it, and a rename committed before this write forgot only what was cached
    before it.
    """
    if current_app.config["COMMENTS_CACHE_SECONDS"]:
        slug = db.session.scalar(select(Article.slug).where(Article.id == article_id))
        forget_comment_lists([slug] if slug is not None else [])


def slugs_concerning(user_id: int) -> list[str]:
    """The slugs of the articles `user_id` wrote or commented on: the cached lists
    that show the user's profile, or that go with the user's account."""
    if not current_app.config["COMMENTS_CACHE_SECONDS"]:
        return []
    # A union, each side an index scan: as one OR, PostgreSQL read every article.
    wrote = select(Article.slug).where(Article.author_id == user_id)
    commented = (
        select(Article.slug)
        .join(Comment, Comment.article_id == Article.id)
        .where(Comment.author_id == user_id)
    )
    return list(db.session.scalars(union(wrote, commented)))


def forget_comment_lists(slugs: Iterable[str]) -> None:
    """Make the cached comments of the articles at `slugs` stale for every process;
    after the commit of the write that changed them (see `cache.invalidate`)."""
    if current_app.config["COMMENTS_CACHE_SECONDS"]:
        for slug in slugs:
            cache.invalidate(_family(slug))


def _family(slug: str) -> str:
    return f"{COMMENT_LISTS}:{slug}"
