"""What a signed-in viewer has marked: the articles they favorited, the users they follow.

A cached list page is the same for every viewer but for two flags per article,
`favorited` and `following`. With a shared cache, each viewer's marks are cached
too, in a generation of the viewer's own that each of their favorites,
unfavorites, follows and unfollows replaces once committed (`marks_changed`), as
list pages are (app/services/cache.py): a signed-in list page then costs no
statement at all. Viewers with more marks than `MAX_CACHED_MARKS` are not
cached; their pages ask the database for the flags of the page's articles.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import literal, select

from app.extensions import db
from app.models import Favorite, Follow
from app.services import cache

# The family of every viewer's marks; the version is raised when what is cached changes.
VIEWER_MARKS = "viewer-marks-v1"
MARKS_ENTRY = "marks"
# Enough for any reader; bounds what one viewer costs Redis and each process.
MAX_CACHED_MARKS = 2_000


class ViewerMarks(NamedTuple):
    favorited: frozenset[int]
    followed: frozenset[int]
    # False when the viewer has more marks than are cached: ask the database instead.
    complete: bool


def marks_family(viewer_id: int) -> str:
    """The viewer's own family of cache entries (see `cache.get_in_generations`)."""
    return f"{VIEWER_MARKS}:{viewer_id}"


def marks_changed(viewer_id: int) -> None:
    """The viewer's cached marks are stale: after a commit that changed them."""
    cache.new_generation(marks_family(viewer_id))


def load_marks(viewer_id: int) -> ViewerMarks:
    """The viewer's marks from the database, in one statement; incomplete beyond the cap."""
    rows = db.session.execute(
        select(literal(True).label("favorite"), Favorite.article_id.label("id"))
        .where(Favorite.user_id == viewer_id)
        .union_all(
            select(literal(False), Follow.followed_id).where(Follow.follower_id == viewer_id)
        )
        .limit(MAX_CACHED_MARKS + 1)
    ).all()
    if len(rows) > MAX_CACHED_MARKS:
        return ViewerMarks(frozenset(), frozenset(), complete=False)
    return ViewerMarks(
        favorited=frozenset(row.id for row in rows if row.favorite),
        followed=frozenset(row.id for row in rows if not row.favorite),
        complete=True,
    )
