"""Error pages: in the site's layout, with the right status, and never a 500 for odd input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

import config
from app.extensions import db
from app.models import Article, Comment, User
from app.services import articles, tags
from tests.factories import PASSWORD
from tests.web.helpers import Browser, Page

LONG = "a" * 300
DATABASE_DOWN_URL = "postgresql+psycopg://conduit@127.0.0.1:9/conduit"


def _assert_error_page(page: Page, status: int, message: str) -> None:
    assert page.status == status
    assert page.response.mimetype == "text/html"
    assert page.first("h1").text == str(status)
    assert message in page.first("main").text
    assert page.first("nav.navbar a.navbar-brand")["href"] == "/"
    assert page.first("footer")
    assert "Traceback" not in page.html


# Not found ------------------------------------------------------------------------


def test_an_unknown_url_is_a_404_page_in_the_site_layout(browser):
    page = browser.get("/no/such/page", status=404)

    _assert_error_page(page, 404, "There is nothing here")
    assert page.first("title").text == "404 Not Found — Conduit"
    assert page.links_to("/")
    assert page.texts("nav.navbar a.nav-link") == ["Home", "Sign in", "Sign up"]


def test_a_404_page_shows_who_is_signed_in(signed_in):
    page = signed_in.get("/no/such/page", status=404)

    _assert_error_page(page, 404, "There is nothing here")
    assert page.signed_in_as == "jake"


def test_an_unknown_api_url_is_json_not_a_page(browser):
    response = browser.client.get("/api/no/such/thing")

    assert response.status_code == 404
    assert response.mimetype == "application/json"


@pytest.mark.parametrize(
    "url", ["/article/no-such-article", "/profile/nobody", "/profile/nobody/favorites"]
)
def test_a_missing_article_or_profile_is_a_404_page(browser, url):
    page = browser.get(url, status=404)

    _assert_error_page(page, 404, "There is nothing here")


def test_a_method_a_page_does_not_take_is_a_405_page(browser):
    page = browser.get("/logout", status=405)

    _assert_error_page(page, 405, "That action is not available here")


def test_an_unexpected_error_is_a_500_page_without_details(browser, monkeypatch):
    def broken() -> list[str]:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(tags, "list_tags", broken)

    page = browser.get("/", status=500)

    _assert_error_page(page, 500, "Something went wrong on our side")
    assert "secret detail" not in page.html


# Odd input: NUL characters, very long values, numbers out of range ----------------


@pytest.mark.parametrize(
    "url",
    [
        "/article/%00",
        "/article/a%00b",
        f"/article/{LONG}",
        "/article/%FF%FE",
        "/profile/%00",
        f"/profile/{LONG}",
        "/profile/%00/favorites",
        f"/profile/{LONG}/favorites",
        "/profile/%F0%9F%90%89",
    ],
)
def test_odd_slugs_and_usernames_are_404_pages(browser, url):
    page = browser.get(url, status=404)

    _assert_error_page(page, 404, "There is nothing here")


@pytest.mark.parametrize(
    "query",
    [
        "tag=%00",
        "tag=a%00",
        f"tag={LONG}",
        "feed=%00",
        "page=%00",
        "page=99999999999999999999999999",
        "page=-99999999999999999999999999",
        f"page={LONG}",
    ],
)
def test_odd_home_queries_show_a_page(browser, user, query):
    articles.create_article(actor=user, title="Shown", description="d", body="b")

    page = browser.get(f"/?{query}")

    assert page.select(".article-preview")


@pytest.mark.parametrize("url", ["/editor/%00", f"/editor/{LONG}"])
def test_odd_slugs_in_the_editor_are_404_pages(signed_in, url):
    signed_in.get(url, status=404)


@pytest.mark.parametrize(
    "action",
    [
        "/article/%00/favorite",
        f"/article/{LONG}/unfavorite",
        "/article/%00/delete",
        f"/article/{LONG}/comments",
        "/article/%00/comments/1/delete",
        "/article/x/comments/99999999999999999999/delete",
        "/profile/%00/follow",
        f"/profile/{LONG}/unfollow",
    ],
)
def test_odd_values_in_a_posted_url_are_404_pages(signed_in, action):
    token = signed_in.csrf_token("/editor")

    page = signed_in.post(action, {"csrf_token": token, "body": "A comment"})

    _assert_error_page(page, 404, "There is nothing here")


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


NUL_MESSAGE = "must not contain NUL characters"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "ja\x00ke", f"Username {NUL_MESSAGE}"),
        ("email", "new\x00@example.com", f"Email {NUL_MESSAGE}"),
        ("password", "pass\x00word", f"Password {NUL_MESSAGE}"),
        ("username", LONG, "Username is too long (maximum is 40 characters)"),
        ("email", f"{LONG}@example.com", "Email is too long (maximum is 254 characters)"),
    ],
)
def test_odd_values_in_the_register_form_are_field_errors(browser, field, value, message):
    fields = {"username": "newbie", "email": "newbie@example.com", "password": "password123"}

    page = browser.submit("/register", {**fields, field: value})

    assert page.status == 422
    assert message in page.errors
    assert _count(User) == 0


@pytest.mark.parametrize(
    ("email", "password"),
    [("jake\x00@example.com", PASSWORD), ("jake@example.com", "\x00"), (LONG, PASSWORD)],
    ids=["nul email", "nul password", "long email"],
)
def test_odd_values_in_the_login_form_are_field_errors(browser, user, email, password):
    page = browser.submit("/login", {"email": email, "password": password})

    assert page.status == 422
    assert page.errors
    assert browser.whoami() is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Ti\x00tle", f"Article Title {NUL_MESSAGE}"),
        ("body", "Bo\x00dy", f"Body {NUL_MESSAGE}"),
        ("tags", "ok, b\x00d", f"Tags {NUL_MESSAGE}"),
    ],
)
def test_odd_values_in_the_editor_are_field_errors(signed_in, field, value, message):
    fields = {"title": "Title", "description": "d", "body": "Body", "tags": ""}

    page = signed_in.submit("/editor", {**fields, field: value})

    assert page.status == 422
    assert page.errors == [message]
    assert _count(Article) == 0


def test_a_nul_in_a_comment_is_a_field_error(signed_in, other_user):
    slug = articles.create_article(actor=other_user, title="T", description="d", body="b").slug

    page = signed_in.submit(
        f"/article/{slug}", {"body": "Hi\x00"}, action=f"/article/{slug}/comments"
    )

    assert page.status == 422
    assert page.errors == [f"Comment {NUL_MESSAGE}"]
    assert _count(Comment) == 0


@pytest.mark.parametrize(
    ("field", "value"), [("bio", "B\x00"), ("image", "https://x.com/\x00"), ("username", "\x00")]
)
def test_a_nul_in_the_settings_is_a_field_error(signed_in, user, field, value):
    page = signed_in.submit("/settings", {field: value})

    assert page.status == 422
    assert any(NUL_MESSAGE in message for message in page.errors)
    db.session.remove()
    assert db.session.get(User, user.id).username == "jake"


# The database is down -----------------------------------------------------------


class DatabaseDownConfig(config.TestConfig):
    """A PostgreSQL server that is not there: nothing listens on port 9 of loopback."""

    def __init__(self) -> None:
        super().__init__({})
        self.SQLALCHEMY_DATABASE_URI = config.normalise_database_url(DATABASE_DOWN_URL)


@pytest.fixture
def offline(build_app: Callable[..., Flask]) -> Browser:
    return Browser(build_app(DatabaseDownConfig, schema=False).test_client())


def _assert_unavailable(page: Page) -> None:
    _assert_error_page(page, 503, "Conduit is unavailable for a moment")
    assert page.response.headers["Retry-After"] == "5"
    assert "psycopg" not in page.html
    assert "127.0.0.1" not in page.html
    # The layout is the anonymous one: drawing it must not need the database.
    assert page.texts("nav.navbar a.nav-link") == ["Home", "Sign in", "Sign up"]


@pytest.mark.parametrize(
    "url", ["/", "/?tag=dragons", "/article/some-slug", "/profile/jake", "/profile/jake/favorites"]
)
def test_a_page_is_a_503_page_when_the_database_is_down(offline, url):
    _assert_unavailable(offline.get(url, status=503))


def test_a_signed_in_browser_gets_the_503_page_when_the_database_is_down(offline):
    with offline.client.session_transaction() as session:
        session["_user_id"] = "a-session-token-from-before-the-outage"
        session["_fresh"] = True

    for url in ("/", "/settings", "/editor"):
        _assert_unavailable(offline.get(url, status=503))

    # Still signed in once the database is back: the outage did not end the session.
    with offline.client.session_transaction() as session:
        assert session["_user_id"] == "a-session-token-from-before-the-outage"


def test_signing_in_or_up_is_a_503_page_when_the_database_is_down(offline):
    # The forms themselves need no database; sending them does.
    login = offline.submit("/login", {"email": "jake@example.com", "password": PASSWORD})
    register = offline.submit(
        "/register", {"username": "newbie", "email": "n@example.com", "password": PASSWORD}
    )

    _assert_unavailable(login)
    _assert_unavailable(register)
