"""Fixtures of the web UI tests: browsers (anonymous and signed in) and other apps.

Every form is submitted with CSRF protection on, through `tests.web.helpers.Browser`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from app.models import User
from config import Config
from tests.conftest import POSTGRES_URL, IsolatedClient, _empty_all_tables
from tests.web.helpers import Browser


@pytest.fixture
def new_browser(app: Flask) -> Callable[[], Browser]:
    """Browsers on the test app, each with cookies of its own."""

    def make() -> Browser:
        return Browser(IsolatedClient(app, app.response_class, use_cookies=True))

    return make


@pytest.fixture
def browser(new_browser: Callable[[], Browser]) -> Browser:
    """An anonymous visitor."""
    return new_browser()


@pytest.fixture
def signed_in(browser: Browser, user: User) -> Browser:
    """jake, signed in through the real /login form."""
    browser.sign_in(user.email)
    return browser


@pytest.fixture
def other_signed_in(new_browser: Callable[[], Browser], other_user: User) -> Browser:
    """celeb, signed in through the real /login form in a browser of their own."""
    browser = new_browser()
    browser.sign_in(other_user.email)
    return browser


@pytest.fixture
def build_app() -> Iterator[Callable[..., Flask]]:
    """Build apps with other settings than `app`'s; their data is removed after the test.

    `build_app(ConfigClass)` gives an app with the schema in place (an in-memory
    SQLite database, or the test PostgreSQL database); `schema=False` leaves its
    database alone (for an app whose database is unreachable).
    """
    with ExitStack() as cleanup:

        def build(config_class: type[Config], *, schema: bool = True) -> Flask:
            built = create_app(config_class)
            built.test_client_class = FlaskClient

            def close() -> None:
                with built.app_context():
                    db.session.remove()
                    if schema and POSTGRES_URL:
                        _empty_all_tables()
                    db.engine.dispose()

            cleanup.callback(close)
            if schema and not POSTGRES_URL:
                with built.app_context():
                    db.create_all()
            return built

        yield build
