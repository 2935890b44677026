"""Races played deterministically: another request's write, committed at a chosen moment.

A request that loads a row and then writes about it (updates it, inserts a row
that refers to it) loses a race when another request deletes that row in between.
`committed_before_next_write` makes that happen every time: just before the app
sends its next INSERT, UPDATE or DELETE, it runs a statement on a connection of
its own and commits it, as the other request would.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.sql import Executable

from app.extensions import db

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# A write, or a SELECT that locks rows (PostgreSQL; SQLite is sent no FOR UPDATE).
_WRITE_OR_LOCK = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR ((NO KEY )?UPDATE|(KEY )?SHARE)\b", re.IGNORECASE
)


@dataclass
class Interleaving:
    """The statements to commit (in one transaction) before the app's next write, and
    whether that happened."""

    engine: sa.Engine
    statements: tuple[Executable, ...]
    before: re.Pattern[str] = _WRITE
    fired: bool = False

    def __call__(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if self.fired or not self.before.search(sql):
            return
        # Set first: the statement below is itself a write that passes through here.
        self.fired = True
        # On in-memory SQLite the pool hands out its one connection again; between the
        # app's reads and its first write that connection holds no transaction, so this
        # commit is the other request's alone, as it is on PostgreSQL.
        with self.engine.connect() as other:
            for statement in self.statements:
                other.execute(statement)
            other.commit()


@contextmanager
def committed_before_next_write(
    *statements: Executable, or_lock: bool = False
) -> Iterator[Interleaving]:
    """Commit `statements` (on another connection, in one transaction) just before the
    app's next write; with `or_lock`, before its next write or row lock (where the
    statements would wait for a lock the app holds, and the app for them).

    Tests assert `fired` afterwards: a service that refused before writing anything
    never met the race.
    """
    interleaving = Interleaving(db.engine, statements, _WRITE_OR_LOCK if or_lock else _WRITE)
    sa.event.listen(db.engine, "before_cursor_execute", interleaving)
    try:
        yield interleaving
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", interleaving)


# How many times wait_until_blocked looks before it gives up (each look is a query).
LOCK_WAIT_POLLS = 5000


def wait_until_blocked(pid: int) -> None:
    """Return once the PostgreSQL backend `pid` waits for a lock (bounded by LOCK_WAIT_POLLS)."""
    with db.engine.connect() as watcher:
        for _ in range(LOCK_WAIT_POLLS):
            waiting = watcher.scalar(
                sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            )
            if waiting == "Lock":
                return
    raise AssertionError("the concurrent deletion never waited for a lock")


def waiting_write(
    statements: tuple[Executable, ...], *, before: str, action: Callable[[], object]
) -> list[BaseException | None]:
    """Run `action`; just before it sends a statement that `before` matches (a regular
    expression, from the statement's start), begin `statements` in a transaction of
    their own (another request's write) on a thread, and let `action` go on once
    they wait for a lock (PostgreSQL). Return how that transaction ended: [None] when
    it committed, else [its error]."""
    engine = db.engine  # the thread has no app context

    def write_concurrently(started: Callable[[int], None]) -> None:
        with engine.connect() as other:
            started(other.scalar(sa.select(sa.func.pg_backend_pid())))
            for statement in statements:
                other.execute(statement)
            other.commit()

    return _waiting(write_concurrently, before=before, action=action)


def waiting_request(
    app: Flask, service: Callable[[], object], *, before: str, action: Callable[[], object]
) -> list[BaseException | None]:
    """As `waiting_write`, with another request's use case (`service`, which commits
    what it writes) in place of statements: run in an app context of its own, so on a
    session and connection of its own."""

    def call_concurrently(started: Callable[[int], None]) -> None:
        with app.app_context():
            dbapi_connection = db.session.connection().connection.dbapi_connection
            started(dbapi_connection.info.backend_pid)
            service()

    return _waiting(call_concurrently, before=before, action=action)


def _waiting(
    concurrently: Callable[[Callable[[int], None]], None],
    *,
    before: str,
    action: Callable[[], object],
) -> list[BaseException | None]:
    """Run `action`, starting `concurrently` on a thread at the statement `before`
    matches; `concurrently` reports its PostgreSQL backend's pid through the callable
    it is given, before its first statement that may wait."""
    pids: queue.Queue[int] = queue.Queue()
    outcome: list[BaseException | None] = []
    engine = db.engine
    trigger = re.compile(before, re.DOTALL)

    def run() -> None:
        try:
            concurrently(pids.put)
            outcome.append(None)
        except BaseException as error:  # reported by the test
            outcome.append(error)

    writer = threading.Thread(target=run)

    def start_writer(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if writer.is_alive() or outcome or not trigger.match(sql):
            return
        writer.start()
        wait_until_blocked(pids.get(timeout=10))

    sa.event.listen(engine, "before_cursor_execute", start_writer)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", start_writer)
        if writer.is_alive() or outcome:
            writer.join(timeout=30)
    return outcome
