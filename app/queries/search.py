"""Full-text search: the statements that find articles by their words.

What they read is written by app/queries/search_index.py: a weighted tsvector
in each article's row on PostgreSQL, an FTS5 table on SQLite.

A search ranks a bounded set of candidates: the newest `CANDIDATES` articles that
match (and pass the filters), ordered by relevance, then recency. A common word
matches half a million articles at scale; ranking and counting them all cost
seconds, where reading the newest thousand matches in the creation-time index
costs milliseconds (docs/performance.md). `articlesCount` is therefore at most
`CANDIDATES` (README, "Search").

PostgreSQL may still misjudge a query: a phrase of two common words ("water
music") is rarer than the words together, and the newest-first scan it picks
then reads every article to find a thousand matches (seconds, 32 s cold at
1,000,000 articles). So the search runs under a time limit of its own
(SEARCH_TIME_LIMIT_MS); past it, `SearchTimedOut`, and the caller asks again with a
`windowed` shape: the matches among the newest `window` articles (that pass
the filters), which costs a bounded scan whatever the words.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from psycopg.errors import QueryCanceled
from psycopg.pq import TransactionStatus
from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    Text,
    bindparam,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.elements import ColumnElement

from app import rules
from app.cache import cached, content_key
from app.models import Article, ArticleTag, Favorite, Tag, articles_search
from app.queries import LIMIT, OFFSET
from app.queries.articles import article_query, article_view, user_id_by_name
from app.queries.search_text import MATCH_END, MATCH_START, plain_text, searchable
from app.read_models import ArticleView

CANDIDATES = rules.SEARCH_CANDIDATES
LANGUAGE = bindparam("language", type_=REGCONFIG)
QUERY = bindparam("search", type_=Text)
MATCH = bindparam("match", type_=Text)
WINDOW = bindparam("window", type_=Integer)
# bm25 column weights in the FTS5 table's order: title, description, body, tags.
FTS5_WEIGHTS = (10.0, 4.0, 1.0, 4.0)
# A body's words are kept a day after their last use at most, as rendered bodies are.
WORDS_CACHE_SECONDS = 24 * 3600
SNIPPET_WORDS = 24
HEADLINE_OPTIONS = (
    f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords={SNIPPET_WORDS}, MinWords=12, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchShape:
    """Which filters a search applies beside its words (values bound when it runs)."""

    signed_in: bool
    tag: bool = False
    author: bool = False
    favorited: bool = False
    # Only the newest `window` articles (parameter) are searched (see the docstring).
    windowed: bool = False


class SearchTimedOut(Exception):
    """PostgreSQL did not answer the search within its time limit; the transaction
    is aborted (roll it back before asking again, `windowed`)."""


def _filters(shape: SearchShape) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if shape.tag:
        tag_id = select(Tag.id).where(Tag.name == bindparam("tag")).scalar_subquery()
        filters.append(
            Article.id.in_(select(ArticleTag.article_id).where(ArticleTag.tag_id == tag_id))
        )
    if shape.author:
        filters.append(Article.author_id == user_id_by_name("author"))
    if shape.favorited:
        favorites = select(Favorite.article_id).where(
            Favorite.user_id == user_id_by_name("favorited")
        )
        filters.append(Article.id.in_(favorites))
    return filters


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(Article.created_at.desc(), Article.id.desc()).limit(CANDIDATES)


@dataclass(frozen=True)
class _SearchStatements:
    page: Select[Any]
    total: Select[Any]


def _postgres_matches(shape: SearchShape, query: ColumnElement[Any]) -> Any:
    """The candidates (id, created_at, rank), each ranked with the vector that the
    scan finding it has read (the page's articles and authors are then read for its
    rows only). Ranked above the candidates' LIMIT: PostgreSQL evaluates a cheap
    function below a sort, so a search served by the GIN index and a sort of all
    its matches would otherwise rank every match."""

    def matching(vector: ColumnElement[Any]) -> list[ColumnElement[bool]]:
        # A query of exclusions only ("-word") matches nearly everything and no
        # index serves it: it matches nothing, as on SQLite.
        return [vector.op("@@")(query), func.querytree(query) != "T"]

    if not shape.windowed:
        candidates = _newest_first(
            select(Article.id, Article.created_at, Article.search_vector).where(
                *matching(Article.search_vector), *_filters(shape)
            )
        ).subquery("candidates")
    else:
        # LIMIT inside: no condition on the words is pushed into this scan.
        newest = (
            select(Article.id, Article.created_at, Article.search_vector)
            .where(*_filters(shape))
            .order_by(Article.created_at.desc(), Article.id.desc())
            .limit(WINDOW)
            .subquery("newest")
        )
        candidates = (
            select(newest.c.id, newest.c.created_at, newest.c.search_vector)
            .where(*matching(newest.c.search_vector))
            .order_by(newest.c.created_at.desc(), newest.c.id.desc())
            .limit(CANDIDATES)
            .subquery("candidates")
        )
    rank = func.ts_rank(candidates.c.search_vector, query).label("rank")
    return select(candidates.c.id, candidates.c.created_at, rank).cte("matches")


@functools.cache
def _postgres_statements(shape: SearchShape) -> _SearchStatements:
    query = func.websearch_to_tsquery(LANGUAGE, QUERY)
    matches = _postgres_matches(shape, query)
    total = select(func.count()).select_from(matches)
    chosen = (
        select(matches.c.id, matches.c.rank)
        .order_by(matches.c.rank.desc(), matches.c.created_at.desc(), matches.c.id.desc())
        .limit(LIMIT)
        .offset(OFFSET)
        .subquery("chosen")
    )
    page = (
        article_query(signed_in=shape.signed_in, with_body=False)
        .add_columns(Article.body)
        .join(chosen, chosen.c.id == Article.id)
        .order_by(chosen.c.rank.desc(), Article.created_at.desc(), Article.id.desc())
    )
    return _SearchStatements(
        page=page.add_columns(total.scalar_subquery().label("total")), total=total
    )


@functools.cache
def _sqlite_statements(shape: SearchShape) -> _SearchStatements:
    table = articles_search.c[articles_search.name]
    matches = _newest_first(
        select(
            Article.id,
            (-func.bm25(table, *FTS5_WEIGHTS)).label("rank"),
            func.snippet(table, -1, MATCH_START, MATCH_END, " … ", SNIPPET_WORDS).label("snippet"),
        )
        .join(articles_search, articles_search.c.rowid == Article.id)
        .where(table.op("MATCH")(MATCH), *_filters(shape))
    ).cte("matches")
    total = select(func.count()).select_from(matches)
    page = (
        article_query(signed_in=shape.signed_in, with_body=False)
        .add_columns(matches.c.snippet)
        .join(matches, matches.c.id == Article.id)
        .order_by(matches.c.rank.desc(), Article.created_at.desc(), Article.id.desc())
        .limit(LIMIT)
        .offset(OFFSET)
    )
    return _SearchStatements(
        page=page.add_columns(total.scalar_subquery().label("total")), total=total
    )


@functools.cache
def _headlines_statement() -> Select[Any]:
    texts = (
        func.unnest(bindparam("texts", type_=ARRAY(Text)))
        .table_valued("text", with_ordinality="position")
        .render_derived(name="texts")
    )
    return select(
        func.ts_headline(
            LANGUAGE,
            texts.c.text,
            func.websearch_to_tsquery(LANGUAGE, QUERY),
            literal(HEADLINE_OPTIONS, Text),
        )
    ).order_by(texts.c.position.cast(Integer))


# For the connection's session (third argument false), not only the transaction:
# safe-method requests read on autocommit connections (app/database.py), where
# every statement is a transaction of its own. `search_page` sets them back.
_SET_SESSION = select(
    func.set_config("statement_timeout", bindparam("timeout", type_=Text), False),
    func.set_config("plan_cache_mode", bindparam("plan_cache_mode", type_=Text), False),
)
# A search's plan depends on its words (a common word: the creation-time index read
# backwards; a rare one: the GIN index), which a generic plan cannot see: the app's
# connections may plan generically (DATABASE_PLAN_CACHE_MODE), a search never does.
PLANNED_FOR_ITS_WORDS = "force_custom_plan"


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """What a search on PostgreSQL sets of its connection's session, and what it sets
    back: its own time limit (None: the statement timeout), the statement timeout,
    and the connections' plan cache mode."""

    search_ms: int | None
    statement_ms: int
    plan_cache_mode: str


@dataclass(frozen=True, slots=True)
class Found:
    """A page of matching articles, their snippets (marked up with MATCH_START and
    MATCH_END) when asked for, and how many candidates matched."""

    articles: list[ArticleView]
    snippets: list[str]
    total: int


def search_page(
    connection: Connection,
    shape: SearchShape,
    parameters: dict[str, Any],
    *,
    snippets: bool,
    settings: SessionSettings | None = None,
) -> Found:
    """A page of the articles that match `parameters["search"]`, best first.

    One statement: the page, with the total alongside (as in app/queries/articles.py);
    a page past the end costs a second, and snippets one more: the headlines of the
    page's texts, which are the bodies' words, not their markdown. On PostgreSQL,
    `settings` cost two more: setting the search's own (its plans made for its words,
    its time limit over all its statements), then setting them back. Raises
    SearchTimedOut when PostgreSQL gave up at the time limit.
    """
    if connection.dialect.name != "postgresql":
        return _found(connection, _sqlite_statements(shape), parameters, snippets=snippets)
    statements = _postgres_statements(shape)
    if settings is None:
        return _found(connection, statements, parameters, snippets=snippets)
    _set(connection, settings.search_ms or settings.statement_ms, PLANNED_FOR_ITS_WORDS)
    try:
        return _found(connection, statements, parameters, snippets=snippets)
    except OperationalError as error:
        if settings.search_ms and isinstance(error.orig, QueryCanceled):
            raise SearchTimedOut from error
        raise
    finally:
        _set_back(connection, settings)


def _found(
    connection: Connection,
    statements: _SearchStatements,
    parameters: dict[str, Any],
    *,
    snippets: bool,
) -> Found:
    rows = connection.execute(statements.page, parameters).all()
    if rows:
        total = rows[0].total
    elif parameters["offset"]:
        total = connection.execute(statements.total, parameters).scalar() or 0
    else:
        total = 0
    views = [article_view(row, with_body=False) for row in rows]
    if not snippets or not rows:
        return Found(articles=views, snippets=[], total=total)
    if connection.dialect.name != "postgresql":
        return Found(articles=views, snippets=[row.snippet or "" for row in rows], total=total)
    texts = [f"{searchable(row.description)}\n{_words_of(row.body)}" for row in rows]
    headlines = connection.execute(_headlines_statement(), {**parameters, "texts": texts})
    return Found(articles=views, snippets=list(headlines.scalars()), total=total)


def _words_of(body: str) -> str:
    """The words of `body` for its snippet, kept in the cache by the body's digest.

    Each page of results would otherwise parse every body on it again: a page of
    bodies made of brackets took seconds a body (app/markdown.py).
    """
    return cached(content_key("words", body), lambda: plain_text(body), timeout=WORDS_CACHE_SECONDS)


def _set(connection: Connection, timeout_ms: int, plan_cache_mode: str) -> None:
    parameters = {"timeout": str(timeout_ms), "plan_cache_mode": plan_cache_mode}
    connection.execute(_SET_SESSION, parameters)


def _set_back(connection: Connection, settings: SessionSettings) -> None:
    dbapi_connection: Any = connection.connection.dbapi_connection
    if dbapi_connection.info.transaction_status == TransactionStatus.INERROR:
        # A transaction the cancel aborted: its rollback, which must come first,
        # undoes the settings too.
        return
    _set(connection, settings.statement_ms, settings.plan_cache_mode)
