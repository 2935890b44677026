"""Settings: "Download my data" and "Delete my account", with CSRF on."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Article, User, UserSession
from app.schemas.accounts import AccountExport
from app.services import articles, comments, favorites
from tests.factories import PASSWORD
from tests.web.helpers import Browser


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# Download my data ------------------------------------------------------------


def test_the_settings_page_offers_the_download_and_the_deletion(signed_in):
    page = signed_in.get("/settings")

    download = page.form("/settings/export")
    assert download.first("button").text == "Download my data"
    assert download.first("input[name=csrf_token]")["value"]
    assert [link.text for link in page.links_to("/settings/delete")] == ["Delete my account"]


def test_download_my_data_is_the_accounts_json_as_an_attachment(signed_in, user, other_user):
    slug = articles.create_article(
        actor=user, title="Mine", description="d", body="**bold**", tag_list=["b", "a"]
    ).slug
    comments.add_comment(actor=user, slug=slug, body="My own comment")

    page = signed_in.submit("/settings", action="/settings/export")

    response = page.response
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="conduit-account.json"'
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    AccountExport.model_validate_json(text)
    document = json.loads(text)
    assert document["profile"]["email"] == "jake@example.com"
    assert [(a["slug"], a["body"], a["tagList"]) for a in document["articles"]] == [
        (slug, "**bold**", ["a", "b"])
    ]
    assert [c["body"] for c in document["comments"]] == ["My own comment"]


def test_download_without_the_csrf_token_is_refused(signed_in):
    page = signed_in.post("/settings/export", {})

    assert page.status == 400
    assert "Content-Disposition" not in page.response.headers


def test_download_needs_sign_in(browser, user):
    token = browser.csrf_token("/login")

    page = browser.post("/settings/export", {"csrf_token": token})

    assert page.status == 302
    assert page.location.startswith("/login")


def test_download_is_a_post_form_not_a_link(signed_in):
    assert signed_in.get("/settings/export", status=405)


# Delete my account -----------------------------------------------------------


def test_the_deletion_page_asks_for_the_password(signed_in):
    page = signed_in.get("/settings/delete")

    form = page.form("/settings/delete")
    assert {e["name"] for e in form.descendants() if e.get("name")} == {"csrf_token", "password"}
    assert form.first("input[name=password]")["type"] == "password"


def test_deleting_with_the_password_signs_out_and_deletes_everything(signed_in, user, other_user):
    slug = articles.create_article(actor=user, title="Mine", description="d", body="b").slug
    theirs = articles.create_article(actor=other_user, title="Theirs", description="d", body="b")
    favorites.favorite_article(actor=user, slug=theirs.slug)
    cookie = signed_in.session_cookie

    page = signed_in.submit("/settings/delete", {"password": PASSWORD})

    assert page.status == 302
    assert page.location == "/"
    home = signed_in.get("/")
    assert home.signed_in_as is None
    assert home.flashes == ["The account jake is deleted, with everything in it. Goodbye!"]
    assert db.session.scalar(select(User).where(User.username == "jake")) is None
    assert _count(UserSession) == 0
    assert [a.slug for a in db.session.scalars(select(Article))] == [theirs.slug]
    assert articles.get_article(slug=theirs.slug, viewer_id=None).favorites_count == 0
    assert slug not in home.html
    # The old session cookie opens nothing.
    signed_in.client.set_cookie("session", cookie)
    assert signed_in.whoami() is None


def test_a_wrong_password_is_shown_with_422_and_deletes_nothing(signed_in, user):
    page = signed_in.submit("/settings/delete", {"password": "not the password"})

    assert page.status == 422
    assert page.errors == ["Password is invalid"]
    assert page.first("input[name=password]").get("value") in (None, "")
    assert signed_in.whoami() == "jake"
    assert _count(User) == 1


def test_a_blank_password_is_shown_with_422_and_deletes_nothing(signed_in, user):
    page = signed_in.submit("/settings/delete", {"password": ""})

    assert page.status == 422
    assert page.errors == ["Password can't be blank"]
    assert _count(User) == 1


def test_deleting_without_the_csrf_token_deletes_nothing(signed_in, user):
    page = signed_in.post("/settings/delete", {"password": PASSWORD})

    assert page.status == 400
    assert _count(User) == 1
    assert signed_in.whoami() == "jake"


def test_deleting_needs_sign_in(browser, user):
    assert browser.get("/settings/delete", status=302).location.startswith("/login")


def test_the_account_can_be_registered_again_after_deletion(signed_in, new_browser):
    signed_in.submit("/settings/delete", {"password": PASSWORD})
    again: Browser = new_browser()

    page = again.submit(
        "/register", {"username": "jake", "email": "jake@example.com", "password": PASSWORD}
    )

    assert page.status == 302
    assert again.whoami() == "jake"
