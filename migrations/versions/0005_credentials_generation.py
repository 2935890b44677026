"""A password change revokes the account's API tokens: users.credentials_generation.

Every account starts at generation 0, the generation of the tokens issued before
this revision (which carry none): they stay valid until the account's password
next changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 17:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Never copy the users table on SQLite (which batch mode would do to drop a column):
# the copy would lose the lower() indexes that keep names and addresses unique, which
# SQLAlchemy cannot reflect. SQLite drops a column itself since 3.35.
IN_PLACE = "never"


def upgrade():
    # A constant default (as text, which SQLite also adds in place): PostgreSQL adds
    # the column without rewriting the table.
    with op.batch_alter_table("users", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(
            sa.Column("credentials_generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.drop_column("credentials_generation")
