"""Leaving Conduit: an account's data to take away, and the account's deletion.

The export is a JSON document written piece by piece: each part is read in
batches of `EXPORT_BATCH` rows, one statement a batch, each starting after the
last row of the one before (by an index, never an OFFSET). The memory it holds is
one batch, not the whole account, and it holds no transaction or cursor open
while a slow client downloads (GET requests read on autocommit connections, where
PostgreSQL has no server-side cursor: app/database.py). Both surfaces send the
same document, which the API's OpenAPI document describes (app/schemas/accounts.py).

Deleting an account takes everything that is the account's with it, and keeps
every other account's numbers exact: the stored favorites count of each article
the account had favorited goes down by one in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, delete, func, literal, or_, select, tuple_, union, update
from sqlalchemy.orm import InstrumentedAttribute, aliased

from app import cache, counts
from app.exceptions import Invalid
from app.extensions import db, passwords
from app.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User
from app.queries import comment_lists
from app.services import credentials, sessions, tags
from app.sql import StringListAggregate

# Rows read per round trip while exporting: the memory the export holds at most.
EXPORT_BATCH = 200
EXPORT_FORMAT = "conduit-account-export"
EXPORT_VERSION = 1
WRONG_PASSWORD = "is invalid"
# The advisory lock that account deletions take, one at a time (any number no other
# part of the app uses: "CDEL").
ACCOUNT_DELETIONS_LOCK = 0x4344454C


# Deleting -------------------------------------------------------------------


def delete_account(*, user: User, password: str) -> None:
    """Delete `user` with everything that is theirs, if `password` is theirs.

    Their articles go with the comments, tags and favorites on them; their own
    comments elsewhere, favorites, follows (both ways), web sessions and API tokens
    go too. A wrong password raises Invalid and changes nothing. The username and
    e-mail address are free again afterwards.
    """
    if not passwords.verify(user.password_hash, password):
        raise Invalid.on("password", WRONG_PASSWORD)
    user_id = user.id
    _one_deletion_at_a_time()
    # The account's row first: a favorite, comment or follow the account makes while
    # it is deleted waits for this transaction, then finds no account (its insert is
    # refused), instead of adding to a count this transaction has already lowered.
    if db.session.scalar(select(User.id).where(User.id == user_id).with_for_update()) is None:
        # A concurrent request (another tab) deleted it first: done, as asked.
        db.session.rollback()
        return
    # Every article this changes, locked before any favorite, comment, tag or total:
    # the lock order of every writer (app/counts.py). Locked as each was met, this
    # could hold a tag a concurrent article deletion waits for while waiting for that
    # article (a deadlock on PostgreSQL; tests/services/test_account_races.py).
    _lock_articles_changed(user_id)
    db.session.execute(
        update(Article)
        .where(
            Article.id.in_(select(Favorite.article_id).where(Favorite.user_id == user_id)),
            Article.author_id != user_id,
        )
        .values(favorites_count=Article.favorites_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(Favorite).where(Favorite.user_id == user_id))
    stale_comment_lists = comment_lists.slugs_concerning(user_id)
    # Read after the first write (SQLite locks the database then, and nothing before)
    # and counted while their rows are locked: an article written or retagged in
    # another tab cannot come between the count and the deletion.
    own_articles = list(
        db.session.scalars(
            select(Article.id).where(Article.author_id == user_id).order_by(Article.id)
        )
    )
    uses = counts.tag_uses(db.session, own_articles)
    # Their articles' comments, tags and everyone's favorites of them go by cascade.
    db.session.execute(
        delete(Article)
        .where(Article.author_id == user_id)
        .execution_options(synchronize_session=False)
    )
    _delete_comments_elsewhere(user_id)
    counts.count_tag_uses(db.session, {tag_id: -number for tag_id, number in uses.items()})
    if own_articles:
        counts.count_articles(db.session, -len(own_articles))
    db.session.execute(
        delete(Follow).where(or_(Follow.follower_id == user_id, Follow.followed_id == user_id))
    )
    sessions.forget_sessions(user=user)
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.commit()
    # After the commit (see `cache.invalidate`): the cached credentials generation,
    # which lets a token in on routes where signing in is optional, and the tag list.
    cache.invalidate(credentials.credentials_family(user_id))
    if uses:
        tags.forget_tags()
    comment_lists.forget_comment_lists(stale_comment_lists)


def _one_deletion_at_a_time() -> None:
    """Wait for any other account's deletion to end (PostgreSQL; SQLite writes one
    transaction at a time anyway).

    Two deletions cannot take their articles in one order: each locks its own first,
    more strongly than those it favorited or commented on (`_lock_articles_changed`),
    and two accounts that favorited each other's articles would each hold what the
    other waits for. Deletions are rare; an advisory lock held to the end of the
    transaction, taken before any row, makes the second wait for the first.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(ACCOUNT_DELETIONS_LOCK)))


def _lock_articles_changed(user_id: int) -> None:
    """Lock, each group in ascending id, every article that deleting `user_id`
    changes (PostgreSQL; SQLite locks the whole database at the first write).

    Their own first, for the deletion (FOR UPDATE: no favorite or comment can be
    added to one any more). Then those they favorited or commented on, whose counts
    change: FOR NO KEY UPDATE, which a favorite's or comment's insert (its foreign
    key's key share) does not wait for, nor make wait: such an insert by this very
    account in another tab waits for the account's row, and fails once it is gone,
    where a stronger lock would have waited for the insert in turn.
    """
    db.session.execute(
        select(Article.id)
        .where(Article.author_id == user_id)
        .order_by(Article.id)
        .with_for_update()
    )
    changed = union(
        select(Favorite.article_id).where(Favorite.user_id == user_id),
        select(Comment.article_id).where(Comment.author_id == user_id),
    )
    db.session.execute(
        select(Article.id)
        .where(Article.id.in_(changed), Article.author_id != user_id)
        .order_by(Article.id)
        .with_for_update(key_share=True)
    )


def _delete_comments_elsewhere(user_id: int) -> None:
    """Count the comments `user_id` wrote on others' articles off those articles, then
    delete them (their own articles are gone by now, with their comments).

    The articles' rows are locked (`_lock_articles_changed`): a deletion of one of
    these comments in another tab, which counts it off its article first, waits
    for this one, so the comments counted are the comments deleted.
    """
    counts.count_off_comments_by(db.session, user_id)
    db.session.execute(
        delete(Comment)
        .where(Comment.author_id == user_id)
        .execution_options(synchronize_session=False)
    )


# Exporting ------------------------------------------------------------------


def _timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`, as the API writes them."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _rows(statement: Select[Any], *keys: InstrumentedAttribute[Any]) -> Iterator[Any]:
    """The rows of `statement` in the order of `keys` (unique together, and selected by
    it), read `EXPORT_BATCH` at a time: one statement per batch."""
    after: tuple[Any, ...] | None = None
    while True:
        batch = statement.order_by(*keys).limit(EXPORT_BATCH)
        if after is not None:
            last = (literal(value, key.type) for key, value in zip(keys, after, strict=True))
            batch = batch.where(tuple_(*keys) > tuple_(*last))
        rows = db.session.execute(batch).all()
        yield from rows
        if len(rows) < EXPORT_BATCH:
            return
        after = tuple(getattr(rows[-1], key.key) for key in keys)


def _array(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for number, item in enumerate(items):
        yield ("," if number else "") + _dump(item)
    yield "]"


def _articles(user_id: int) -> Iterator[dict[str, Any]]:
    tag_names = (
        select(StringListAggregate(Tag.name))
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == Article.id)
        .scalar_subquery()
    )
    statement = select(
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.body,
        Article.created_at,
        Article.updated_at,
        Article.favorites_count,
        tag_names.label("tag_list"),
    ).where(Article.author_id == user_id)
    for row in _rows(statement, Article.created_at, Article.id):
        yield {
            "slug": row.slug,
            "title": row.title,
            "description": row.description,
            "body": row.body,
            "tagList": sorted(row.tag_list or []),
            "createdAt": _timestamp(row.created_at),
            "updatedAt": _timestamp(row.updated_at),
            "favoritesCount": row.favorites_count,
        }


def _comments(user_id: int) -> Iterator[dict[str, Any]]:
    statement = (
        select(
            Comment.id,
            Comment.body,
            Comment.created_at,
            Comment.updated_at,
            Article.slug,
            Article.title,
        )
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.author_id == user_id)
    )
    for row in _rows(statement, Comment.created_at, Comment.id):
        yield {
            "id": row.id,
            "body": row.body,
            "createdAt": _timestamp(row.created_at),
            "updatedAt": _timestamp(row.updated_at),
            "article": {"slug": row.slug, "title": row.title},
        }


def _favorites(user_id: int) -> Iterator[dict[str, Any]]:
    author = aliased(User)
    statement = (
        select(
            Favorite.article_id, Article.slug, Article.title, author.username, Favorite.created_at
        )
        .join(Article, Article.id == Favorite.article_id)
        .join(author, author.id == Article.author_id)
        .where(Favorite.user_id == user_id)
    )
    for row in _rows(statement, Favorite.created_at, Favorite.article_id):
        yield {
            "slug": row.slug,
            "title": row.title,
            "author": row.username,
            "favoritedAt": _timestamp(row.created_at),
        }


def _follows(user_id: int, *, following: bool) -> Iterator[dict[str, Any]]:
    mine, theirs = (
        (Follow.follower_id, Follow.followed_id)
        if following
        else (Follow.followed_id, Follow.follower_id)
    )
    statement = (
        select(User.id, User.username, Follow.created_at)
        .join(Follow, theirs == User.id)
        .where(mine == user_id)
    )
    for row in _rows(statement, Follow.created_at, User.id):
        yield {"username": row.username, "since": _timestamp(row.created_at)}


def export_account(*, user: User) -> Iterator[str]:
    """The account of `user` as one JSON document, in pieces: the profile, their
    articles (markdown bodies, tags), comments, favorites and follows (both ways).

    Nothing is read until the pieces are; the caller sends them as they come.
    """
    user_id = user.id
    profile = {
        "username": user.username,
        "email": user.email,
        "bio": user.bio,
        "image": user.image,
        "notifyByEmail": user.notify_by_email,
        "createdAt": _timestamp(user.created_at),
    }
    header = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION}

    def pieces() -> Iterator[str]:
        yield _dump({**header, "profile": profile})[:-1]
        for name, items in (
            ("articles", _articles(user_id)),
            ("comments", _comments(user_id)),
            ("favorites", _favorites(user_id)),
            ("following", _follows(user_id, following=True)),
            ("followers", _follows(user_id, following=False)),
        ):
            yield f",{_dump(name)}:"
            yield from _array(items)
        yield "}\n"

    return pieces()
