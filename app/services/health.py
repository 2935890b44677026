"""What the health check asks of the app's dependencies."""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db


def database_is_reachable() -> bool:
    """Run a trivial query; a failure of any kind means the database cannot serve requests."""
    try:
        db.session.execute(select(literal(1)))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
