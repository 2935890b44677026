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

- the ROLLBACK that closes a transaction which only read. psycopg forgets every
  prepared statement of a connection on ROLLBACK, and every write request ends in
  one (its read-back after the commit opens a transaction): with writes arriving,
  hardly a connection kept its statements long enough to run one prepared, and
  PostgreSQL parsed and planned nearly every read again. A transaction that wrote
  nothing is ended with COMMIT instead, which changes nothing else.

A request that committed has succeeded: nothing after its commit may turn that
into an error. What it reads next (its read-back of what it wrote) begins a new
transaction, on a connection PostgreSQL may have dropped since: that first
statement is run again, once, on a new connection. And the rollback when its
session is closed, on a connection dropped after its last statement, is logged,
never raised (the server would answer its own 500 page in place of the response).

Every wait for PostgreSQL is bounded, and requests fail fast while it does not
answer (app/database_guard.py).
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from flask import Flask, current_app, has_request_context, request
from flask_sqlalchemy.session import Session
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import ExceptionContext, Result
from sqlalchemy.orm import ORMExecuteState, scoped_session
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection

from app.database_guard import DatabaseGuard, DatabaseUnavailable, connect_guarded

log = structlog.get_logger(__name__)

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHECKED_IN_AT = "conduit_checked_in_at"
_AUTOCOMMIT_ENGINE = "conduit_autocommit_engine"
GUARD_EXTENSION = "conduit_database_guard"
# In a session's info from its commit until its next statement (or flush).
_JUST_COMMITTED = "conduit_just_committed"
# In a session's info: the connections its open transaction began on.
_TRANSACTION_CONNECTIONS = "conduit_transaction_connections"
# In a connection's info (PostgreSQL): whether its transaction has sent a statement
# other than a SELECT.
_WROTE = "conduit_wrote"


class RequestSession(Session):
    """Flask-SQLAlchemy's session, on an autocommit connection for safe-method requests,
    and refused at once while the database does not answer (app/database_guard.py)."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        engine = super().get_bind(*args, **kwargs)
        guard: DatabaseGuard | None = current_app.extensions.get(GUARD_EXTENSION)
        if guard is not None and not guard.admit():
            raise exc.OperationalError(
                None, None, DatabaseUnavailable("PostgreSQL did not answer lately")
            )
        if has_request_context() and request.method in READ_ONLY_METHODS:
            engines: tuple[Engine, Engine] | None = current_app.extensions.get(_AUTOCOMMIT_ENGINE)
            if engines is not None and engines[0] is engine:
                return engines[1]
        return engine


@event.listens_for(RequestSession, "after_begin")
def _began(session: Session, _transaction: Any, connection: Connection) -> None:
    session.info.setdefault(_TRANSACTION_CONNECTIONS, []).append(connection)


@event.listens_for(RequestSession, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_TRANSACTION_CONNECTIONS, None)
    session.info[_JUST_COMMITTED] = True


@event.listens_for(RequestSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_TRANSACTION_CONNECTIONS, None)


def _end_if_only_read(session: Session) -> None:
    """Commit the session's transaction if every statement it sent was a SELECT."""
    connections = session.info.pop(_TRANSACTION_CONNECTIONS, None)
    if connections and all(c.info.get(_WROTE) is False for c in connections):
        session.commit()


def track_writes(engine: Engine) -> None:
    """Note on each of `engine`'s connections whether its transaction has written.

    Anything but a compiled SELECT counts as a write, so that a statement this does
    not know is rolled back as before.
    """

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            # A safe-method request's: no transaction in PostgreSQL to end either way.
            connection.info.pop(_WROTE, None)
        else:
            connection.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _executing(
        connection: Connection, _c: Any, _s: Any, _p: Any, context: Any, _many: bool
    ) -> None:
        statement = getattr(getattr(context, "compiled", None), "statement", None)
        if not getattr(statement, "is_select", False):
            connection.info[_WROTE] = True


@event.listens_for(RequestSession, "before_flush")
def _flushing(session: Session, _context: Any, _instances: Any) -> None:
    session.info.pop(_JUST_COMMITTED, None)


@event.listens_for(RequestSession, "do_orm_execute")
def _retry_first_statement_after_commit(state: ORMExecuteState) -> Result[Any] | None:
    """Run the first statement after a commit again, once, if its connection was lost.

    It began a transaction of its own, with nothing before it to lose; and the
    request's commit must not turn into an error because of what comes after.
    """
    session = state.session
    if not session.info.pop(_JUST_COMMITTED, False):
        return None
    try:
        return state.invoke_statement()
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("connection lost after a commit; statement run again")
    session.rollback()
    return state.invoke_statement()


def configure_engine(app: Flask, engine: Engine) -> None:
    """Set up `engine` (the app's PostgreSQL engine) for reads without transactions, for
    pings after idleness only, and for bounded waits."""
    # The same pool; SQLAlchemy undoes the setting when the connection is checked in.
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.extensions[_AUTOCOMMIT_ENGINE] = (engine, autocommit)
    ping_idle_connections(engine, after_idle_seconds=app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    track_writes(engine)
    discard_connections_left_mid_command(engine)
    reply_ms = app.config["DATABASE_REPLY_TIMEOUT_MS"]
    guard = DatabaseGuard(
        reply_timeout=reply_ms / 1000 if reply_ms else None,
        fail_fast_seconds=app.config["DATABASE_FAIL_FAST_SECONDS"],
        # Long enough for a connection and a statement: the one request trying again.
        trial_seconds=app.config["DATABASE_CONNECT_TIMEOUT"] + reply_ms / 1000 + 1,
    )
    app.extensions[GUARD_EXTENSION] = guard

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        return connect_guarded(guard, cargs, cparams)


def discard_connections_left_mid_command(engine: Engine) -> None:
    """Treat as lost a connection that an error left in the middle of a command.

    When its socket fails while a statement is under way (PostgreSQL ended the
    backend as the statement was sent), psycopg raises "connection socket closed"
    without marking the connection broken, so SQLAlchemy would keep it: the
    rollback that follows fails ("another command is already in progress"), as
    would every later command. Told that the connection was lost, SQLAlchemy
    discards it, the rollback does nothing, the request is answered as the
    database being unavailable (503), and the first statement after a commit runs
    again on a new connection (`_retry_first_statement_after_commit`).
    """

    @event.listens_for(engine, "handle_error")
    def _left_mid_command(context: ExceptionContext) -> None:
        connection = context.connection
        if (
            context.is_disconnect
            or connection is None
            or connection.closed
            or connection.invalidated
        ):
            return
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None and (
            dbapi_connection.info.transaction_status is TransactionStatus.ACTIVE
        ):
            context.is_disconnect = True


def migration_engine(engine: Engine, *, connect_timeout: int) -> Engine:
    """The engine that migrations run on, given the app's `engine`.

    On PostgreSQL, connections of their own, without the app's statement timeout and
    reply bound: a migration of a large table (an index rebuilt, a column filled for
    every row) runs as long as it needs, where a request must give up in seconds.
    """
    if engine.dialect.name != "postgresql":
        return engine
    return create_engine(
        engine.url, poolclass=NullPool, connect_args={"connect_timeout": connect_timeout}
    )


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


def close_sessions_quietly(app: Flask, session: scoped_session[Any]) -> None:
    """Close each app context's session before Flask-SQLAlchemy would, logging what fails.

    Closing rolls back what the request left open (a transaction that only read is
    committed instead, `_end_if_only_read`), on a connection PostgreSQL may
    have dropped since its last statement. The response is made by then: raised
    from a teardown, the error would reach the server instead, which answers its
    own 500 page in place of a request that succeeded.
    """

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        for _attempt in range(2):
            try:
                if session.registry.has():
                    _end_if_only_read(session())
                session.remove()
                return
            except exc.SQLAlchemyError as error:
                # SQLAlchemy has discarded the connection; closing again succeeds.
                log.warning("database session closed with an error", error=type(error).__name__)
        session.registry.clear()
