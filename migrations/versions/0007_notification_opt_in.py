"""Opt-in e-mail notifications: users.notify_by_email.

Off for every account, existing ones included: nobody gets a mail they did not
ask for.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 23:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# As in 0005: SQLite adds and drops the column in place (no copy of the users table,
# which would lose its lower() unique indexes).
IN_PLACE = "never"


def upgrade():
    # A constant server default: existing rows read false, and PostgreSQL adds the
    # column without rewriting the table.
    with op.batch_alter_table("users", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.add_column(
            sa.Column("notify_by_email", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None, recreate=IN_PLACE) as batch_op:
        batch_op.drop_column("notify_by_email")
