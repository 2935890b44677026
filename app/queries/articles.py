"""The statements that read articles: lists, the feed and single articles.

Every read is one statement whatever the page size: the page with each
article's author, favorites count (stored in the article's row), `favorited`,
`following` and tags, and the number of matching articles alongside (kept in
rows for all articles, one author's, the followed authors' and one tag's,
app/counts.py; counted for the rest).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Row,
    ScalarSelect,
    Select,
    bindparam,
    cast,
    false,
    func,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app import counts
from app.extensions import db
from app.models import Article, ArticleTag, Counter, Favorite, Follow, Tag, User
from app.queries import LIMIT, OFFSET, VIEWER, author_view, following_expression, probe, read
from app.read_models import ArticlePage, ArticleView
from app.sql import StringListAggregate


def _favorited_expression(signed_in: bool) -> ColumnElement[bool]:
    if not signed_in:
        return false()
    # Correlated to the article only: a list of favorites has favorites in its FROM too.
    return probe(Favorite.article_id == Article.id, Favorite.user_id == VIEWER, correlate=Article)


@functools.cache
def article_query(*, signed_in: bool, with_body: bool) -> Select[Any]:
    """One row per article with everything its view needs: author, count, flags, tags."""
    # A look-up by primary key per tag: PostgreSQL would otherwise scan every tag
    # to hash-join the few of one article.
    tag_name = select(Tag.name).where(Tag.id == ArticleTag.tag_id).scalar_subquery()
    tag_names = (
        select(StringListAggregate(tag_name))
        .where(ArticleTag.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )
    columns = [
        Article.slug,
        Article.title,
        Article.description,
        Article.created_at,
        Article.updated_at,
        Article.favorites_count,
        User.username,
        User.bio,
        User.image,
        _favorited_expression(signed_in).label("favorited"),
        following_expression(Article.author_id, VIEWER if signed_in else None).label("following"),
        tag_names.label("tag_names"),
    ]
    if with_body:
        columns.append(Article.body)
    return select(*columns).join(User, User.id == Article.author_id)


def article_view(row: Row[Any], *, with_body: bool) -> ArticleView:
    return ArticleView(
        slug=row.slug,
        title=row.title,
        description=row.description,
        body=row.body if with_body else None,
        tag_list=tuple(sorted(row.tag_names or ())),
        created_at=row.created_at,
        updated_at=row.updated_at,
        favorited=bool(row.favorited),
        favorites_count=row.favorites_count,
        author=author_view(row),
    )


@dataclass(frozen=True)
class ListShape:
    """Which filters a list applies (their values are bound when it runs)."""

    signed_in: bool
    tag: bool = False
    author: bool = False
    favorited: bool = False
    feed: bool = False

    def __post_init__(self) -> None:
        # The feed's page and total are built for the feed alone (app/counts.py's sum
        # of the followed authors' counts; the newest of each followed author).
        if self.feed and (self.tag or self.author or self.favorited):
            raise ValueError("the feed takes no other filter")


@dataclass(frozen=True)
class _ListStatements:
    page: Select[Any]
    page_with_total: Select[Any]
    total: Select[Any]


def user_id_by_name(name: str) -> ScalarSelect[int]:
    """The id of the user named by the bound parameter `name` (compared lower-cased)."""
    return select(User.id).where(func.lower(User.username) == bindparam(name)).scalar_subquery()


def _newest_of_each_followed_author() -> Select[Any]:
    """The ids of the newest `offset + limit` articles by the authors the viewer follows:
    the newest `offset + limit` of each author, merged and cut again, all from the
    author index (no article row is read to choose them)."""
    followed = (
        select(Follow.followed_id.label("author_id"))
        .where(Follow.follower_id == VIEWER)
        .subquery("followed")
    )
    written = aliased(Article, name="written")
    # In bigint: offset + limit may pass the int4 range that each of them fits.
    wanted = cast(LIMIT, BigInteger) + cast(OFFSET, BigInteger)
    newest = (
        select(written.id, written.created_at)
        .where(written.author_id == followed.c.author_id)
        .order_by(written.created_at.desc(), written.id.desc())
        .limit(wanted)
        .lateral("newest")
    )
    return (
        select(newest.c.id)
        .select_from(followed)
        .join(newest, true())
        .order_by(newest.c.created_at.desc(), newest.c.id.desc())
        .limit(wanted)
    )


def _kept_total(shape: ListShape) -> Select[Any]:
    """The number of articles of an untagged list with at most one filter, from the
    counts the writes keep (app/counts.py)."""
    if shape.author:
        return select(User.articles_count).where(func.lower(User.username) == bindparam("author"))
    if shape.feed:
        followed = select(Follow.followed_id).where(Follow.follower_id == VIEWER)
        return select(func.sum(User.articles_count)).where(User.id.in_(followed))
    return select(Counter.value).where(Counter.name == counts.ARTICLES)


@dataclass(frozen=True)
class _Entries:
    """A table of (article_id, article_created_at) entries that a list walks in the
    order of its index, newest article first: one tag's or one reader's favorites."""

    table: type[ArticleTag] | type[Favorite]
    chosen: ColumnElement[bool]
    # Its number of entries where the writes keep it (app/counts.py).
    kept_total: Select[Any] | None


def _entries(shape: ListShape) -> _Entries | None:
    """The entries a list of that shape walks, if any (else the articles themselves)."""
    if shape.tag:
        tag_id = select(Tag.id).where(Tag.name == bindparam("tag")).scalar_subquery()
        return _Entries(
            table=ArticleTag,
            chosen=ArticleTag.tag_id == tag_id,
            kept_total=select(Tag.articles_count).where(Tag.name == bindparam("tag")),
        )
    if shape.favorited:
        reader = user_id_by_name("favorited")
        return _Entries(table=Favorite, chosen=Favorite.user_id == reader, kept_total=None)
    return None


@functools.cache
def _list_statements(shape: ListShape, *, lateral: bool) -> _ListStatements:
    """The page (with or without the total) and the total of a list of that shape.

    A tag's articles, or a reader's favorites, are read from article_tags or
    favorites in index order (newest article first), so that the page stops after
    `limit` entries however many there are. Where the database has LATERAL joins
    (`lateral`: PostgreSQL), the feed's page is chosen among the newest
    `offset + limit` articles of each followed author, which the author index hands
    over in order: its cost follows the number of follows, not the number of
    articles they wrote.
    """
    entries = _entries(shape)
    filters: list[ColumnElement[bool]] = []
    page_filters: list[ColumnElement[bool]] = []
    if shape.author:
        filters.append(Article.author_id == user_id_by_name("author"))
    if shape.favorited and shape.tag:  # the tag's entries lead; the favorites filter them
        favorites = select(Favorite.article_id).where(
            Favorite.user_id == user_id_by_name("favorited")
        )
        filters.append(Article.id.in_(favorites))
    if shape.feed and lateral:
        # Only the chosen ids: with "by a followed author" beside them, PostgreSQL
        # estimated an author's articles at the average (48 at 1,000,000 articles)
        # and joined every article of prolific followed authors (48,000: 190 ms).
        page_filters.append(Article.id.in_(_newest_of_each_followed_author()))
    elif shape.feed:
        followed = select(Follow.followed_id).where(Follow.follower_id == VIEWER)
        filters.append(Article.author_id.in_(followed))
    if entries is None:
        total = (
            _kept_total(shape)
            if len(filters) <= 1
            else select(func.count()).select_from(Article).where(*filters)
        )
        keys = select(Article.id, Article.created_at).where(*filters, *page_filters)
        order = (Article.created_at.desc(), Article.id.desc())
    else:
        table = entries.table
        filters.insert(0, entries.chosen)
        total = select(func.count()).select_from(table).where(*filters)
        keys = select(table.article_id.label("id"), table.article_created_at.label("created_at"))
        keys = keys.where(*filters)
        if len(filters) > 1:
            total = total.join(Article, Article.id == table.article_id)
            keys = keys.join(Article, Article.id == table.article_id)
        elif entries.kept_total is not None:
            total = entries.kept_total
        order = (table.article_created_at.desc(), table.article_id.desc())
    # The page's ids first, from the index alone; its rows, authors, tags and flags
    # then for those twenty only. In one SELECT, PostgreSQL worked them all out for
    # every row it skipped to reach the offset too (at offset 100, 120 rows' worth).
    chosen = keys.order_by(*order).limit(LIMIT).offset(OFFSET).subquery("chosen")
    page = (
        article_query(signed_in=shape.signed_in, with_body=False)
        .join(chosen, chosen.c.id == Article.id)
        .order_by(chosen.c.created_at.desc(), chosen.c.id.desc())
    )
    return _ListStatements(
        page=page,
        # Uncorrelated: it counts the whole list, not the row it rides on.
        page_with_total=page.add_columns(total.correlate(None).scalar_subquery().label("total")),
        total=total,
    )


def _rows(shape: ListShape, parameters: dict[str, Any]) -> tuple[Sequence[Row[Any]], int]:
    statements = _list_statements(shape, lateral=db.session.get_bind().dialect.name == "postgresql")
    rows = read(statements.page_with_total, parameters).all()
    if rows:
        return rows, rows[0].total
    if parameters["offset"]:
        return rows, read(statements.total, parameters).scalar() or 0
    return rows, 0


def read_page(shape: ListShape, parameters: dict[str, Any]) -> ArticlePage:
    """A page of a list and how many articles it has in all.

    One statement: the total rides along on every row as an uncorrelated subquery
    (PostgreSQL computes it once); only a page past the end, which has no row to
    carry it, costs a second statement.
    """
    rows, total = _rows(shape, parameters)
    return ArticlePage(articles=[article_view(row, with_body=False) for row in rows], total=total)


@functools.cache
def _single_statement(*, signed_in: bool, by: str) -> Select[Any]:
    column = Article.slug if by == "slug" else Article.id
    return article_query(signed_in=signed_in, with_body=True).where(column == bindparam(by))


def read_article(*, viewer_id: int | None, by: str, value: str | int) -> ArticleView | None:
    """One article with its body as `viewer_id` sees it, by "slug" or "article_id".

    By id it is a writer's read-back after a commit, which goes through the ORM
    session: its first statement after a commit is retried on a lost connection
    (app/database.py).
    """
    parameters: dict[str, Any] = {by: value}
    if viewer_id is not None:
        parameters["viewer_id"] = viewer_id
    statement = _single_statement(signed_in=viewer_id is not None, by=by)
    result = (
        read(statement, parameters) if by == "slug" else db.session.execute(statement, parameters)
    )
    row = result.first()
    return None if row is None else article_view(row, with_body=True)


def tag_names(article_id: int) -> list[str]:
    """The article's tags, sorted."""
    return sorted(
        db.session.scalars(
            select(Tag.name)
            .join(ArticleTag, ArticleTag.tag_id == Tag.id)
            .where(ArticleTag.article_id == article_id)
        )
    )
