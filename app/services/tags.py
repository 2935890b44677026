"""Tags."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import ArticleTag, Tag


def list_tags() -> list[str]:
    """Every tag in use, most used first (ties alphabetical)."""
    uses = func.count(ArticleTag.article_id)
    return list(
        db.session.scalars(
            select(Tag.name)
            .join(ArticleTag, ArticleTag.tag_id == Tag.id)
            .group_by(Tag.id, Tag.name)
            .order_by(uses.desc(), Tag.name)
        )
    )
