"""Forms that lose a race with the deletion of their article show the 404 page; a
sign-in that loses it to the deletion of its account says so on the form.

The browser fetched the form while the article existed; its POST then loads the
article, and another connection deletes it (and commits) just before the POST's
first write; see tests/interleaving.py. Nothing may answer 500 or a misleading
422, and nothing is written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Article, Comment, Favorite, User, UserSession
from app.services import articles, comments, favorites
from tests.conftest import POSTGRES_URL
from tests.factories import PASSWORD
from tests.interleaving import committed_before_next_write
from tests.web.helpers import Browser, Page


@pytest.fixture
def slug(user) -> str:
    return articles.create_article(
        actor=user, title="Dragons", description="About dragons", body="Fire.", tag_list=["fire"]
    ).slug


def _count(model: type) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _post_losing_the_race(browser: Browser, url: str, action: str, data: dict[str, str]) -> Page:
    """Fill the form of `url` that posts to `action`, then send it while its article goes."""
    values = browser.form_data(url, action=action)
    values.update(data)
    article_slug = url.rsplit("/", 1)[1]
    with committed_before_next_write(delete(Article).where(Article.slug == article_slug)) as race:
        page = browser.post(action, values)
    assert race.fired
    return page


def _assert_not_found_page(page: Page) -> None:
    assert page.status == 404, page.html[:2000]
    assert page.first("h1").text == "404"


@pytest.mark.parametrize(
    "change",
    [{"title": "Renamed"}, {"body": "Changed"}, {"tags": "ice"}],
    ids=["title", "body", "tags"],
)
def test_saving_an_edit_while_the_article_is_deleted_shows_404(signed_in, slug, change):
    page = _post_losing_the_race(signed_in, f"/editor/{slug}", f"/editor/{slug}", change)

    _assert_not_found_page(page)
    assert _count(Article) == 0


if not (POSTGRES_URL and POSTGRES_URL.startswith("postgres")):
    # SQLite locks no row as the deletion loads the article; PostgreSQL does, and
    # there the other deletion waits (tests/services/test_races.py,
    # test_a_deletion_begun_during_the_articles_deletion_waits_for_it).

    def test_deleting_an_article_twice_at_once_shows_404_for_the_second(signed_in, slug):
        page = _post_losing_the_race(signed_in, f"/article/{slug}", f"/article/{slug}/delete", {})

        _assert_not_found_page(page)
        assert page.flashes == []


@pytest.mark.parametrize("button", ["favorite", "unfavorite"])
def test_a_favorite_button_pressed_while_the_article_is_deleted_shows_404(
    other_signed_in, other_user, slug, button
):
    if button == "unfavorite":
        favorites.favorite_article(actor=other_user, slug=slug)
    url = f"/article/{slug}"

    page = _post_losing_the_race(other_signed_in, url, f"{url}/{button}", {})

    _assert_not_found_page(page)
    assert _count(Favorite) == 0


def test_a_comment_posted_while_the_article_is_deleted_shows_404(signed_in, slug):
    page = _post_losing_the_race(
        signed_in, f"/article/{slug}", f"/article/{slug}/comments", {"body": "First!"}
    )

    _assert_not_found_page(page)
    assert _count(Comment) == 0


def test_deleting_a_comment_while_the_article_is_deleted_shows_404(signed_in, user, slug):
    comment = comments.add_comment(actor=user, slug=slug, body="Mine.")
    action = f"/article/{slug}/comments/{comment.id}/delete"

    page = _post_losing_the_race(signed_in, f"/article/{slug}", action, {})

    _assert_not_found_page(page)
    assert page.flashes == []


def test_signing_in_while_the_account_is_deleted_says_so_on_the_form(browser, user):
    values = browser.form_data("/login")
    values.update(email=user.email, password=PASSWORD)
    with committed_before_next_write(delete(User).where(User.id == user.id)) as race:
        page = browser.post("/login", values)

    assert race.fired
    assert page.status == 422, page.html[:2000]
    assert page.errors == ["account has been deleted"]
    assert _count(UserSession) == 0
    assert browser.whoami() is None


def test_saving_settings_while_the_account_is_deleted_shows_the_401_page(signed_in, user):
    values = signed_in.form_data("/settings")
    values.update(bio="A new bio")
    with committed_before_next_write(delete(User).where(User.id == user.id)) as race:
        page = signed_in.post("/settings", values)

    assert race.fired
    assert page.status == 401, page.html[:2000]
    assert page.first("h1").text == "401"
    # The page itself is drawn signed out: the account it named is gone.
    assert page.signed_in_as is None
    assert signed_in.client.get_cookie("session") is None
    assert _count(User) == 0
    assert signed_in.whoami() is None
