"""Tags."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import ArticleTag, Tag
from app.services.cache import cached, forget

# The tag list is the same for everyone and changes only when articles do:
# cached, and forgotten by every write that can change it (see `forget_tags`).
TAGS_CACHE_KEY = "tags:popular"


def _tags_in_use() -> list[str]:
    uses = func.count(ArticleTag.article_id)
    return list(
        db.session.scalars(
            select(Tag.name)
            .join(ArticleTag, ArticleTag.tag_id == Tag.id)
            .group_by(Tag.id, Tag.name)
            .order_by(uses.desc(), Tag.name)
        )
    )


def list_tags() -> list[str]:
    """Every tag in use, most used first (ties alphabetical)."""
    return cached(TAGS_CACHE_KEY, _tags_in_use, timeout=current_app.config["TAGS_CACHE_SECONDS"])


def forget_tags() -> None:
    """Drop the cached tag list, for every app process sharing the cache."""
    forget(TAGS_CACHE_KEY)
