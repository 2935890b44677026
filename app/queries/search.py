"""Full-text search: the statements that find articles by their words.

What they read is written by app/queries/search_index.py: a weighted tsvector
in each article's row on PostgreSQL, an FTS5 table on SQLite.

A search ranks a bounded set of candidates: the newest `CANDIDATES` articles that
match (and pass the filters), ordered by relevance, then recency. A common word
matches half a million articles at scale; ranking and counting them all cost
seconds, where reading the newest thousand matches in the creation-time index
costs milliseconds (docs/performance.md). `articlesCount` is therefore at most
`CANDIDATES` (README, "Search").
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    Row,
    Select,
    Text,
    bindparam,
    desc,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from app.models import Article, ArticleTag, Favorite, Tag, articles_search
from app.queries.articles import LIMIT, OFFSET, article_query, article_view, user_id_by_name
from app.queries.search_text import MATCH_END, MATCH_START, plain_text, searchable
from app.services import rules
from app.services.views import ArticleView

CANDIDATES = rules.SEARCH_CANDIDATES
LANGUAGE = bindparam("language", type_=REGCONFIG)
QUERY = bindparam("search", type_=Text)
MATCH = bindparam("match", type_=Text)
# bm25 column weights in the FTS5 table's order: title, description, body, tags.
FTS5_WEIGHTS = (10.0, 4.0, 1.0, 4.0)
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


@functools.cache
def _postgres_statements(shape: SearchShape) -> _SearchStatements:
    query = func.websearch_to_tsquery(LANGUAGE, QUERY)
    matches = _newest_first(
        select(Article.id).where(
            Article.search_vector.op("@@")(query),
            # A query of exclusions only ("-word") matches nearly everything and no
            # index serves it: it matches nothing, as on SQLite.
            func.querytree(query) != "T",
            *_filters(shape),
        )
    ).cte("matches")
    rank = func.ts_rank(Article.search_vector, query)
    total = select(func.count()).select_from(matches)
    page = (
        article_query(signed_in=shape.signed_in, with_body=False)
        .add_columns(Article.body)
        .join(matches, matches.c.id == Article.id)
        .order_by(desc(rank), Article.created_at.desc(), Article.id.desc())
        .limit(LIMIT)
        .offset(OFFSET)
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
) -> Found:
    """A page of the articles that match `parameters["search"]`, best first.

    One statement: the page, with the total alongside (as in app/queries/articles.py);
    a page past the end costs a second. On PostgreSQL snippets cost one more: the
    headlines of the page's texts, which are the bodies' words, not their markdown.
    """
    postgres = connection.dialect.name == "postgresql"
    statements = (_postgres_statements if postgres else _sqlite_statements)(shape)
    rows: Sequence[Row[Any]] = connection.execute(statements.page, parameters).all()
    if rows:
        total = rows[0].total
    elif parameters["offset"]:
        total = connection.execute(statements.total, parameters).scalar() or 0
    else:
        total = 0
    views = [article_view(row, with_body=False) for row in rows]
    if not snippets or not rows:
        return Found(articles=views, snippets=[], total=total)
    if not postgres:
        return Found(articles=views, snippets=[row.snippet or "" for row in rows], total=total)
    texts = [f"{searchable(row.description)}\n{plain_text(row.body)}" for row in rows]
    headlines = connection.execute(_headlines_statement(), {**parameters, "texts": texts})
    return Found(articles=views, snippets=list(headlines.scalars()), total=total)
