"""Counts kept in rows: how many articles there are, each author wrote, and carry
each tag, and how many comments each article has.

Every list shows how many articles match it, and the tag list is ordered by use.
Counting rows for them read the whole articles table on every request at a million
articles; instead, the writes that change them (an article written, retagged or
deleted, an account deleted) keep them in their own transaction, in SQL, so that
concurrent writes each add their own and no read counts rows.

Lock order: a write locks its account's row first (the author's count, the whole
account when it is deleted, a key share of it before a favorite, `hold_account`),
then the article rows it changes, then the tag rows
whose counts change (in ascending id), then the articles total; an article's
row before its comments' (as deleting the article locks them, by cascade). Every
writer follows it, so none waits for a row held by another that waits for one of its
own (tests/faults/test_races.py). Adding to a tag's count takes PostgreSQL's
`FOR NO KEY UPDATE`, which never waits for (nor makes wait) the key share that an
article_tags row's foreign key takes: tagging goes on while counts change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Article, ArticleTag, Comment, Counter, Tag, User

ARTICLES = "articles"


def count_articles(session: Session, change: int) -> None:
    """Add `change` to the number of articles (the row is made at the first article)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Counter).values(name=ARTICLES, value=change)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Counter.name],
            set_={"value": Counter.value + statement.excluded.value},
        )
    )


def count_authored(session: Session, author_id: int, change: int) -> bool:
    """Add `change` to the number of articles `author_id` wrote (first in the lock order);
    False when the account is gone (deleted by a concurrent request)."""
    result = session.execute(
        update(User)
        .where(User.id == author_id)
        # Not a change of the account: its updated_at stays.
        .values(articles_count=User.articles_count + change, updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(CursorResult[Any], result).rowcount)


def hold_account(session: Session, user_id: int) -> bool:
    """Take a key share of `user_id`'s row, first in the lock order; False when the
    account is gone (deleted by a concurrent request, which this waited for).

    A new row that refers to the account (a favorite) takes this share by its foreign
    key anyway, but only when it is inserted, after the article's count has changed:
    then it held the article while waiting for an account being deleted, whose
    deletion waits for that article in turn.
    """
    held = session.scalar(
        select(User.id).where(User.id == user_id).with_for_update(read=True, key_share=True)
    )
    return held is not None


def tag_uses(session: Session, article_ids: Iterable[int]) -> dict[int, int]:
    """How many of the articles `article_ids` carry each tag, by tag id."""
    ids = list(article_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ArticleTag.tag_id, func.count())
        .where(ArticleTag.article_id.in_(ids))
        .group_by(ArticleTag.tag_id)
    )
    return dict(rows.all())


def count_tag_uses(session: Session, changes: Mapping[int, int]) -> None:
    """Add to each tag's number of articles what `changes` maps its id to."""
    changes = {tag_id: change for tag_id, change in changes.items() if change}
    if not changes:
        return
    # The rows locked in ascending id before any is changed, so that two writes that
    # change the same tags never hold one each while waiting for the other's. A
    # statement of its own: an UPDATE whose FROM locked them in order still
    # deadlocked (it locks again as it updates, in the join's order).
    ids = sorted(changes)
    session.execute(
        select(Tag.id).where(Tag.id.in_(ids)).order_by(Tag.id).with_for_update(key_share=True)
    )
    session.execute(
        update(Tag)
        .where(Tag.id.in_(ids))
        .values(articles_count=Tag.articles_count + _amount(changes, Tag.id))
        .execution_options(synchronize_session=False)
    )


def count_comments(session: Session, changes: Mapping[int, int]) -> int:
    """Add to each article's number of comments what `changes` maps its id to; return
    how many of the articles are there to count (fewer: one was deleted meanwhile)."""
    changes = {article_id: change for article_id, change in changes.items() if change}
    if not changes:
        return 0
    result = session.execute(
        update(Article)
        .where(Article.id.in_(sorted(changes)))
        .values(comments_count=Article.comments_count + _amount(changes, Article.id))
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


def count_off_comments_by(session: Session, author_id: int) -> None:
    """Take the comments `author_id` wrote off each article's number of comments
    (before they are deleted, the articles' rows locked)."""
    written = (
        select(Comment.article_id, func.count().label("number"))
        .where(Comment.author_id == author_id)
        .group_by(Comment.article_id)
        .subquery()
    )
    session.execute(
        update(Article)
        .where(Article.id == written.c.article_id)
        .values(comments_count=Article.comments_count - written.c.number)
        .execution_options(synchronize_session=False)
    )


def _amount(
    changes: Mapping[int, int], key: InstrumentedAttribute[int]
) -> int | ColumnElement[int]:
    """What to add to each row's count: the one amount when every row gets the same
    (a statement shaped alike whatever the rows), else chosen by the row's `key`."""
    amounts = set(changes.values())
    return amounts.pop() if len(amounts) == 1 else case(changes, value=key)
