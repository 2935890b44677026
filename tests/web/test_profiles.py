"""Profile pages: a user's articles and favorites, following, and your own profile."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Follow, User
from app.services import articles, favorites, profiles
from tests.web.helpers import Page


def _write(author: User, title: str) -> str:
    return articles.create_article(
        actor=author, title=title, description=f"About {title}", body="Body"
    ).slug


def _titles(page: Page) -> list[str]:
    return page.texts(".article-preview h1")


def _follows() -> set[tuple[int, int]]:
    return {(f.follower_id, f.followed_id) for f in db.session.scalars(select(Follow))}


@pytest.fixture
def shelves(user: User, other_user: User) -> None:
    """celeb wrote two articles and favorited jake's; jake wrote one."""
    other_user.bio = "A celebrity"
    other_user.image = "https://example.com/celeb.png"
    db.session.commit()
    _write(other_user, "Celeb one")
    _write(other_user, "Celeb two")
    jakes = _write(user, "Jake's")
    favorites.favorite_article(actor=other_user, slug=jakes)


def test_a_profile_shows_the_user_and_the_articles_they_wrote(browser, shelves):
    page = browser.get("/profile/celeb")

    info = page.first(".user-info")
    assert info.first("h4").text == "celeb"
    assert info.first("p").text == "A celebrity"
    assert info.first("img")["src"] == "https://example.com/celeb.png"
    assert page.first(".articles-toggle a.active").text == "My Articles"
    assert _titles(page) == ["Celeb two", "Celeb one"]
    assert page.first("title").text == "celeb — Conduit"


def test_the_favorites_tab_shows_the_articles_they_favorited(browser, shelves):
    page = browser.get("/profile/celeb/favorites")

    assert page.first(".articles-toggle a.active").text == "Favorited Articles"
    assert _titles(page) == ["Jake's"]
    tabs = page.select(".articles-toggle a")
    assert [(tab.text, tab["href"]) for tab in tabs] == [
        ("My Articles", "/profile/celeb"),
        ("Favorited Articles", "/profile/celeb/favorites"),
    ]


def test_a_profile_without_articles_or_favorites_says_so(browser, user):
    for url in ("/profile/jake", "/profile/jake/favorites"):
        page = browser.get(url)
        assert _titles(page) == []
        assert page.first(".empty-state").text == "No articles are here... yet."


def test_a_profile_is_found_whatever_the_case(browser, shelves):
    page = browser.get("/profile/CELEB")

    assert page.first(".user-info h4").text == "celeb"
    assert _titles(page) == ["Celeb two", "Celeb one"]


@pytest.mark.parametrize("url", ["/profile/nobody", "/profile/nobody/favorites"])
def test_a_missing_profile_is_a_404_page(browser, url):
    page = browser.get(url, status=404)

    assert page.first("h1").text == "404"


def test_profile_articles_are_paged(browser, other_user):
    for number in range(12):
        _write(other_user, f"Paged {number:02d}")

    first = browser.get("/profile/celeb")
    second = browser.get("/profile/celeb?page=2")

    assert len(_titles(first)) == 10
    assert _titles(second) == ["Paged 01", "Paged 00"]
    assert [link["href"] for link in first.select(".pagination a")] == [
        "/profile/celeb?page=1",
        "/profile/celeb?page=2",
    ]


# Following ---------------------------------------------------------------------


def test_follow_and_unfollow_buttons_switch_and_come_back(signed_in, user, other_user):
    page = signed_in.get("/profile/celeb")
    form = page.form("/profile/celeb/follow")
    assert form.first("button").text == "+ Follow celeb"
    assert form.first("input[name=next]")["value"] == "/profile/celeb"

    done = signed_in.submit("/profile/celeb", action="/profile/celeb/follow")

    assert done.status == 302
    assert done.location == "/profile/celeb"
    assert _follows() == {(user.id, other_user.id)}
    page = signed_in.get("/profile/celeb")
    assert page.select("form[action='/profile/celeb/follow']") == []
    assert page.form("/profile/celeb/unfollow").first("button").text == "\u2212 Unfollow celeb"

    signed_in.submit("/profile/celeb", action="/profile/celeb/unfollow")

    assert _follows() == set()
    assert signed_in.get("/profile/celeb").form("/profile/celeb/follow")


def test_following_from_an_article_page_comes_back_to_it(signed_in, other_user):
    slug = _write(other_user, "Followable")

    done = signed_in.submit(f"/article/{slug}", action="/profile/celeb/follow")

    assert done.location == f"/article/{slug}"
    page = signed_in.get(f"/article/{slug}")
    assert page.form("/profile/celeb/unfollow")


def test_following_fills_your_feed(signed_in, other_user):
    _write(other_user, "Now in my feed")
    assert _titles(signed_in.get("/?feed=yours")) == []

    signed_in.submit("/profile/celeb", action="/profile/celeb/follow")

    assert _titles(signed_in.get("/?feed=yours")) == ["Now in my feed"]


def test_a_follow_never_goes_back_to_another_site(signed_in, other_user):
    token = signed_in.csrf_token("/profile/celeb", action="/profile/celeb/follow")

    page = signed_in.post("/profile/celeb/follow", {"csrf_token": token, "next": "//evil.com"})

    assert page.location == "/profile/celeb"


def test_following_yourself_is_refused_with_an_error_page(signed_in, user):
    token = signed_in.csrf_token("/editor")

    page = signed_in.post("/profile/jake/follow", {"csrf_token": token})

    assert page.status == 422
    assert page.first("h1").text == "422"
    assert _follows() == set()


def test_following_a_missing_user_is_404(signed_in):
    token = signed_in.csrf_token("/editor")

    assert signed_in.post("/profile/nobody/follow", {"csrf_token": token}).status == 404
    assert signed_in.post("/profile/nobody/unfollow", {"csrf_token": token}).status == 404


def test_the_follow_button_for_anonymous_users_links_to_sign_in(browser, other_user):
    page = browser.get("/profile/celeb")

    assert page.select("form[action$=follow]") == []
    link = page.first(".user-info a.btn")
    assert link.text == "+ Follow celeb"
    assert urlsplit(link["href"]).path == "/login"
    assert parse_qs(urlsplit(link["href"]).query) == {"next": ["/profile/celeb"]}


def test_following_needs_sign_in(browser, other_user):
    token = browser.csrf_token("/login")

    page = browser.post("/profile/celeb/follow", {"csrf_token": token})

    assert urlsplit(page.location).path == "/login"
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


# Your own profile -------------------------------------------------------------


def test_your_own_profile_offers_edit_profile_settings_not_follow(signed_in, other_user):
    page = signed_in.get("/profile/jake")

    link = page.first(".user-info a.btn")
    assert link.text == "⚙ Edit Profile Settings"
    assert link["href"] == "/settings"
    assert page.select("form[action$=follow]") == []
    assert page.first("nav a.nav-link.active").text == "jake"


def test_another_profile_offers_no_settings_link(signed_in, other_user):
    page = signed_in.get("/profile/celeb")

    assert "Edit Profile Settings" not in page.first(".user-info").text
    assert page.form("/profile/celeb/follow")


def test_the_navbar_links_to_your_profile(signed_in):
    page = signed_in.get("/")

    link = page.first("nav a.nav-link[href='/profile/jake']")
    assert link.text == "jake"


def test_a_profile_followed_through_the_service_shows_unfollow(signed_in, user, other_user):
    profiles.follow_user(actor=user, username="celeb")

    page = signed_in.get("/profile/celeb")

    assert page.form("/profile/celeb/unfollow")
