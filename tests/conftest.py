"""Shared fixtures: an isolated app and database per test, API clients, counters.

The suite runs on an in-memory SQLite database per test by default. With
TEST_DATABASE_URL set it runs on that PostgreSQL database instead: the schema is
built once per session by the real migrations, and every table is emptied
around each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.api.auth import issue_token
from app.extensions import db
from app.models import User
from config import TestConfig
from tests.e2e.frontends import FRONTENDS
from tests.e2e.frontends import missing as missing_for_frontends
from tests.factories import UserFactory
from tests.mailbox import Mailbox, smtp_server

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

# The browser tests (tests/e2e) drive Debian's Chromium; without it they are not
# collected at all (not even by `pytest tests/e2e`), and the run's header says so.
CHROMIUM = Path("/usr/bin/chromium")
collect_ignore_glob = [] if CHROMIUM.exists() else ["e2e", "e2e/*"]

# The RealWorld front ends' browser tests need the built front ends beside the
# repository (../shared/frontends, or CONDUIT_FRONTENDS) and nginx. Outside CI they
# are left out without them, and the header says so; in CI they run and fail.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
FRONTENDS_MISSING = missing_for_frontends()
if FRONTENDS_MISSING and not IN_CI:
    collect_ignore_glob += ["e2e/test_frontends.py"]
FRONTENDS_HEADER = (
    f"front-end browser tests: vue3 and angular from {FRONTENDS}, served by nginx"
    if not FRONTENDS_MISSING
    else "front-end browser tests: "
    + ("failing (CI): " if IN_CI else "not run: ")
    + "; ".join(FRONTENDS_MISSING)
)

# The multi-instance tests (tests/deploy) start two gunicorn servers sharing a
# PostgreSQL database and a Redis; without both they are left out the same way,
# and so are the dependency-fault tests of tests/faults, which run gunicorn on them (its
# races run on every database).
DEPLOY_SERVICES = bool(
    POSTGRES_URL and POSTGRES_URL.startswith("postgres") and os.environ.get("TEST_REDIS_URL")
)
if not DEPLOY_SERVICES:
    collect_ignore_glob += [
        "deploy",
        "deploy/*",
        "faults/test_postgres_faults.py",
        "faults/test_redis_faults.py",
        "faults/test_worker_kill.py",
    ]
DEPLOY_HEADER = (
    "multi-instance and fault tests: gunicorn on TEST_DATABASE_URL and TEST_REDIS_URL"
    if DEPLOY_SERVICES
    else "multi-instance and fault tests: not run: needs TEST_DATABASE_URL (PostgreSQL) "
    "and TEST_REDIS_URL"
)


def make_url_safe(url: str) -> str:
    """`url` without its password, fit for a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def pytest_report_header(config: pytest.Config) -> list[str]:
    # tests/infra/*_redis.py are collected only with TEST_REDIS_URL (tests/infra/conftest.py).
    redis_url = os.environ.get("TEST_REDIS_URL")
    redis = (
        f"redis tests: against {make_url_safe(redis_url)}"
        if redis_url
        else "redis tests: not run: TEST_REDIS_URL is not set"
    )
    # tests/infra/*_postgres.py likewise only with a PostgreSQL TEST_DATABASE_URL.
    connections = (
        "database connection tests: against PostgreSQL"
        if POSTGRES_URL and POSTGRES_URL.startswith("postgres")
        else "database connection tests: not run: TEST_DATABASE_URL is not PostgreSQL"
    )
    if CHROMIUM.exists():
        browser = f"browser tests: Chromium at {CHROMIUM}"
        return [browser, FRONTENDS_HEADER, DEPLOY_HEADER, redis, connections]
    browser = f"browser tests: not run: {CHROMIUM} not found (apt-get install chromium)"
    return [browser, DEPLOY_HEADER, redis, connections]


def _empty_all_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session", autouse=True)
def _postgres_schema() -> Iterator[None]:
    """On PostgreSQL, build the schema once with the migrations themselves."""
    if not POSTGRES_URL:
        yield
        return
    app = create_app(TestConfig)
    with app.app_context():
        db.drop_all()
        sa.Table("alembic_version", sa.MetaData()).drop(db.engine, checkfirst=True)
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    yield


@pytest.fixture
def app() -> Iterator[Flask]:
    app = create_app(TestConfig)
    with app.app_context():
        if POSTGRES_URL:
            _empty_all_tables()
        else:
            db.create_all()
        yield app
        db.session.remove()
        if POSTGRES_URL:
            _empty_all_tables()
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs as in production: in an app context
    (so a `g` and a database session) of its own.

    The tests keep an app context open (factories need one). A request made inside
    it would otherwise share its `g` (where Flask-Login keeps the signed-in user and
    Flask-WTF the CSRF token) and its session, whose identity map would hide
    queries from the statement counts and serve stale rows.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # Empty the test's own session, so that it reads afterwards what the request wrote.
        db.session.remove()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


class StatementCounter:
    """Counts the SQL statements the app sends to the database."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def statements(app: Flask) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(db.engine, "before_cursor_execute", counter)


def auth_headers(user: User) -> dict[str, str]:
    """The Authorization header of a signed-in `user`, with a token as sign-in issues it."""
    return {"Authorization": f"Token {issue_token(user)}"}


@pytest.fixture
def user(app: Flask) -> User:
    return UserFactory(username="jake", email="jake@example.com")


@pytest.fixture
def other_user(app: Flask) -> User:
    return UserFactory(username="celeb", email="celeb@example.com")


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server (aiosmtpd) on a free port: (port, mailbox)."""
    with smtp_server() as served:
        yield served


@pytest.fixture
def mail_settings(smtp: tuple[int, Mailbox], monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """Apps built after this send their mail to the test SMTP server; its mailbox.

    They have no Redis either, so that their jobs run in the app once a response is
    closed: the jobs on Redis, run by real workers, are tests/infra/test_jobs_redis.py's.
    """
    port, mailbox = smtp
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(port))
    monkeypatch.setenv("TEST_REDIS_URL", "")
    return mailbox
