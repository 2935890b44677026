"""Tags."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app import cache
from app.extensions import db
from app.models import Tag

# The tag list is the same for everyone and changes only when articles do: every
# write that can change it (an article written, retagged or deleted) makes it stale
# once committed (`forget_tags`).
TAGS = "tags-v1"
TAGS_ENTRY = "popular"


def _tags_in_use() -> list[str]:
    # Each tag's count is kept by the writes (app/counts.py); its index is this order.
    return list(
        db.session.scalars(
            select(Tag.name)
            .where(Tag.articles_count > 0)
            .order_by(Tag.articles_count.desc(), Tag.name)
        )
    )


def list_tags() -> list[str]:
    """Every tag in use, most used first (ties alphabetical)."""
    return cache.read_through(
        TAGS, TAGS_ENTRY, _tags_in_use, timeout=current_app.config["TAGS_CACHE_SECONDS"]
    )


def forget_tags() -> None:
    """Make the cached tag list stale, for every app process sharing the cache."""
    cache.invalidate(TAGS)
