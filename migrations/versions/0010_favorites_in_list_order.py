"""Favorites in list order: each favorite carries its article's creation time.

A list of one reader's favorites (newest article first) joined all of the
reader's favorites to their articles and sorted them to keep twenty: at
1,000,000 articles a busy reader's list passed the statement time limit. With
the article's `created_at` beside the favorite (it never changes once the
article exists), the index (user_id, article_created_at, article_id) hands the
newest favorites over in order, and the page stops after twenty, as a tag's
page does since 0003.

On PostgreSQL nothing holds the favorites for long, and the release before this
one keeps working while it runs and after: a trigger, committed with the column,
gives every favorite inserted without the time (as that release inserts them) its
article's; the existing rows are filled 20,000 at a time, each batch committed on
its own; the index is built CONCURRENTLY; NOT NULL comes from a CHECK validated
while the table stays writable, so setting it scans nothing. Every step can run
again, so a migration stopped halfway is finished by running it again. SQLite
fills the column in one go and copies the table to add NOT NULL.

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
# Favorites per transaction of the fill: each holds its rows' locks for well under
# a second, so a favorite or unfavorite of one of them waits at most that long.
BATCH_ROWS = 20_000
# Made valid while the favorites stay writable; NOT NULL then needs no scan of its own.
GIVEN = "ck_favorites_article_created_at_given"

articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("created_at"))
favorites = sa.table(
    "favorites",
    sa.column("user_id", sa.Integer),
    sa.column("article_id", sa.Integer),
    sa.column("article_created_at"),
)
KEY = sa.tuple_(favorites.c.user_id, favorites.c.article_id)


def _fill(*where: sa.ColumnElement[bool]) -> None:
    """Copy each article's creation time into its favorites without it (matching `where`)."""
    op.execute(
        favorites.update()
        .values(article_created_at=articles.c.created_at)
        .where(articles.c.id == favorites.c.article_id, favorites.c.article_created_at.is_(None))
        .where(*where)
    )


def _fill_in_batches() -> None:
    """`BATCH_ROWS` favorites at a time, in primary key order (keyset, no OFFSET from 0)."""
    after: tuple[int, int] = (0, 0)
    while True:
        last = (
            op.get_bind()
            .execute(
                sa.select(favorites.c.user_id, favorites.c.article_id)
                .where(KEY > sa.tuple_(*after))
                .order_by(favorites.c.user_id, favorites.c.article_id)
                .offset(BATCH_ROWS - 1)
                .limit(1)
            )
            .first()
        )
        if last is None:
            _fill(KEY > sa.tuple_(*after))
            return
        _fill(KEY > sa.tuple_(*after), KEY <= sa.tuple_(*last))
        after = (last.user_id, last.article_id)


# For the writers that do not give the time (the release before this one). It stays:
# it costs a test of one column per inserted favorite.
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
    f"DROP TRIGGER IF EXISTS {FILL_FUNCTION} ON favorites",
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
    """Each step commits on its own and can run again: a migration stopped halfway
    (its revision not yet recorded) is finished by running it again."""
    # Committed with the column: no favorite is inserted without its time from now on.
    op.add_column(
        "favorites", sa.Column("article_created_at", sa.DateTime(timezone=True)), if_not_exists=True
    )
    for statement in CREATE_TRIGGER:
        op.execute(statement)
    with op.get_context().autocommit_block():
        _fill_in_batches()
        # A build stopped halfway leaves an invalid index under the name.
        op.drop_index(INDEX, table_name="favorites", if_exists=True, postgresql_concurrently=True)
        op.create_index(
            INDEX,
            "favorites",
            ["user_id", "article_created_at", "article_id"],
            postgresql_concurrently=True,
        )
        # SET NOT NULL alone would scan the table under a lock that stops its reads;
        # a CHECK made valid first (which does not) spares it that scan.
        op.execute(f"ALTER TABLE favorites DROP CONSTRAINT IF EXISTS {GIVEN}")
        op.create_check_constraint(
            op.f(GIVEN), "favorites", "article_created_at IS NOT NULL", postgresql_not_valid=True
        )
        op.execute(f"ALTER TABLE favorites VALIDATE CONSTRAINT {GIVEN}")
        op.alter_column("favorites", "article_created_at", nullable=False)
        op.drop_constraint(op.f(GIVEN), "favorites", type_="check")


def _upgrade_sqlite() -> None:
    with op.batch_alter_table("favorites", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(sa.Column("article_created_at", sa.DateTime(timezone=True)))
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
