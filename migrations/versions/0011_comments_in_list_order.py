"""Comments in list order: an article's comments indexed newest first, by id among equals.

The comments are listed by (created_at, id), newest first; the index had
(article_id, created_at) only, so a page of the web article page read every
comment of the article with its author and sorted them to keep twenty: 23 ms
for the 4,993 comments of the most commented article at 1,000,000 articles.
With the id in the index the page reads twenty entries, and the API's full list
needs no sort.

On PostgreSQL the new index is built and the old one dropped CONCURRENTLY: the
comments stay readable and writable throughout. It can run again after stopping
halfway.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 07:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD = ("ix_comments_article_id_created_at", ["article_id", "created_at"])
NEW = ("ix_comments_article_id_created_at_id", ["article_id", "created_at", "id"])


def _replace(drop: tuple[str, list[str]], create: tuple[str, list[str]]) -> None:
    """Build `create`, then drop `drop`; run again after stopping halfway, it finishes.

    CONCURRENTLY runs outside a transaction (other databases ignore the option),
    and a build stopped halfway leaves an invalid index under the name.
    """
    with op.get_context().autocommit_block():
        op.drop_index(create[0], table_name="comments", if_exists=True, postgresql_concurrently=True)
        op.create_index(create[0], "comments", create[1], postgresql_concurrently=True)
        op.drop_index(drop[0], table_name="comments", if_exists=True, postgresql_concurrently=True)


def upgrade():
    _replace(OLD, NEW)


def downgrade():
    _replace(NEW, OLD)
