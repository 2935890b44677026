"""Tags."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import ArticleTag, Tag
from app.services.cache import get_in_generations, new_generation, put_in_generation

# The tag list is the same for everyone and changes only when articles do: it is
# cached in a generation of its own, which every write that can change it (an
# article written, retagged or deleted) replaces once committed (`forget_tags`).
# A list computed before such a write and stored after it lands in the old
# generation, where nobody looks; and a process that holds a copy of the current
# one only asks the cache whether it is still current.
TAGS = "tags-v1"
TAGS_ENTRY = "popular"


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
    timeout = current_app.config["TAGS_CACHE_SECONDS"]
    ((key, value),) = get_in_generations([(TAGS, TAGS_ENTRY)], timeout=timeout)
    if isinstance(value, list):
        return value
    names = _tags_in_use()
    if key is not None:
        put_in_generation(key, names, timeout=timeout)
    return names


def forget_tags() -> None:
    """Make the cached tag list stale, for every app process sharing the cache."""
    new_generation(TAGS)
