"""How requests use PostgreSQL connections: cheap reads, and pings only when needed.

Two costs dominated a read request's time on the wire to PostgreSQL, each a
round trip that carries no data:

- the transaction around the reads (BEGIN, then ROLLBACK when the session is
  removed). A ROLLBACK also makes psycopg forget its prepared statements, so
  every request parsed and planned its query again. A request with a safe method
  (GET, HEAD, OPTIONS) never writes, so its session reads on an autocommit
  connection: no BEGIN, no ROLLBACK, and psycopg prepares a query it has run five
  times on that connection (PostgreSQL then skips planning it). A read that is one
  statement (every list page) sees one consistent snapshot either way.
- `pool_pre_ping`, a `SELECT 1` on every checkout. A connection that went back
  to the pool a moment ago is as good as the last statement it ran, so only a
  connection idle for longer than DATABASE_PING_AFTER_IDLE_SECONDS is pinged;
  one that fails the ping is replaced before the request sees it. A server
  restart under traffic costs each process at most the one request that finds
  its connection dead (answered 503, the pool then renews every connection).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_sqlalchemy.session import Session
from sqlalchemy import Engine, event, exc
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHECKED_IN_AT = "conduit_checked_in_at"
_AUTOCOMMIT_ENGINE = "conduit_autocommit_engine"


class RequestSession(Session):
    """Flask-SQLAlchemy's session, on an autocommit connection for safe-method requests."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        engine = super().get_bind(*args, **kwargs)
        if has_request_context() and request.method in READ_ONLY_METHODS:
            engines: tuple[Engine, Engine] | None = current_app.extensions.get(_AUTOCOMMIT_ENGINE)
            if engines is not None and engines[0] is engine:
                return engines[1]
        return engine


def configure_engine(app: Flask, engine: Engine) -> None:
    """Set up `engine` (the app's PostgreSQL engine) for reads without transactions and
    for pings after idleness only."""
    # The same pool; SQLAlchemy undoes the setting when the connection is checked in.
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.extensions[_AUTOCOMMIT_ENGINE] = (engine, autocommit)
    ping_idle_connections(engine, after_idle_seconds=app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])


def ping_idle_connections(engine: Engine, *, after_idle_seconds: float) -> None:
    """Ping a connection on checkout when it sat in the pool longer than `after_idle_seconds`."""

    def checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checked_out(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at <= after_idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (up to three times).
            raise exc.DisconnectionError("connection failed its ping") from error

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)
