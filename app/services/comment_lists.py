"""Each article's comments, cached for every viewer alike as their reader renders
them, and the writes that make them stale.

A popular article has comments by the thousand, which the API lists whole: reading
them with their authors and rendering each was most of what such a list cost. With
Redis (COMMENTS_CACHE_SECONDS), an article's comments are kept in a cache family of
its own (by slug), each as its reader rendered it (the API, its JSON), the same
for every viewer: a list is read and rendered once per change, by whichever process
asks first; only whom the viewer follows is read on each request. Nothing but a
change to that list makes it stale, each after its commit: a comment added or
deleted (`forget_comments_of`), the article renamed or deleted, a commenter's new
username, bio or image, or a commenter's account deleted (`forget_comment_lists`).
Without Redis they are read on each request: a process of its own could not tell
the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import select, union

from app import cache
from app.extensions import db
from app.models import Article, Comment
from app.queries.comments import read_comments, read_followed
from app.services.views import CommentListing, CommentRow, Shown

# The prefix of the families, one per article (by slug).
COMMENT_LISTS = "comments-v1"


def comments_as_seen(
    *, slug: str, viewer_id: int | None, render: Callable[[CommentRow], Shown], rendered_as: str
) -> CommentListing[Shown] | None:
    """The comments on the article at `slug`, newest first, each as `render` makes
    it of its row, with whom of their authors `viewer_id` follows; None if there is
    no such article. `rendered_as` names the rendering in the cache: change it
    whenever what `render` makes changes.

    One statement whether cached or not: a miss reads the rows with the viewer's
    follows, a hit only the follows (none for an anonymous viewer).
    """
    seconds = current_app.config["COMMENTS_CACHE_SECONDS"]
    if not seconds:
        found = read_comments(slug=slug, viewer_id=viewer_id)
        return None if found is None else CommentListing(_render(found[0], render), found[1])
    # What a miss read, with the viewer's follows.
    missed: dict[str, frozenset[int]] = {}

    def load() -> list[tuple[int, Shown]] | None:
        found = read_comments(slug=slug, viewer_id=viewer_id)
        if found is None:
            return None
        missed["followed"] = found[1]
        return _render(found[0], render)

    shown = cache.read_through(_family(slug), rendered_as, load, timeout=seconds)
    if shown is None:
        return None
    followed = missed.get("followed")
    if followed is None:
        followed = read_followed(viewer_id) if viewer_id is not None and shown else frozenset()
    return CommentListing(shown, followed)


def _render(
    rows: list[CommentRow], render: Callable[[CommentRow], Shown]
) -> list[tuple[int, Shown]]:
    return [(row[4], render(row)) for row in rows]


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
            if not cache.invalidate(_family(slug)):
                # Redis is unreachable (or hung): each of the others would wait as
                # long, and fail as well.
                break


def _family(slug: str) -> str:
    return f"{COMMENT_LISTS}:{slug}"
