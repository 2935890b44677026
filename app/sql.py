"""Small SQL helpers: inserts that skip duplicates, counted deletes, string aggregates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, String, TypeDecorator, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

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


def delete_counting(session: Session, statement: Delete) -> int:
    """Run the DELETE `statement`; return how many rows it deleted.

    0 where the row was there when loaded tells a write that a concurrent request
    deleted it first.
    """
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


class _StringList(TypeDecorator[list[str]]):
    """A list of strings read back from an aggregate: a PostgreSQL array or SQLite JSON text."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            names: list[str] = json.loads(value)
            return names
        return list(value)


class StringListAggregate(FunctionElement[list[str]]):
    """The aggregate of a string column as a Python list (unordered; empty for no rows)."""

    type = _StringList()
    inherit_cache = True


@compiles(StringListAggregate, "postgresql")
def _array_agg(element: StringListAggregate, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(func.array_agg(*element.clauses), **kw)


@compiles(StringListAggregate, "sqlite")
def _json_group_array(element: StringListAggregate, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(func.json_group_array(*element.clauses), **kw)
