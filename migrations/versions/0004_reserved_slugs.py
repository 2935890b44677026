"""Reserved slugs: an article whose slug is a route's fixed path segment gets another.

An article titled "Feed" had the slug `feed`, and GET /api/articles/feed is the
feed: the article could not be read. New articles never get such a slug; this
gives the ones that have one a suffixed slug, as a taken slug would get. The
downgrade leaves them so: the old slugs could not be reached anyway.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 17:30:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The words reserved when this revision was written (app/rules.py).
RESERVED_SLUGS = ("feed",)
# A suffix of 6 hex digits is taken by chance about once in 16 million: a few tries
# find a free one, and running out is an error rather than an endless loop.
SUFFIX_ATTEMPTS = 10

articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("slug", sa.String))


def _free_slug(connection: sa.Connection, base: str) -> str:
    for _ in range(SUFFIX_ATTEMPTS):
        slug = f"{base}-{secrets.token_hex(3)}"
        taken = connection.scalar(sa.select(sa.exists().where(articles.c.slug == slug)))
        if not taken:
            return slug
    raise RuntimeError(f"no free slug found for {base!r} in {SUFFIX_ATTEMPTS} tries")


def upgrade():
    connection = op.get_bind()
    reserved = connection.execute(
        sa.select(articles.c.id, articles.c.slug).where(articles.c.slug.in_(RESERVED_SLUGS))
    ).all()
    for article_id, slug in reserved:
        connection.execute(
            articles.update()
            .where(articles.c.id == article_id)
            .values(slug=_free_slug(connection, slug))
        )


def downgrade():
    pass
