"""Read statements, built once per shape and run with bound parameters.

Building a statement of a list's size cost more Python time per request than
running it, so each shape is built (and compiled by SQLAlchemy) once per process;
the services run them and own what they mean.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result, Select

from app.extensions import db


def read(statement: Select[Any], parameters: dict[str, Any]) -> Result[Any]:
    """Run a read on the session's connection, as Core: these statements select
    columns, never entities, and the ORM's execution around them (its compile state,
    its result) cost more than the rows themselves."""
    return db.session.connection().execute(statement, parameters)
