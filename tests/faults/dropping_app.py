"""The app, whose requests may ask PostgreSQL to drop their own connection.

Served by tests/faults/test_postgres_faults.py through gunicorn.conf.py, in place of
wsgi:app. A request with the header `X-Drop-Connection` has the server end its
session's connection (pg_terminate_backend, waiting until the backend is gone):

- `after-commit`: right after the request's commit, before anything it does next;
- `after-last-query`: once the view has answered, before the session is closed.

Either way the request's write is committed before its connection drops.
"""

from __future__ import annotations

import os

import psycopg
from flask import Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db

HEADER = "X-Drop-Connection"
_PID = "drop_connection_backend_pid"

app = create_app()


def _terminate(pid: int) -> None:
    """End backend `pid` from a connection of its own, and wait until it has ended."""
    url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def _backend_pid(session: Session) -> int:
    pid: int = session.connection().connection.dbapi_connection.info.backend_pid
    return pid


@event.listens_for(Session, "before_commit")
def _remember_backend(session: Session) -> None:
    if has_request_context() and request.headers.get(HEADER) == "after-commit":
        setattr(g, _PID, _backend_pid(session))


@event.listens_for(Session, "after_commit")
def _drop_after_commit(_session: Session) -> None:
    pid = g.pop(_PID, None) if has_request_context() else None
    if pid is not None:
        _terminate(pid)


@app.after_request
def _drop_after_last_query(response: Response) -> Response:
    session = db.session()
    if request.headers.get(HEADER) == "after-last-query" and session.in_transaction():
        _terminate(_backend_pid(session))
    return response
