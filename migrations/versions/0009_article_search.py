"""Full-text search: each article's searchable words.

PostgreSQL: a weighted tsvector column on articles (nullable, so adding it rewrites
nothing), filled for the existing articles in batches that each commit on their
own, then a GIN index built CONCURRENTLY: neither holds a lock that stops the
articles from being read or written for longer than a batch. SQLite: the FTS5 table
and its trigger (app/models/search.py), filled the same way.

The batches compute each body's text with the app's markdown parser
(app/queries/search_index.py, `fill_documents`): SQL cannot strip markdown faithfully.
An article written by the previous release while this runs, after its batch, is
filled by a later batch if it is new; an edit of an earlier one shows in search
once it is edited again (or after `flask search reindex`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 00:00:00

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from app.models.search import CREATE_STATEMENTS, DROP_STATEMENTS
from app.queries.search_index import fill_documents

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# As in 0005: SQLite adds and drops the column in place (no copy of the table).
IN_PLACE = "never"
INDEX = "ix_articles_search_vector"


def _fill() -> None:
    fill_documents(op.get_bind(), language=current_app.config["SEARCH_LANGUAGE"])


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    column_type = postgresql.TSVECTOR() if postgres else sa.Text()
    with op.batch_alter_table("articles", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(sa.Column("search_vector", column_type, nullable=True))
    if not postgres:
        for statement in CREATE_STATEMENTS:
            op.execute(statement)
    with op.get_context().autocommit_block():
        _fill()
        if postgres:
            op.create_index(
                INDEX,
                "articles",
                ["search_vector"],
                postgresql_using="gin",
                postgresql_concurrently=True,
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name="articles", postgresql_concurrently=True)
    else:
        for statement in DROP_STATEMENTS:
            op.execute(statement)
    with op.batch_alter_table("articles", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.drop_column("search_vector")
