"""Read statements, built once per shape and run with bound parameters.

Building a statement of a list's size cost more Python time per request than
running it, so each shape is built (and compiled by SQLAlchemy) once per process;
the services run them and own what they mean. Here: what the statements of
several kinds share (the viewer's, the page's parameters, an author's columns).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Result, Row, Select, bindparam, false, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import Follow
from app.read_models import ProfileView

VIEWER = bindparam("viewer_id", type_=Integer)
LIMIT = bindparam("limit", type_=Integer)
OFFSET = bindparam("offset", type_=Integer)


def probe(*conditions: ColumnElement[bool], correlate: Any = None) -> ColumnElement[bool]:
    """SQL that tells whether a row meets `conditions`, looked up by index for each
    row of the enclosing statement (the viewer's favorite of an article, their follow
    of an author); correlated to `correlate` alone if given.

    Not EXISTS: PostgreSQL may answer an EXISTS of the select list by hashing every
    matching row once (all the viewer's favorites), which a generic plan chooses
    for a page it cannot see is twenty rows: 60 ms a list for a reader of 97,000
    favorites. A scalar subquery with a LIMIT is never hashed.
    """
    found = select(true()).where(*conditions).limit(1)
    if correlate is not None:
        found = found.correlate(correlate)
    return func.coalesce(found.scalar_subquery(), false())


def following_expression(
    author_id: ColumnElement[int], viewer_id: int | ColumnElement[int] | None
) -> ColumnElement[bool]:
    """SQL that tells whether `viewer_id` follows the user in `author_id` (false for anonymous)."""
    if viewer_id is None:
        return false()
    return probe(Follow.follower_id == viewer_id, Follow.followed_id == author_id)


def author_view(row: Row[Any]) -> ProfileView:
    """The author columns of a query's row (username, bio, image, following)."""
    return ProfileView(
        username=row.username, bio=row.bio, image=row.image, following=bool(row.following)
    )


def read(statement: Select[Any], parameters: dict[str, Any]) -> Result[Any]:
    """Run a read on the session's connection, as Core: these statements select
    columns, never entities, and the ORM's execution around them (its compile state,
    its result) cost more than the rows themselves."""
    return db.session.connection().execute(statement, parameters)
