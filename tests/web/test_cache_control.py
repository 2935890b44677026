"""Signed-in pages and the sign-in, sign-up and settings responses say
`Cache-Control: no-store`; what anonymous visitors read keeps its caching."""

from __future__ import annotations

import pytest

from app.models import Article
from tests.factories import ArticleFactory
from tests.web.helpers import Browser

NO_STORE = "no-store"


@pytest.fixture
def article(user) -> Article:
    return ArticleFactory(author=user, slug="dragons")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    "url", ["/", "/?feed=yours", "/article/dragons", "/profile/jake", "/editor", "/settings"]
)
def test_signed_in_pages_are_not_stored(signed_in: Browser, url):
    page = signed_in.get(url)

    assert page.response.headers.get("Cache-Control") == NO_STORE


def test_a_signed_in_error_page_is_not_stored(signed_in: Browser):
    page = signed_in.get("/article/no-such-article", status=404)

    assert page.response.headers.get("Cache-Control") == NO_STORE


@pytest.mark.parametrize("url", ["/login", "/register"])
def test_the_sign_in_and_sign_up_forms_are_not_stored(browser: Browser, url):
    assert browser.get(url).response.headers.get("Cache-Control") == NO_STORE


def test_signing_in_is_not_stored(browser: Browser, user):
    page = browser.sign_in(user.email)

    assert page.response.headers.get("Cache-Control") == NO_STORE


def test_a_refused_sign_in_is_not_stored(browser: Browser, user):
    page = browser.submit("/login", {"email": user.email, "password": "not-the-password"})

    assert page.status == 422
    assert page.response.headers.get("Cache-Control") == NO_STORE


def test_signing_up_is_not_stored(browser: Browser):
    page = browser.submit(
        "/register",
        {"username": "newcomer", "email": "newcomer@example.com", "password": "password123"},
    )

    assert page.status == 302
    assert page.response.headers.get("Cache-Control") == NO_STORE


def test_saving_settings_and_signing_out_are_not_stored(signed_in: Browser):
    saved = signed_in.submit("/settings", {"bio": "Hello"})
    signed_out = signed_in.sign_out()

    assert saved.status == 302
    assert saved.response.headers.get("Cache-Control") == NO_STORE
    assert signed_out.response.headers.get("Cache-Control") == NO_STORE


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    "url", ["/", "/article/dragons", "/profile/jake", "/profile/jake/favorites"]
)
def test_pages_for_anonymous_visitors_keep_their_caching(browser: Browser, url):
    page = browser.get(url)

    assert "Cache-Control" not in page.response.headers
