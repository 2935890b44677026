"""Counts kept in rows: the number of articles (counters), each author's
(users.articles_count) and each tag's (tags.articles_count).

Every list counted its matching articles, and the tag list grouped every
article_tags row, on each request; the writes now keep these numbers in the same
transaction as the rows they change (app/counts.py). The existing rows are
counted once here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 23:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As in 0005 and 0006: SQLite adds and drops the column in place (no copy of the table).
IN_PLACE = "never"

# The tables as this revision knows them, for the counts below (never the app's models,
# which later revisions change).
articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("author_id", sa.Integer))
users = sa.table("users", sa.column("id", sa.Integer), sa.column("articles_count", sa.Integer))
tags = sa.table("tags", sa.column("id", sa.Integer), sa.column("articles_count", sa.Integer))
article_tags = sa.table("article_tags", sa.column("tag_id", sa.Integer))
counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.Integer))


def upgrade():
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    with op.batch_alter_table("tags", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(
            sa.Column("articles_count", sa.Integer(), server_default="0", nullable=False)
        )
    # Never copy the users table on SQLite (see 0005): the column is added in place.
    with op.batch_alter_table("users", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(
            sa.Column("articles_count", sa.Integer(), server_default="0", nullable=False)
        )
    written = (
        sa.select(sa.func.count())
        .select_from(articles)
        .where(articles.c.author_id == users.c.id)
        .scalar_subquery()
    )
    wrote = sa.exists().where(articles.c.author_id == users.c.id)
    op.execute(users.update().where(wrote).values(articles_count=written))
    uses = (
        sa.select(sa.func.count())
        .select_from(article_tags)
        .where(article_tags.c.tag_id == tags.c.id)
        .scalar_subquery()
    )
    used = sa.exists().where(article_tags.c.tag_id == tags.c.id)
    op.execute(tags.update().where(used).values(articles_count=uses))
    op.execute(
        counters.insert().from_select(
            ["name", "value"],
            sa.select(sa.literal("articles"), sa.func.count()).select_from(articles),
        )
    )
    op.create_index(
        "ix_tags_articles_count_name",
        "tags",
        [sa.literal_column("articles_count").desc(), "name"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_tags_articles_count_name", table_name="tags")
    with op.batch_alter_table("tags", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.drop_column("articles_count")
    with op.batch_alter_table("users", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.drop_column("articles_count")
    op.drop_table("counters")
