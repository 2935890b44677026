"""Browser tests: real gunicorn, a freshly migrated database, Debian's Chromium.

The session starts one server for every test: `flask db upgrade` on a new SQLite
file (or, with TEST_DATABASE_URL set, on a new PostgreSQL database named after
it with an `_e2e` suffix), then `gunicorn -c gunicorn.conf.py wsgi:app` on a free
127.0.0.1 port, as in production but over plain http. The tests share the
server and its database, so each one signs up users of its own (`unique_name`).

tests/conftest.py leaves this folder out when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    Playwright,
    sync_playwright,
)

from tests.e2e.frontends import ServedFrontends
from tests.mailbox import Mailbox, smtp_server
from tests.servers import migrate_database, scratch_postgres_database, serving_gunicorn, tail

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]
STARTUP_SECONDS = 30
# Playwright waits this long for an element or a navigation before failing.
TIMEOUT_MS = 10_000


def unique_name(prefix: str) -> str:
    """A username no other test (or earlier run on the same database) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextmanager
def empty_database(work: Path, suffix: str) -> Iterator[str]:
    """An empty database: a SQLite file in `work`, or `<name>_<suffix>` on PostgreSQL."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{work / 'conduit.db'}"
        return
    with scratch_postgres_database(base, suffix) as url:
        yield url


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the server: a SQLite file, or `<name>_e2e` on PostgreSQL."""
    with empty_database(tmp_path_factory.mktemp("e2e-db"), "e2e") as url:
        yield url


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path


@contextmanager
def run_live_server(database_url: str, work: Path, **settings: str) -> Iterator[LiveServer]:
    """Migrate `database_url`, then serve the app on it with gunicorn until the block ends.

    `settings` are environment variables that replace the defaults below.
    """
    secret = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": secret,
        "SESSION_COOKIE_SECURE": "false",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        # The journeys sign up and in more often than the production sign-in limit
        # allows from one address; the limits have tests of their own (tests/infra,
        # tests/deploy). No Redis either: each run starts with nothing shared.
        "RATELIMIT_AUTH": "1000 per minute",
        "RATELIMIT_AUTH_ACCOUNT": "1000 per minute",
        "RATELIMIT_PASSWORD_RESET": "1000 per minute",
        "RATELIMIT_PASSWORD_RESET_ACCOUNT": "1000 per minute",
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "",
        **settings,
    }
    env.pop("FLASK_DEBUG", None)

    migrate_database(env, ROOT)

    log = work / "server.log"
    with serving_gunicorn("wsgi:app", env, log, ROOT, seconds=STARTUP_SECONDS) as (port, _):
        yield LiveServer(url=f"http://127.0.0.1:{port}", log=log)


# Where the mails of the server link to (the server's own port is only known once
# it runs): the journeys follow a link's path on the server.
MAIL_LINK_BASE = "http://conduit.test"


@pytest.fixture(scope="session")
def e2e_mailbox() -> Iterator[tuple[int, Mailbox]]:
    """The SMTP server (aiosmtpd) the live server mails to: (port, mailbox)."""
    with smtp_server() as served:
        yield served


@pytest.fixture(scope="session")
def live_server(
    e2e_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    e2e_mailbox: tuple[int, Mailbox],
) -> Iterator[LiveServer]:
    """gunicorn serving the app on a free port; stopped at the end, whatever happened."""
    mail = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(e2e_mailbox[0]),
        "PUBLIC_BASE_URL": MAIL_LINK_BASE,
    }
    with run_live_server(e2e_database_url, tmp_path_factory.mktemp("e2e-server"), **mail) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class PageEvents:
    """What happened in a test's pages that no test should ever see."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(
    browser: Browser, base_url: str, page_events: PageEvents, live_server: LiveServer
) -> Iterator[NewPage]:
    """Open a page in a fresh browser context (its own cookies: another person).

    `new_page(javascript=False)` browses with JavaScript off. Dialogs are
    dismissed and recorded, as are uncaught script errors; either fails the test.
    """
    contexts: list[BrowserContext] = []

    def open_page(*, javascript: bool = True, **options: object) -> Page:
        context = browser.new_context(base_url=base_url, java_script_enabled=javascript, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()

        def on_dialog(dialog: Dialog) -> None:
            page_events.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: page_events.errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not page_events.dialogs, f"dialogs appeared: {page_events.dialogs}"
    assert not page_events.errors, f"script errors: {page_events.errors}"


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page with JavaScript on, in a context of its own."""
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, attach the end of the server's log (and nginx's, if any) to the report."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    server = funcargs.get("live_server")
    if report.failed and isinstance(server, LiveServer):
        report.sections.append(("server log (tail)", tail(server.log)))
    served = funcargs.get("served")
    if report.failed and isinstance(served, ServedFrontends):
        report.sections.append(("nginx error log (tail)", tail(served.error_log)))
    return report
