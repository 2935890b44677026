"""Each article's comments, cached for every viewer alike as their reader renders
them, and the writes that make them stale.

A popular article has comments by the thousand, which the API lists whole: reading
them with their authors and rendering each was most of what such a list cost. With
Redis (COMMENTS_CACHE_SECONDS), an article's comments are kept in two cache
families of its own (by slug), each comment as its reader rendered it (the API,
its JSON), the same for every viewer; only whom the viewer follows is read on each
request. The settled part, every comment up to the newest when the list was read
whole, goes stale only with a change to the list as a whole, each after its
commit: a comment deleted, the article renamed or deleted, a commenter's new
username, bio or image, or a commenter's account deleted (`forget_comment_lists`).
The recent part, the comments added since, goes stale with each comment added
(`forget_comments_of`), and reading it again reads only those. (Before, each
comment made the whole list stale: at 1,000,000 articles, reading 4,945 comments
again for the next reader of a popular article was a fifth of the workers' time.)
Without Redis they are read on each request: a process of its own could not tell
the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select, union

from app import cache
from app.extensions import db
from app.models import Article, Comment
from app.queries.comments import (
    read_comments,
    read_comments_after,
    read_followed,
    read_slug_and_later,
)
from app.read_models import CommentListing, CommentRow, Shown

# The prefix of the families, one per article (by slug).
COMMENT_LISTS = "comments-v1"


def comments_as_seen(
    *, slug: str, viewer_id: int | None, render: Callable[[CommentRow], Shown], rendered_as: str
) -> CommentListing[Shown] | None:
    """The comments on the article at `slug`, newest first, each as `render` makes
    it of its row, with whom of their authors `viewer_id` follows; None if there is
    no such article. `rendered_as` names the rendering in the cache: change it
    whenever what `render` makes changes.

    Cached in two parts: the comments up to the newest when the list was read whole
    (kept until a change to the list as a whole, or COMMENTS_CACHE_SECONDS), and
    those added since, read again after each new comment (a few rows of the index).
    A hit costs no statement for an anonymous viewer, one (whom the viewer follows)
    for a signed-in one; reading either part again costs one.
    """
    seconds = current_app.config["COMMENTS_CACHE_SECONDS"]
    if not seconds:
        found = read_comments(slug=slug, viewer_id=viewer_id)
        return None if found is None else CommentListing(_render(found[0], render), found[1])
    # Whom the viewer follows among the authors of each part read here.
    followed_in: dict[str, frozenset[int]] = {}

    def load_settled() -> _Part[Shown] | None:
        found = read_comments(slug=slug, viewer_id=viewer_id)
        if found is None:
            return None
        followed_in["settled"] = found[1]
        return _part(found[0], render)

    got: list[_Part[Shown] | None] = []

    def settled_part() -> _Part[Shown] | None:
        # Once a call: the recent part is read against this one (and, while Redis
        # is unreachable, the list is read from the database once).
        if not got:
            got.append(
                cache.read_through(
                    _family(slug), f"{rendered_as}:settled", load_settled, timeout=seconds
                )
            )
        return got[0]

    def load_recent() -> _Recent[Shown] | None:
        # Run after the generation of the recent part was read: a comment committed
        # after the statements below makes what is stored here stale.
        settled = settled_part()
        if settled is None:
            return None
        if "settled" in followed_in:
            # Read just now, whole: nothing was added since.
            return settled[0], []
        rows, followed = read_comments_after(
            slug=slug, viewer_id=viewer_id, created_at=settled[0][0], comment_id=settled[0][1]
        )
        followed_in["recent"] = followed
        return settled[0], _render(rows, render)

    recent_part = f"{rendered_as}:added"
    recent = cache.read_through(_recent_family(slug), recent_part, load_recent, timeout=seconds)
    settled = settled_part() if recent is not None else None
    if recent is None or settled is None:
        return None
    added = recent[1]
    if recent[0] != settled[0]:
        # The whole list was read again since (its time was up): what was added
        # since an older read is not what was added since this one.
        cache.invalidate(_recent_family(slug))
        rows, followed_in["recent"] = read_comments_after(
            slug=slug, viewer_id=viewer_id, created_at=settled[0][0], comment_id=settled[0][1]
        )
        added = _render(rows, render)
    shown = [*added, *settled[1]] if added else settled[1]
    return CommentListing(shown, _followed(viewer_id, shown, followed_in, bool(added)))


def _followed(
    viewer_id: int | None,
    shown: list[tuple[int, Shown]],
    followed_in: dict[str, frozenset[int]],
    with_recent: bool,
) -> frozenset[int]:
    """Whom of the authors in `shown` `viewer_id` follows: from the parts read here
    when they cover every comment shown, else read."""
    if viewer_id is None or not shown:
        return frozenset()
    if "settled" in followed_in and (not with_recent or "recent" in followed_in):
        return followed_in["settled"] | followed_in.get("recent", frozenset())
    return read_followed(viewer_id)


# Comments newest first, each as its author's id and as rendered, with where the
# newest is in the list's order (created_at, id).
_Part = tuple[tuple[datetime, int], list[tuple[int, Shown]]]
# The comments added since the settled part whose newest is the first, newest first.
_Recent = tuple[tuple[datetime, int], list[tuple[int, Shown]]]
# Before every comment in the list's order.
_BEFORE_ALL = (datetime.min.replace(tzinfo=UTC), 0)


def _part(rows: list[CommentRow], render: Callable[[CommentRow], Shown]) -> _Part[Shown]:
    newest = (rows[0][2], rows[0][0]) if rows else _BEFORE_ALL
    return newest, _render(rows, render)


def _render(
    rows: list[CommentRow], render: Callable[[CommentRow], Shown]
) -> list[tuple[int, Shown]]:
    return [(row[4], render(row)) for row in rows]


def forget_comments_of(article_id: int, *, added: tuple[datetime, int] | None = None) -> None:
    """After a comment on the article `article_id` was added (`added`: where it is
    in the list's order) or deleted, and committed.

    A comment added after every other only makes the comments added since the
    list was read whole stale. One that another comment already committed comes
    after (their clocks or their commits in another order) makes the whole list
    stale: a list read between the two commits holds the later one and not this.
    By the article's slug as it is now: it may have been renamed since the writer
    loaded it, and a rename committed before this write forgot only what was cached
    before it.
    """
    if not current_app.config["COMMENTS_CACHE_SECONDS"]:
        return
    found = read_slug_and_later(article_id, added)
    if found is None:
        return
    slug, whole = found
    if whole:
        forget_comment_lists([slug])
    else:
        cache.invalidate(_recent_family(slug))


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
            # The comments added since the list was read whole too: they show the
            # same authors, and a deletion may be among them.
            if not (cache.invalidate(_family(slug)) and cache.invalidate(_recent_family(slug))):
                # Redis is unreachable (or hung): each of the others would wait as
                # long, and fail as well.
                break


def _family(slug: str) -> str:
    return f"{COMMENT_LISTS}:{slug}"


def _recent_family(slug: str) -> str:
    return f"{COMMENT_LISTS}:{slug}:recent"
