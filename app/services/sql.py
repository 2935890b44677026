"""Small SQL helpers the services share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Base


def insert_ignoring_duplicates(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
) -> int:
    """Insert `rows`, skipping those a unique constraint already holds; return how many went in.

    `ON CONFLICT DO NOTHING` makes concurrent follow/favorite requests safe: the
    database, not a read-then-write race, decides whether the pair exists.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg loses it on close).
    statement = (
        insert(model)
        .values(list(rows))
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount
