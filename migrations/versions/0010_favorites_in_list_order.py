"""Favorites in list order: each favorite carries its article's creation time.

A list of one reader's favorites (newest article first) joined all of the
reader's favorites to their articles and sorted them to keep twenty: at
1,000,000 articles a busy reader's list passed the statement time limit. With
the article's `created_at` beside the favorite (it never changes once the
article exists), the index (user_id, article_created_at, article_id) hands the
newest favorites over in order, and the page stops after twenty, as a tag's
page does since 0003.

On PostgreSQL nothing holds the favorites for long, and the release before this
one keeps working while it runs and after: a trigger gives every favorite
inserted without the time (as that release inserts them) its article's; the
existing rows are filled a batch of readers at a time (each batch commits on its
own); the index is built CONCURRENTLY; NOT NULL then costs one scan of the
table. SQLite fills the column in one go and copies the table to add NOT NULL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:00:00

"""

import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# As in 0005: SQLite adds and drops the column in place (no copy of the table).
IN_PLACE = "never"
INDEX = "ix_favorites_user_id_article_created_at"
# Readers per batch: at 100 favorites a reader, about 500,000 rows a transaction.
READERS_PER_BATCH = 5000

articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("created_at"))
favorites = sa.table(
    "favorites",
    sa.column("user_id", sa.Integer),
    sa.column("article_id", sa.Integer),
    sa.column("article_created_at"),
)
users = sa.table("users", sa.column("id", sa.Integer))


def _fill(*where: sa.ColumnElement[bool]) -> None:
    """Copy each article's creation time into its favorites without it (matching `where`)."""
    op.execute(
        favorites.update()
        .values(article_created_at=articles.c.created_at)
        .where(articles.c.id == favorites.c.article_id, favorites.c.article_created_at.is_(None))
        .where(*where)
    )


def _fill_in_batches() -> None:
    last_reader = op.get_bind().scalar(sa.select(sa.func.max(users.c.id))) or 0
    for first in range(0, last_reader + 1, READERS_PER_BATCH):
        _fill(favorites.c.user_id.between(first, first + READERS_PER_BATCH - 1))


# For the writers that do not give the time (the release before this one).
FILL_FUNCTION = "favorite_article_created_at"
CREATE_TRIGGER = (
    f"""
    CREATE OR REPLACE FUNCTION {FILL_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.article_created_at IS NULL THEN
            NEW.article_created_at :=
                (SELECT created_at FROM articles WHERE id = NEW.article_id);
        END IF;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER {FILL_FUNCTION} BEFORE INSERT ON favorites
    FOR EACH ROW EXECUTE FUNCTION {FILL_FUNCTION}()
    """,
)
DROP_TRIGGER = (
    f"DROP TRIGGER {FILL_FUNCTION} ON favorites",
    f"DROP FUNCTION {FILL_FUNCTION}()",
)


def _upgrade_postgres() -> None:
    # Committed with the column: no favorite is inserted without its time from now on.
    for statement in CREATE_TRIGGER:
        op.execute(statement)
    with op.get_context().autocommit_block():
        _fill_in_batches()
        op.create_index(
            INDEX,
            "favorites",
            ["user_id", "article_created_at", "article_id"],
            postgresql_concurrently=True,
        )
    op.alter_column("favorites", "article_created_at", nullable=False)


def _upgrade_sqlite() -> None:
    _fill()
    # Copying the table reflects the tables its keys point to, and SQLAlchemy warns
    # that it cannot reflect the users table's lower() indexes, which the copy
    # neither needs nor touches.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning
        )
        with op.batch_alter_table("favorites") as batch_op:
            batch_op.alter_column(
                "article_created_at", existing_type=sa.DateTime(timezone=True), nullable=False
            )
    op.create_index(INDEX, "favorites", ["user_id", "article_created_at", "article_id"])


def upgrade():
    with op.batch_alter_table("favorites", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(sa.Column("article_created_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP_TRIGGER:
            op.execute(statement)
    op.drop_index(INDEX, table_name="favorites")
    with op.batch_alter_table("favorites", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.drop_column("article_created_at")
