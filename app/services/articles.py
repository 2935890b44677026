"""Articles: listing, the feed and writing (favorites: app/services/favorites.py).

The statements that read articles are in app/queries/articles.py; these are the
use cases both surfaces call.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from slugify import slugify
from sqlalchemy import delete, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import counts, rules
from app.exceptions import Forbidden, NotFound, Unauthorized
from app.extensions import db
from app.models import Article, ArticleTag, Tag, User
from app.models.base import utcnow
from app.queries import articles as queries
from app.queries import comment_lists
from app.queries.articles import ListShape
from app.read_models import ArticlePage, ArticleView, ProfileView
from app.services import search, tags
from app.services.users import UNSET, _Unset
from app.sql import insert_ignoring_duplicates

T = TypeVar("T")

SLUG_MAX_LENGTH = 200
# How often to try another slug when a concurrent request took the one chosen.
SLUG_ATTEMPTS = 3


# Reading --------------------------------------------------------------------


def list_articles(
    *,
    viewer_id: int | None,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
    limit: int = 20,
    offset: int = 0,
    search_query: str | None = None,
) -> ArticlePage:
    """Articles newest first, filtered by tag, author and/or the user who favorited them.

    With `search_query`, only the articles matching it, best match first
    (app/services/search.py).
    """
    if search_query is not None:
        found = search.search_articles(
            viewer_id=viewer_id,
            query=search_query,
            tag=tag,
            author=author,
            favorited=favorited,
            limit=limit,
            offset=offset,
        )
        return ArticlePage(articles=found.articles, total=found.total)
    if not all(rules.can_match(value) for value in (tag, author, favorited) if value is not None):
        return ArticlePage(articles=[], total=0)
    shape = ListShape(
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
    return queries.read_page(shape, parameters)


def feed_articles(*, viewer_id: int, limit: int = 20, offset: int = 0) -> ArticlePage:
    """Articles by the authors `viewer_id` follows, newest first."""
    return queries.read_page(
        ListShape(signed_in=True, feed=True),
        {"viewer_id": viewer_id, "limit": limit, "offset": offset},
    )


def read_back(article_id: int, viewer_id: int) -> ArticleView:
    """The article `article_id` as its writer sees it after a write."""
    view = queries.read_article(viewer_id=viewer_id, by="article_id", value=article_id)
    if view is None:
        raise NotFound("article")
    return view


def get_article(*, slug: str, viewer_id: int | None) -> ArticleView:
    """One article with its body, as `viewer_id` sees it."""
    view = None
    if rules.can_match(slug):
        view = queries.read_article(viewer_id=viewer_id, by="slug", value=slug)
    if view is None:
        raise NotFound("article")
    return view


def load_article(slug: str) -> Article:
    """The article at `slug`, or NotFound."""
    if not rules.can_match(slug):
        raise NotFound("article")
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        raise NotFound("article")
    return article


def require_author(article: Article, actor_id: int) -> None:
    """Raise Forbidden unless the account `actor_id` wrote `article`."""
    if article.author_id != actor_id:
        raise Forbidden.on("article", "only the author may change this article")


# Writing --------------------------------------------------------------------


def article_gone(article_id: int) -> bool:
    """Whether the article `article_id` no longer exists (a concurrent request deleted it)."""
    return not db.session.scalar(select(exists().where(Article.id == article_id)))


@contextmanager
def writing_to_article(article_id: int, *, actor_id: int | None = None) -> Iterator[None]:
    """Commit what the block writes about the article `article_id`, which it loaded.

    A concurrent request may delete the article between that load and this write:
    the new row's foreign key then finds no article (IntegrityError), or the
    article's UPDATE no row (StaleDataError). Such a write lost the race to a
    deletion and raises NotFound, as it would have a moment later; one whose actor
    `actor_id` was deleted meanwhile (in another tab) raises Unauthorized; any
    other refusal is raised as it is.
    """
    try:
        yield
        db.session.commit()
    except (IntegrityError, StaleDataError) as error:
        db.session.rollback()
        if article_gone(article_id):
            raise NotFound("article") from error
        if actor_id is not None and db.session.get(User, actor_id) is None:
            raise Unauthorized.account_gone() from error
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


def _set_tags(article: Article, names: Sequence[str]) -> list[int]:
    """Tag the article with `names` (it has no tags yet); return the tags' ids."""
    names = sorted(set(names))
    if not names:
        return []
    insert_ignoring_duplicates(db.session, Tag, [{"name": name} for name in names])
    tag_ids = list(db.session.scalars(select(Tag.id).where(Tag.name.in_(names))))
    db.session.execute(
        insert(ArticleTag),
        [
            {"article_id": article.id, "tag_id": tag_id, "article_created_at": article.created_at}
            for tag_id in tag_ids
        ],
    )
    return tag_ids


def create_article(
    *, actor: User, title: str, description: str, body: str, tag_list: Sequence[str] = ()
) -> ArticleView:
    """Publish an article by `actor`."""
    now = utcnow()
    # Read before writing: the account may be deleted (in another tab) meanwhile.
    actor_id = actor.id
    author = ProfileView(username=actor.username, bio=actor.bio, image=actor.image, following=False)

    def write(attempt: int) -> Article:
        if not counts.count_authored(db.session, actor_id, 1):
            # Deleted by a concurrent request (another tab) before this one wrote.
            raise Unauthorized.account_gone()
        article = Article(
            slug=_choose_slug(title, attempt=attempt),
            title=title,
            description=description,
            body=body,
            author_id=actor_id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(article)
        db.session.flush()
        counts.count_tag_uses(db.session, dict.fromkeys(_set_tags(article, tag_list), 1))
        counts.count_articles(db.session, 1)
        search.index_article(
            article.id, title=title, description=description, body=body, tags=sorted(set(tag_list))
        )
        return article

    article = _retrying_slug_conflicts(write)
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
        author=author,
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
    require_author(loaded, actor.id)
    article_id = loaded.id

    def write(attempt: int) -> bool:
        # The loaded article itself on the first attempt; read again after a rollback.
        article = db.session.get(Article, article_id)
        if article is None:
            raise NotFound("article")
        changed = False
        if isinstance(title, str) and title != article.title:
            # A title recased or repunctuated keeps its slug, suffix and all.
            if slug_base(title) != slug_base(article.title):
                article.slug = _choose_slug(title, attempt=attempt, current=article.slug)
            article.title = title
            changed = True
        if isinstance(description, str) and description != article.description:
            article.description = description
            changed = True
        if isinstance(body, str) and body != article.body:
            article.body = body
            changed = True
        # The editor sends every field: tags equal to the stored ones are no change.
        new_tags = None if isinstance(tag_list, _Unset) else sorted(set(tag_list))
        retagged = new_tags is not None and new_tags != queries.tag_names(article.id)
        if changed or retagged:
            article.updated_at = utcnow()
            # The article's row first, then its tags' rows: the order in which a deletion
            # locks them (its cascade comes second). Taken the other way round, an update
            # of tags and a deletion of the article deadlocked on PostgreSQL.
            db.session.flush()
        if retagged:
            removed = db.session.scalars(
                delete(ArticleTag)
                .where(ArticleTag.article_id == article.id)
                .returning(ArticleTag.tag_id)
            ).all()
            changes = dict.fromkeys(removed, -1)
            for tag_id in _set_tags(article, tag_list):
                changes[tag_id] = changes.get(tag_id, 0) + 1
            counts.count_tag_uses(db.session, changes)
        if changed or retagged:
            search.index_article(
                article.id,
                title=article.title,
                description=article.description,
                body=article.body,
                tags=queries.tag_names(article.id) if new_tags is None else new_tags,
            )
        return retagged

    retagged = _retrying_slug_conflicts(write, article_id=article_id)
    if retagged:
        tags.forget_tags()
    view = read_back(article_id, actor.id)
    if view.slug != slug:
        comment_lists.forget_comment_lists([slug, view.slug])
    return view


def delete_article(*, actor: User, slug: str) -> None:
    """Delete the article at `slug` with its comments, tags and favorites; only its author may."""
    article = load_article(slug)
    require_author(article, actor.id)
    article_id = article.id
    # The author's row, then the article's (app/counts.py): a concurrent deletion
    # waits, then finds nothing (NotFound: it lost the race). Matched by its slug too:
    # on SQLite an article deleted since the load may have left its id to a new one.
    locked = counts.count_authored(db.session, article.author_id, -1) and db.session.scalar(
        select(Article.id).where(Article.id == article_id, Article.slug == slug).with_for_update()
    )
    if not locked:
        db.session.rollback()
        raise NotFound("article")
    # Its tags counted as they are deleted, in the transaction (SQLite reads before
    # its first write outside of it).
    untagged = db.session.scalars(
        delete(ArticleTag).where(ArticleTag.article_id == article_id).returning(ArticleTag.tag_id)
    ).all()
    db.session.execute(delete(Article).where(Article.id == article_id))
    counts.count_tag_uses(db.session, dict.fromkeys(untagged, -1))
    counts.count_articles(db.session, -1)
    db.session.commit()
    tags.forget_tags()
    comment_lists.forget_comment_lists([slug])
