"""Lists in index order: article_tags carries its article's creation time, and an
author's articles are indexed in list order (created_at, then id).

A list filtered by tag (newest first) walked every article of the tag, sorted
them all and kept twenty. With the article's `created_at` beside the tag (it
never changes once the article exists), the index (tag_id, article_created_at,
article_id) hands the newest articles of a tag over in order, and the page stops
after twenty whatever the tag's size. The feed takes the newest articles of each
followed author the same way from (author_id, created_at, id).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 13:30:00

"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("created_at"))
article_tags = sa.table(
    "article_tags", sa.column("article_id", sa.Integer), sa.column("article_created_at")
)


@contextmanager
def _copying_table_on_sqlite() -> Iterator[None]:
    """SQLite changes a column by copying the table, for which SQLAlchemy reflects the
    tables its keys point to and warns that it cannot reflect the users table's
    lower() indexes. Those are neither needed for the copy nor touched by it."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning
        )
        yield


def upgrade():
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("article_created_at", sa.DateTime(timezone=True)))
    op.execute(
        article_tags.update().values(
            article_created_at=sa.select(articles.c.created_at)
            .where(articles.c.id == article_tags.c.article_id)
            .scalar_subquery()
        )
    )
    with _copying_table_on_sqlite(), op.batch_alter_table("article_tags") as batch_op:
        batch_op.alter_column(
            "article_created_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_article_tags_tag_id_article_id")
        batch_op.create_index(
            "ix_article_tags_tag_id_article_created_at",
            ["tag_id", "article_created_at", "article_id"],
            unique=False,
        )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_author_id_created_at")
        batch_op.create_index(
            "ix_articles_author_id_created_at_id", ["author_id", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_author_id_created_at_id")
        batch_op.create_index(
            "ix_articles_author_id_created_at", ["author_id", "created_at"], unique=False
        )
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_article_tags_tag_id_article_created_at")
        batch_op.create_index(
            "ix_article_tags_tag_id_article_id", ["tag_id", "article_id"], unique=False
        )
    with _copying_table_on_sqlite(), op.batch_alter_table("article_tags") as batch_op:
        batch_op.drop_column("article_created_at")
