"""Each article keeps its favorites count: articles.favorites_count.

Lists showed `favoritesCount` by counting favorites rows per article on every
read; the services now keep the count in the article's row, in the same
transaction as the favorite they insert or delete. Existing articles get the
count of their rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 20:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# As in 0005: SQLite adds and drops the column in place (no copy of the table).
IN_PLACE = "never"


def upgrade():
    with op.batch_alter_table("articles", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(
            sa.Column("favorites_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE articles SET favorites_count = "
        "(SELECT count(*) FROM favorites WHERE favorites.article_id = articles.id) "
        "WHERE EXISTS (SELECT 1 FROM favorites WHERE favorites.article_id = articles.id)"
    )


def downgrade():
    with op.batch_alter_table("articles", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.drop_column("favorites_count")
