"""Full-text search: the statements that write an article's searchable words and
that find articles by them.

PostgreSQL keeps each article's words as a weighted tsvector in its row
(`articles.search_vector`, GIN-indexed). The services write it with the row rather
than a generated column or a trigger could: the tags live in another table, and
the body is markdown whose syntax (link targets, `**`, `#`) must not be
searchable, which only Python's markdown parser strips faithfully. SQLite keeps
the same text in an FTS5 table (app/models/search.py).

A search ranks a bounded set of candidates: the newest `CANDIDATES` articles that
match (and pass the filters), ordered by relevance, then recency. A common word
matches half a million articles at scale; ranking and counting them all cost
seconds, where reading the newest thousand matches in the creation-time index
costs milliseconds. `articlesCount` is therefore at most `CANDIDATES`
(README, "Search").
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
    cast,
    delete,
    desc,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import UserDefinedType

from app.models import Article, ArticleTag, Favorite, Tag, articles_search
from app.queries.articles import LIMIT, OFFSET, article_query, article_view, user_id_by_name
from app.queries.search_text import MATCH_END, MATCH_START, plain_text, searchable
from app.services.views import ArticleView
from app.sql import StringListAggregate

# Articles per batch when the words of existing articles are written (a migration).
FILL_BATCH = 2000
# How many of the newest matching articles a search ranks (and counts).
CANDIDATES = 1000
LANGUAGE = bindparam("language", type_=REGCONFIG)
QUERY = bindparam("search", type_=Text)
MATCH = bindparam("match", type_=Text)
# Weights of the parts of an article: a word in the title counts most.
TITLE, TAGS, DESCRIPTION, BODY = "A", "B", "B", "C"
# bm25 column weights in the FTS5 table's order: title, description, body, tags.
FTS5_WEIGHTS = (10.0, 4.0, 1.0, 4.0)
SNIPPET_WORDS = 24
HEADLINE_OPTIONS = (
    f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords={SNIPPET_WORDS}, MinWords=12, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


@dataclass(frozen=True, slots=True)
class Document:
    """What search reads of an article: its title, description, body text and tags."""

    title: str
    description: str
    body: str
    tags: Sequence[str]

    @classmethod
    def of(cls, *, title: str, description: str, body: str, tags: Sequence[str]) -> Document:
        """The document of an article whose body is `body` (markdown)."""
        return cls(
            title=searchable(title),
            description=searchable(description),
            body=plain_text(body),
            tags=sorted(tags),
        )


# --- writing --------------------------------------------------------------------------


def _vector(
    language: str, title: Any, tags: Any, description: Any, body: Any
) -> ColumnElement[Any]:
    """The weighted tsvector of an article's parts (SQL expressions) in `language`."""
    config = literal(language, REGCONFIG)
    parts = ((title, TITLE), (tags, TAGS), (description, DESCRIPTION), (body, BODY))
    vectors = [
        func.setweight(func.to_tsvector(config, text), cast(literal(weight), _Weight()))
        for text, weight in parts
    ]
    vector = vectors[0]
    for part in vectors[1:]:
        vector = vector.op("||")(part)
    return vector


class _Weight(UserDefinedType[str]):
    """PostgreSQL's one-byte `"char"`, the type of setweight's weight (no varchar casts to it)."""

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return '"char"'


def _fts_row(article_id: int, document: Document) -> dict[str, Any]:
    return {
        "rowid": article_id,
        "title": document.title,
        "description": document.description,
        "body": document.body,
        "tags": " ".join(document.tags),
    }


def write_document(
    session: Session | Connection, article_id: int, document: Document, language: str
) -> None:
    """Store what search reads of the article `article_id`, in the current transaction."""
    if _dialect(session) == "postgresql":
        vector = _vector(
            language,
            literal(document.title, Text),
            literal(" ".join(document.tags), Text),
            literal(document.description, Text),
            literal(document.body, Text),
        )
        session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(search_vector=vector)
            .execution_options(synchronize_session=False)
        )
        return
    # The rowid may be one a deleted article had (SQLite reuses the highest).
    session.execute(delete(articles_search).where(articles_search.c.rowid == article_id))
    session.execute(insert(articles_search).values(_fts_row(article_id, document)))


def _dialect(session: Session | Connection) -> str:
    if isinstance(session, Connection):
        return session.dialect.name
    return session.get_bind().dialect.name


def _write_batch(connection: Connection, rows: Sequence[Row[Any]], language: str) -> None:
    """Write the documents of `rows` (id, title, description, body, tags)."""
    documents = [
        (
            row.id,
            Document.of(
                title=row.title, description=row.description, body=row.body, tags=row.tags or ()
            ),
        )
        for row in rows
    ]
    if connection.dialect.name != "postgresql":
        ids = [article_id for article_id, _ in documents]
        connection.execute(delete(articles_search).where(articles_search.c.rowid.in_(ids)))
        connection.execute(
            insert(articles_search), [_fts_row(article_id, doc) for article_id, doc in documents]
        )
        return
    # One UPDATE from arrays: one statement per batch, not one per article.
    columns = ("id", "title", "tags", "description", "body")
    rows_in = (
        func.unnest(
            bindparam("ids", type_=ARRAY(Integer)),
            *(bindparam(f"{name}s", type_=ARRAY(Text)) for name in columns[1:]),
        )
        .table_valued(*columns)
        .render_derived(name="documents")
    )
    table = Article.__table__
    statement = (
        update(table)
        .where(table.c.id == rows_in.c.id)
        .values(
            search_vector=_vector(
                language,
                rows_in.c.title,
                rows_in.c.tags,
                rows_in.c.description,
                rows_in.c.body,
            )
        )
    )
    connection.execute(
        statement,
        {
            "ids": [article_id for article_id, _ in documents],
            "titles": [doc.title for _, doc in documents],
            "tagss": [" ".join(doc.tags) for _, doc in documents],
            "descriptions": [doc.description for _, doc in documents],
            "bodys": [doc.body for _, doc in documents],
        },
    )


def fill_documents(connection: Connection, *, language: str, batch_size: int | None = None) -> int:
    """Write every article's searchable words, `batch_size` articles per transaction;
    return how many were written.

    For a migration or a bulk load of existing rows: each batch commits on its own
    (or each statement, on an autocommit connection), so that no lock is held on the
    table for longer than a batch takes. Articles are
    read in id order from after the last batch's (keyset, no OFFSET to skip over).
    """
    tag_names = (
        select(StringListAggregate(Tag.name))
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == Article.id)
        .scalar_subquery()
    )
    batch = (
        select(
            Article.id, Article.title, Article.description, Article.body, tag_names.label("tags")
        )
        .where(Article.id > bindparam("after"))
        .order_by(Article.id)
        .limit(batch_size or FILL_BATCH)
    )
    # In a migration's autocommit block every statement commits as it ends.
    autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    written, after = 0, 0
    while True:
        rows = connection.execute(batch, {"after": after}).all()
        if not rows:
            return written
        _write_batch(connection, rows, language)
        if not autocommit:
            connection.commit()
        written += len(rows)
        after = rows[-1].id


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
