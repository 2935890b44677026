"""Articles: listing, the feed, writing, and favorites.

Every read is one statement whatever the page size: the page with each
article's author, favorites count, `favorited`, `following` and tags computed in
SQL, and the number of matching articles alongside.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from flask import current_app
from slugify import slugify
from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Integer,
    Row,
    ScalarSelect,
    Select,
    any_,
    bindparam,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement

from app.exceptions import Forbidden, NotFound
from app.extensions import db
from app.models import Article, ArticleTag, Favorite, Follow, Tag, User
from app.models.base import utcnow
from app.services import cache, marks, rules, tags
from app.services.profiles import author_view, following_expression
from app.services.sql import StringListAggregate, delete_counting, insert_ignoring_duplicates
from app.services.users import UNSET, _Unset
from app.services.views import ArticlePage, ArticleView, ProfileView

T = TypeVar("T")

SLUG_MAX_LENGTH = 200
# How often to try another slug when a concurrent request took the one chosen.
SLUG_ATTEMPTS = 3


# Reading --------------------------------------------------------------------


# The name of the feed's total among the entries cached per viewer.
FEED_TOTAL = "feed-total"

# Read statements are built once per shape and run with bound parameters: building
# a statement of this size cost more Python time per request than running it.
VIEWER = bindparam("viewer_id", type_=Integer)


def _favorited_expression(signed_in: bool) -> ColumnElement[bool]:
    if not signed_in:
        return false()
    return exists().where(Favorite.article_id == Article.id, Favorite.user_id == VIEWER)


@functools.cache
def _article_query(*, signed_in: bool, with_body: bool) -> Select[Any]:
    """One row per article with everything its view needs: author, counts, flags, tags."""
    favorites_count = (
        select(func.count())
        .where(Favorite.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )
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
        Article.id.label("article_id"),
        Article.author_id,
        Article.slug,
        Article.title,
        Article.description,
        Article.created_at,
        Article.updated_at,
        User.username,
        User.bio,
        User.image,
        favorites_count.label("favorites_count"),
        _favorited_expression(signed_in).label("favorited"),
        following_expression(Article.author_id, VIEWER if signed_in else None).label("following"),
        tag_names.label("tag_names"),
    ]
    if with_body:
        columns.append(Article.body)
    return select(*columns).join(User, User.id == Article.author_id)


def _view(row: Row[Any], *, with_body: bool) -> ArticleView:
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


@dataclass(frozen=True, slots=True)
class _SharedEntry:
    """A list item as every viewer sees it (flags unset), with the ids its flags need."""

    article_id: int
    author_id: int
    view: ArticleView


@dataclass(frozen=True, slots=True)
class _SharedPage:
    entries: tuple[_SharedEntry, ...]
    total: int


def _shared_page_name(shape: _ListShape, parameters: dict[str, Any]) -> str | None:
    """The name of this page's shared part in the list cache; None when it is not cached."""
    if shape.feed or not current_app.config["LIST_CACHE_SECONDS"]:
        return None
    # Everything but the viewer decides what the page holds; JSON keeps the values
    # apart whatever characters a tag holds.
    name = json.dumps(
        [parameters.get(field) for field in ("tag", "author", "favorited", "limit", "offset")]
    )
    return f"page:{name}"


def _articles_changed() -> None:
    """Every cached list page is stale: after a commit that changed what lists show."""
    cache.new_generation(cache.ARTICLE_LISTS)


@functools.cache
def _viewer_flags_statement(dialect: str) -> CompoundSelect[Any]:
    """Which of the given articles the viewer favorited, and which authors they follow.

    On PostgreSQL the ids go as two array parameters (`= ANY`): the statement's text
    is then the same for every page, so psycopg prepares it once per connection,
    where an IN list of as many parameters as ids is rendered again per request.
    """
    if dialect == "postgresql":
        article_ids: ColumnElement[bool] = Favorite.article_id == any_(
            bindparam("article_ids", type_=ARRAY(Integer))
        )
        author_ids: ColumnElement[bool] = Follow.followed_id == any_(
            bindparam("author_ids", type_=ARRAY(Integer))
        )
    else:
        article_ids = Favorite.article_id.in_(bindparam("article_ids", expanding=True))
        author_ids = Follow.followed_id.in_(bindparam("author_ids", expanding=True))
    return (
        select(literal(True).label("favorite"), Favorite.article_id.label("id"))
        .where(Favorite.user_id == VIEWER, article_ids)
        .union_all(
            select(literal(False), Follow.followed_id).where(
                Follow.follower_id == VIEWER, author_ids
            )
        )
    )


def _with_viewer_flags(
    page: _SharedPage, viewer_id: int | None, viewer_marks: marks.ViewerMarks | None
) -> ArticlePage:
    """The shared page as `viewer_id` sees it: `favorited` and `following` from the
    viewer's cached marks, or else from one statement."""
    if viewer_id is None or not page.entries:
        return ArticlePage(articles=[entry.view for entry in page.entries], total=page.total)
    if viewer_marks is not None and viewer_marks.complete:
        favorited, followed = viewer_marks.favorited, viewer_marks.followed
    else:
        rows = db.session.execute(
            _viewer_flags_statement(db.session.get_bind().dialect.name),
            {
                "viewer_id": viewer_id,
                "article_ids": sorted({entry.article_id for entry in page.entries}),
                "author_ids": sorted({entry.author_id for entry in page.entries}),
            },
        ).all()
        favorited = frozenset(row.id for row in rows if row.favorite)
        followed = frozenset(row.id for row in rows if not row.favorite)
    # Shared views have both flags unset: only those the viewer changes are copied.
    return ArticlePage(
        articles=[
            _flagged(entry.view, entry.article_id in favorited, entry.author_id in followed)
            for entry in page.entries
        ],
        total=page.total,
    )


def _flagged(view: ArticleView, favorited: bool, following: bool) -> ArticleView:
    if not (favorited or following):
        return view
    return view.with_viewer_flags(favorited=favorited, following=following)


@dataclass(frozen=True)
class _ListShape:
    """Which filters a list applies (their values are bound when it runs)."""

    signed_in: bool
    tag: bool = False
    author: bool = False
    favorited: bool = False
    feed: bool = False


@dataclass(frozen=True)
class _ListStatements:
    page: Select[Any]
    page_with_total: Select[Any]
    total: Select[Any]


def _user_id_by_name(name: str) -> ScalarSelect[int]:
    """The id of the user named by the bound parameter `name` (compared lower-cased)."""
    return select(User.id).where(func.lower(User.username) == bindparam(name)).scalar_subquery()


LIMIT = bindparam("limit", type_=Integer)
OFFSET = bindparam("offset", type_=Integer)


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


@functools.cache
def _list_statements(shape: _ListShape, *, lateral: bool) -> _ListStatements:
    """The page (with or without the total) and the total of a list of that shape.

    A tag's articles are read from article_tags in its index order (newest first),
    so that the page stops after `limit` entries however many the tag has. Where the
    database has LATERAL joins (`lateral`: PostgreSQL), the feed's page is chosen
    among the newest `offset + limit` articles of each followed author, which the
    author index hands over in order: its cost follows the number of follows, not
    the number of articles they wrote.
    """
    filters: list[ColumnElement[bool]] = []
    page_filters: list[ColumnElement[bool]] = []
    if shape.author:
        filters.append(Article.author_id == _user_id_by_name("author"))
    if shape.favorited:
        favorites = select(Favorite.article_id).where(
            Favorite.user_id == _user_id_by_name("favorited")
        )
        filters.append(Article.id.in_(favorites))
    if shape.feed:
        followed = select(Follow.followed_id).where(Follow.follower_id == VIEWER)
        filters.append(Article.author_id.in_(followed))
        if lateral:
            page_filters.append(Article.id.in_(_newest_of_each_followed_author()))
    query = _article_query(signed_in=shape.signed_in, with_body=False)
    if shape.tag:
        tag_id = select(Tag.id).where(Tag.name == bindparam("tag")).scalar_subquery()
        query = query.join(ArticleTag, ArticleTag.article_id == Article.id)
        filters.insert(0, ArticleTag.tag_id == tag_id)
        total = select(func.count()).select_from(ArticleTag).where(*filters)
        if len(filters) > 1:
            total = total.join(Article, Article.id == ArticleTag.article_id)
        order = (ArticleTag.article_created_at.desc(), ArticleTag.article_id.desc())
    else:
        total = select(func.count()).select_from(Article).where(*filters)
        order = (Article.created_at.desc(), Article.id.desc())
    page = query.where(*filters, *page_filters).order_by(*order).limit(LIMIT).offset(OFFSET)
    return _ListStatements(
        page=page,
        page_with_total=page.add_columns(total.scalar_subquery().label("total")),
        total=total,
    )


def _page(shape: _ListShape, parameters: dict[str, Any]) -> ArticlePage:
    """A page of a list and how many articles it has in all.

    With a shared cache, what a page shows every viewer (its articles, authors,
    counts and total) is cached, in a generation that every write changing what
    lists show replaces at once (`_articles_changed`); each request then adds only
    its viewer's `favorited` and `following`, from the viewer's marks, cached the
    same way (app/services/marks.py). The page, the generations and the marks are
    read in one round trip, or taken from this process's copies: a cached page
    costs no statement. The feed is the viewer's own and is never cached.

    Otherwise it is one statement: the total rides along on every row as an
    uncorrelated subquery (PostgreSQL computes it once); only a page past the end,
    which has no row to carry it, costs a second statement.
    """
    name = _shared_page_name(shape, parameters)
    if name is None:
        rows, total = _page_rows(shape, parameters)
        return ArticlePage(articles=[_view(row, with_body=False) for row in rows], total=total)
    timeout = current_app.config["LIST_CACHE_SECONDS"]
    viewer_id: int | None = parameters.get("viewer_id")
    wanted = [(cache.ARTICLE_LISTS, name)]
    if viewer_id is not None:
        wanted.append((marks.marks_family(viewer_id), marks.MARKS_ENTRY))
    (key, cached), *viewer_entry = cache.get_in_generations(wanted, timeout=timeout)
    if isinstance(cached, _SharedPage):
        page = cached
    else:
        rows, total = _page_rows(replace(shape, signed_in=False), parameters)
        page = _SharedPage(
            entries=tuple(
                _SharedEntry(row.article_id, row.author_id, _view(row, with_body=False))
                for row in rows
            ),
            total=total,
        )
        if key is not None:
            cache.put_in_generation(key, page, timeout=timeout)
    if viewer_id is None or not page.entries:
        return _with_viewer_flags(page, viewer_id, None)
    return _with_viewer_flags(page, viewer_id, _cached_marks(viewer_id, *viewer_entry[0], timeout))


def _cached_marks(
    viewer_id: int, key: str | None, cached: object | None, timeout: int
) -> marks.ViewerMarks | None:
    """The viewer's marks as cached, else loaded and cached; None while the cache is down."""
    if isinstance(cached, marks.ViewerMarks):
        return cached
    if key is None:
        return None
    loaded = marks.load_marks(viewer_id)
    cache.put_in_generation(key, loaded, timeout=timeout)
    return loaded


def _lateral_joins() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _page_rows(shape: _ListShape, parameters: dict[str, Any]) -> tuple[Sequence[Row[Any]], int]:
    statements = _list_statements(shape, lateral=_lateral_joins())
    rows = db.session.execute(statements.page_with_total, parameters).all()
    if rows:
        return rows, rows[0].total
    if parameters["offset"]:
        return rows, db.session.scalar(statements.total, parameters) or 0
    return rows, 0


def list_articles(
    *,
    viewer_id: int | None,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> ArticlePage:
    """Articles newest first, filtered by tag, author and/or the user who favorited them."""
    if not all(rules.can_match(value) for value in (tag, author, favorited) if value is not None):
        return ArticlePage(articles=[], total=0)
    shape = _ListShape(
        signed_in=viewer_id is not None,
        tag=tag is not None,
        author=author is not None,
        favorited=favorited is not None,
    )
    parameters: dict[str, Any] = {"limit": limit, "offset": offset}
    if viewer_id is not None:
        parameters["viewer_id"] = viewer_id
    if tag is not None:
        parameters["tag"] = tag
    if author is not None:
        parameters["author"] = author.lower()
    if favorited is not None:
        parameters["favorited"] = favorited.lower()
    return _page(shape, parameters)


def feed_articles(*, viewer_id: int, limit: int = 20, offset: int = 0) -> ArticlePage:
    """Articles by the authors `viewer_id` follows, newest first.

    The page is the viewer's own and always read from the database. Its total
    counts every article of every followed author (12,000 index entries for 40
    prolific authors, most of the statement's time), yet changes only when those
    articles or the viewer's follows do: with a shared cache it is cached under
    both generations, the article lists' and the viewer's marks'.
    """
    shape = _ListShape(signed_in=True, feed=True)
    parameters: dict[str, Any] = {"viewer_id": viewer_id, "limit": limit, "offset": offset}
    timeout = current_app.config["LIST_CACHE_SECONDS"]
    if not timeout:
        return _page(shape, parameters)
    families = (cache.ARTICLE_LISTS, marks.marks_family(viewer_id))
    ((key, total),) = cache.get_in_generations([(families, FEED_TOTAL)], timeout=timeout)
    if isinstance(total, int):
        statements = _list_statements(shape, lateral=_lateral_joins())
        rows = db.session.execute(statements.page, parameters).all()
    else:
        rows, total = _page_rows(shape, parameters)
        if key is not None:
            cache.put_in_generation(key, total, timeout=timeout)
    return ArticlePage(articles=[_view(row, with_body=False) for row in rows], total=total)


@functools.cache
def _single_statement(*, signed_in: bool, by: str) -> Select[Any]:
    column = Article.slug if by == "slug" else Article.id
    return _article_query(signed_in=signed_in, with_body=True).where(column == bindparam(by))


def _single_view(
    *, viewer_id: int | None, slug: str | None = None, article_id: int | None = None
) -> ArticleView:
    by, value = ("slug", slug) if article_id is None else ("article_id", article_id)
    parameters: dict[str, Any] = {by: value}
    if viewer_id is not None:
        parameters["viewer_id"] = viewer_id
    statement = _single_statement(signed_in=viewer_id is not None, by=by)
    row = db.session.execute(statement, parameters).first()
    if row is None:
        raise NotFound("article")
    return _view(row, with_body=True)


def get_article(*, slug: str, viewer_id: int | None) -> ArticleView:
    """One article with its body, as `viewer_id` sees it."""
    if not rules.can_match(slug):
        raise NotFound("article")
    return _single_view(viewer_id=viewer_id, slug=slug)


def load_article(slug: str) -> Article:
    """The article at `slug`, or NotFound."""
    if not rules.can_match(slug):
        raise NotFound("article")
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        raise NotFound("article")
    return article


def require_author(article: Article, actor: User) -> None:
    """Raise Forbidden unless `actor` wrote `article`."""
    if article.author_id != actor.id:
        raise Forbidden.on("article", "only the author may change this article")


# Writing --------------------------------------------------------------------


def article_gone(article_id: int) -> bool:
    """Whether the article `article_id` no longer exists (a concurrent request deleted it)."""
    return not db.session.scalar(select(exists().where(Article.id == article_id)))


@contextmanager
def writing_to_article(article_id: int) -> Iterator[None]:
    """Commit what the block writes about the article `article_id`, which it loaded.

    A concurrent request may delete the article between that load and this write:
    the new row's foreign key then finds no article (IntegrityError), or the
    article's UPDATE no row (StaleDataError). Such a write lost the race to a
    deletion and raises NotFound, as it would have a moment later; any other
    refusal is raised as it is.
    """
    try:
        yield
        db.session.commit()
    except (IntegrityError, StaleDataError) as error:
        db.session.rollback()
        if article_gone(article_id):
            raise NotFound("article") from error
        raise


def slug_base(title: str) -> str:
    """The readable part of a slug; never empty, even for a title of symbols only."""
    return slugify(title, max_length=SLUG_MAX_LENGTH, word_boundary=True) or "article"


def _choose_slug(title: str, *, attempt: int, current: str | None = None) -> str:
    base = slug_base(title)
    # A reserved word is taken by a route, as a used slug is by its article.
    free = base not in rules.RESERVED_SLUGS
    if free and base == current:
        return base
    if (
        free
        and attempt == 0
        and not db.session.scalar(select(exists().where(Article.slug == base)))
    ):
        return base
    # A random suffix rather than a counter: no loop of look-ups, no guessable order.
    return f"{base}-{secrets.token_hex(3)}"


def _retrying_slug_conflicts(write: Callable[[int], T], *, article_id: int | None = None) -> T:
    """Run `write(attempt)` and commit; when a concurrent request took the slug (or
    created the same new tag) first, roll back and run the whole write again.

    A write to the existing article `article_id` that finds it deleted meanwhile
    raises NotFound instead (see `writing_to_article`).
    """
    for attempt in range(SLUG_ATTEMPTS):
        try:
            if article_id is None:
                result = write(attempt)
                db.session.commit()
            else:
                with writing_to_article(article_id):
                    result = write(attempt)
        except IntegrityError:
            db.session.rollback()
            if attempt == SLUG_ATTEMPTS - 1:
                raise
        else:
            return result
    raise AssertionError("unreachable")


def _set_tags(article: Article, names: Sequence[str]) -> None:
    names = sorted(set(names))
    if not names:
        return
    insert_ignoring_duplicates(db.session, Tag, [{"name": name} for name in names])
    tag_ids = db.session.scalars(select(Tag.id).where(Tag.name.in_(names))).all()
    db.session.execute(
        insert(ArticleTag),
        [
            {"article_id": article.id, "tag_id": tag_id, "article_created_at": article.created_at}
            for tag_id in tag_ids
        ],
    )


def create_article(
    *, actor: User, title: str, description: str, body: str, tag_list: Sequence[str] = ()
) -> ArticleView:
    """Publish an article by `actor`."""
    now = utcnow()

    def write(attempt: int) -> Article:
        article = Article(
            slug=_choose_slug(title, attempt=attempt),
            title=title,
            description=description,
            body=body,
            author_id=actor.id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(article)
        db.session.flush()
        _set_tags(article, tag_list)
        return article

    article = _retrying_slug_conflicts(write)
    _articles_changed()
    if tag_list:
        tags.forget_tags()
    return ArticleView(
        slug=article.slug,
        title=title,
        description=description,
        body=body,
        tag_list=tuple(sorted(set(tag_list))),
        created_at=now,
        updated_at=now,
        favorited=False,
        favorites_count=0,
        author=ProfileView(
            username=actor.username, bio=actor.bio, image=actor.image, following=False
        ),
    )


def update_article(
    *,
    actor: User,
    slug: str,
    title: str | _Unset = UNSET,
    description: str | _Unset = UNSET,
    body: str | _Unset = UNSET,
    tag_list: Sequence[str] | _Unset = UNSET,
) -> ArticleView:
    """Change the given fields of the article at `slug`; only its author may.

    A new title gives a new slug, as the RealWorld spec asks.
    """
    loaded = load_article(slug)
    require_author(loaded, actor)
    article_id = loaded.id

    def write(attempt: int) -> Article:
        # The loaded article itself on the first attempt; read again after a rollback.
        article = db.session.get(Article, article_id)
        if article is None:
            raise NotFound("article")
        changed = False
        if isinstance(title, str) and title != article.title:
            article.slug = _choose_slug(title, attempt=attempt, current=article.slug)
            article.title = title
            changed = True
        if isinstance(description, str) and description != article.description:
            article.description = description
            changed = True
        if isinstance(body, str) and body != article.body:
            article.body = body
            changed = True
        retagged = not isinstance(tag_list, _Unset)
        if changed or retagged:
            article.updated_at = utcnow()
        if retagged:
            # The article's row first, then its tags' rows: the order in which a deletion
            # locks them (its cascade comes second). Taken the other way round, an update
            # of tags and a deletion of the article deadlocked on PostgreSQL.
            db.session.flush()
            db.session.execute(delete(ArticleTag).where(ArticleTag.article_id == article.id))
            _set_tags(article, tag_list)
        return article

    _retrying_slug_conflicts(write, article_id=article_id)
    _articles_changed()
    if not isinstance(tag_list, _Unset):
        tags.forget_tags()
    return _single_view(viewer_id=actor.id, article_id=article_id)


def delete_article(*, actor: User, slug: str) -> None:
    """Delete the article at `slug` with its comments, tags and favorites; only its author may."""
    article = load_article(slug)
    require_author(article, actor)
    if not delete_counting(db.session, delete(Article).where(Article.id == article.id)):
        # A concurrent request deleted it first: this deletion lost the race.
        db.session.rollback()
        raise NotFound("article")
    db.session.commit()
    _articles_changed()
    tags.forget_tags()


def favorite_article(*, actor: User, slug: str) -> ArticleView:
    """Mark the article as a favorite of `actor`; twice is the same as once."""
    article = load_article(slug)
    with writing_to_article(article.id):
        insert_ignoring_duplicates(
            db.session, Favorite, [{"user_id": actor.id, "article_id": article.id}]
        )
    _articles_changed()
    marks.marks_changed(actor.id)
    return _single_view(viewer_id=actor.id, article_id=article.id)


def unfavorite_article(*, actor: User, slug: str) -> ArticleView:
    """Remove the article from `actor`'s favorites; twice is the same as once."""
    article = load_article(slug)
    db.session.execute(
        delete(Favorite).where(Favorite.user_id == actor.id, Favorite.article_id == article.id)
    )
    db.session.commit()
    _articles_changed()
    marks.marks_changed(actor.id)
    return _single_view(viewer_id=actor.id, article_id=article.id)
