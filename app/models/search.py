"""SQLite's search index: an FTS5 table of each article's searchable text.

PostgreSQL keeps an article's words in its own row (Article.search_vector). SQLite
has no such type: its full-text search is a virtual table, one row per article
whose rowid is the article's id, written by the services beside the article
(app/queries/search_index.py). A trigger removes an article's row when the article goes,
whoever deletes it (an author, or the cascade of an account's deletion).

The table is not part of the models' metadata: `create_all` could only make a plain
table of it. It is created after the articles table, on SQLite only, and described
here as a Core table for the statements that read and write it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import DDL, Column, Integer, MetaData, Table, Text, event

from app.models.article import Article

SEARCH_TABLE_NAME = "articles_search"
# English stemming (Porter) over Unicode words, accents folded: FTS5 has no other
# stemmer, whatever SEARCH_LANGUAGE says (README, "Search").
TOKENIZER = "porter unicode61 remove_diacritics 2"

articles_search = Table(
    SEARCH_TABLE_NAME,
    MetaData(),
    Column("rowid", Integer, primary_key=True),
    Column("title", Text),
    Column("description", Text),
    Column("body", Text),
    Column("tags", Text),
    # FTS5's hidden column named after the table: the left side of MATCH, and the
    # first argument of its functions (bm25, snippet).
    Column(SEARCH_TABLE_NAME, Text),
)

# DDL has no SQLAlchemy construct for a virtual table or a trigger: these are fixed
# statements without any value in them.
CREATE_STATEMENTS = (
    f"CREATE VIRTUAL TABLE {SEARCH_TABLE_NAME} USING fts5("
    f"title, description, body, tags, tokenize='{TOKENIZER}')",
    f"CREATE TRIGGER {SEARCH_TABLE_NAME}_forget AFTER DELETE ON articles "
    f"BEGIN DELETE FROM {SEARCH_TABLE_NAME} WHERE rowid = old.id; END",
)
DROP_STATEMENTS = (
    f"DROP TRIGGER IF EXISTS {SEARCH_TABLE_NAME}_forget",
    f"DROP TABLE IF EXISTS {SEARCH_TABLE_NAME}",
)


# PostgreSQL's index of Article.search_vector: no other database has it.
POSTGRES_INDEX = "ix_articles_search_vector"


def in_schema_comparison(dialect: str) -> Callable[..., bool]:
    """An alembic `include_object` for `dialect`: the FTS5 tables are no model's, and
    the GIN index is PostgreSQL's only (autogenerate must offer to drop neither)."""

    def include(_object: object, name: str | None, kind: str, *_: object) -> bool:
        if kind == "table":
            return not is_search_index_table(name)
        return not (kind == "index" and name == POSTGRES_INDEX and dialect != "postgresql")

    return include


def is_search_index_table(name: str | None) -> bool:
    """Whether `name` is the FTS5 table or one of the tables FTS5 keeps behind it."""
    return name is not None and (
        name == SEARCH_TABLE_NAME or name.startswith(f"{SEARCH_TABLE_NAME}_")
    )


for _statement in CREATE_STATEMENTS:
    event.listen(Article.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in DROP_STATEMENTS:
    event.listen(Article.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
