"""Bounded waits on PostgreSQL, and failing fast while it does not answer.

A frozen server (stopped by SIGSTOP, or behind a proxy or a network path that
stopped forwarding) accepts connections and acknowledges every packet at the TCP
level, so neither libpq's `tcp_user_timeout` and keepalives nor the server's own
`statement_timeout` can end a wait for its answer: without a bound of the client's
own, every request that touches the database blocks for as long as the freeze
lasts, and once every thread does, so do requests that need no database.

- Every wait for the server's answer (a statement, a commit, a rollback, a ping)
  ends after `DATABASE_REPLY_TIMEOUT_MS`, which is longer than the server-side
  statement timeout: a slow statement on a server that answers is cancelled by
  the server first, so running out of it means the server does not answer. The
  connection is then closed (its protocol state is unknown), which SQLAlchemy
  takes for a disconnection: it discards that connection and renews the others.
- `DatabaseGuard` remembers that the server did not answer (a reply or a
  connection that timed out). For `DATABASE_FAIL_FAST_SECONDS` afterwards every
  request that needs the database is answered 503 at once; then one request at
  a time tries again, and the first answer from the server ends the pause.

Each process (gunicorn worker) has a guard of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen

RV = TypeVar("RV")

# psycopg's own interval between checks for Ctrl-C while it waits.
WAIT_INTERVAL_SECONDS = 0.1
# A shorter bound for the current context (`answers_within`), or None.
_reply_bound: ContextVar[float | None] = ContextVar("conduit_database_reply_bound", default=None)


class DatabaseUnavailable(psycopg.OperationalError):
    """PostgreSQL did not answer lately, and this request is not the one that tries again."""


class DatabaseGuard:
    """How long to wait for PostgreSQL, and whether to try it at all right now.

    Closed (the usual state): every request may use the database. After a wait
    that got no answer it is open for `fail_fast_seconds`: requests are refused
    at once. Then one thread at a time may try (for at most `trial_seconds`);
    any answer from the server closes the guard again, another timeout reopens it.
    """

    def __init__(
        self,
        *,
        reply_timeout: float | None,
        fail_fast_seconds: float,
        trial_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reply_timeout = reply_timeout
        self._fail_fast_seconds = fail_fast_seconds
        self._trial_seconds = trial_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # Until when requests are refused; None while the server answers.
        self._refusing_until: float | None = None
        self._trial_thread: int | None = None
        self._trial_until = float("-inf")

    @property
    def is_open(self) -> bool:
        return self._refusing_until is not None

    def admit(self) -> bool:
        """Whether the calling thread may use the database now."""
        if self._refusing_until is None:  # the usual case, without taking the lock
            return True
        with self._lock:
            if self._refusing_until is None:
                return True
            now = self._clock()
            thread = threading.get_ident()
            if self._trial_thread == thread:
                return True
            if now < self._refusing_until or now < self._trial_until:
                return False
            self._trial_thread = thread
            self._trial_until = now + self._trial_seconds
            return True

    def answered(self) -> None:
        """The server answered: requests may use it again."""
        if self._refusing_until is None:
            return
        with self._lock:
            self._refusing_until = None
            self._trial_thread = None
            self._trial_until = float("-inf")

    def unanswered(self) -> None:
        """The server did not answer in time: refuse requests for a while."""
        with self._lock:
            self._refusing_until = self._clock() + self._fail_fast_seconds
            self._trial_thread = None
            self._trial_until = float("-inf")

    def reply_bound(self) -> float | None:
        """How long the current wait for an answer may last (None: as long as it takes)."""
        bound = _reply_bound.get()
        if bound is None or self.reply_timeout is None:
            return bound or self.reply_timeout
        return min(bound, self.reply_timeout)


@contextmanager
def answers_within(seconds: float) -> Iterator[None]:
    """Wait at most `seconds` for each answer from the database inside the block."""
    token = _reply_bound.set(seconds)
    try:
        yield
    finally:
        _reply_bound.reset(token)


class GuardedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends after its guard's bound."""

    guard: DatabaseGuard | None = None

    def wait(
        self,
        gen: PQGen[RV],
        interval: float = WAIT_INTERVAL_SECONDS,
        timeout: float | None = None,
    ) -> RV:
        guard = self.guard
        if guard is None or timeout is not None:
            return super().wait(gen, interval, timeout)
        bound = guard.reply_bound()
        try:
            result = super().wait(gen, interval, bound)
        # psycopg's own signal that the timeout it was given expired (it asks its
        # callers to turn it into a public error); tests/infra/
        # test_database_guard_postgres.py fails should it change.
        except psycopg.errors._WaitTimeout:
            # The answer may still come: the connection cannot be used again.
            self.close()
            guard.unanswered()
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {bound:g} s; the connection was closed"
            ) from None
        guard.answered()
        return result


def connect_guarded(guard: DatabaseGuard, cargs: Any, cparams: Any) -> GuardedConnection:
    """A new connection under `guard`, unless the guard refuses to try now."""
    if not guard.admit():
        raise DatabaseUnavailable("PostgreSQL did not answer lately; not tried again yet")
    try:
        connection = GuardedConnection.connect(*cargs, **cparams)
    except psycopg.errors.ConnectionTimeout:
        guard.unanswered()
        raise
    connection.guard = guard
    guard.answered()
    return connection
