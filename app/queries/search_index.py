"""Full-text search: writing what it reads of each article.

PostgreSQL keeps each article's words as a weighted tsvector in its row
(`articles.search_vector`, GIN-indexed). The services write it with the row,
where a generated column or a trigger could not: the tags live in another table,
and the body is markdown whose syntax (link targets, `**`, `#`) must not be
searchable, which only Python's markdown parser strips faithfully. The vector
is still built by PostgreSQL (to_tsvector, setweight), from bound values. SQLite
keeps the same text in an FTS5 table (app/models/search.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    Row,
    Text,
    bindparam,
    cast,
    delete,
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

from app.models import Article, ArticleTag, Tag, articles_search
from app.queries.search_text import plain_text, searchable
from app.sql import StringListAggregate

# Articles per batch when the words of existing articles are written (a migration).
FILL_BATCH = 2000
# Weights of the parts of an article: a word in the title counts most.
TITLE, TAGS, DESCRIPTION, BODY = "A", "B", "B", "C"


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
    # A look-up by primary key per tag, as app/queries/articles.py does: a join would
    # have PostgreSQL read every tag for each article of the batch.
    tag_name = select(Tag.name).where(Tag.id == ArticleTag.tag_id).scalar_subquery()
    tag_names = (
        select(StringListAggregate(tag_name))
        .where(ArticleTag.article_id == Article.id)
        .correlate(Article)
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
