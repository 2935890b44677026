"""CSRF on every form that changes something, and the two surfaces' credentials kept apart.

Every state-changing form is tried with no token, a garbage token, a token of
another browser's session, and a stale token of this browser (from before its
session was renewed by signing in or out). Each gets the 400 page and changes
nothing; then the same form, sent as the page gives it, does change something,
so that "nothing changed" cannot pass by accident.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models import Article, Comment, Favorite, Follow, User, UserSession
from app.services import articles, favorites, profiles
from tests.conftest import auth_headers
from tests.factories import PASSWORD, CommentFactory, UserFactory
from tests.web.helpers import CSRF_REFUSAL, Browser


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@dataclass
class Scene:
    """jake signed in, a visitor, their stale tokens, and things to change."""

    jake: Browser
    visitor: Browser
    stranger_token: str
    jake_stale_token: str
    visitor_stale_token: str
    ids: dict[str, Any]


@pytest.fixture
def scene(new_browser, user, other_user) -> Scene:
    third = UserFactory(username="third", email="third@example.com")
    own = articles.create_article(actor=user, title="Own", description="d", body="b").slug
    plain = articles.create_article(actor=other_user, title="Plain", description="d", body="b")
    liked = articles.create_article(actor=other_user, title="Liked", description="d", body="b")
    favorites.favorite_article(actor=user, slug=liked.slug)
    profiles.follow_user(actor=user, username="third")
    comment = CommentFactory(
        article=articles.load_article(plain.slug), author=user, body="My comment"
    )

    jake = new_browser()
    jake_stale_token = jake.csrf_token("/login")
    jake.sign_in(user.email)

    visitor = new_browser()
    visitor_stale_token = visitor.csrf_token("/login")
    visitor.sign_in(third.email)
    visitor.sign_out()

    stranger_token = new_browser().csrf_token("/login")
    return Scene(
        jake=jake,
        visitor=visitor,
        stranger_token=stranger_token,
        jake_stale_token=jake_stale_token,
        visitor_stale_token=visitor_stale_token,
        ids={
            "user": user.id,
            "own": own,
            "plain": plain.slug,
            "liked": liked.slug,
            "comment": comment.id,
        },
    )


@dataclass(frozen=True)
class Form:
    """A state-changing form: where it is, where it posts, what it sends, what it changes."""

    name: str
    page: str
    action: str
    data: dict[str, str]
    state: Callable[[dict[str, Any]], Any]
    anonymous: bool = False


def _bio(ids: dict[str, Any]) -> str | None:
    return db.session.get(User, ids["user"]).bio


def _own_title(ids: dict[str, Any]) -> list[str]:
    return list(db.session.scalars(select(Article.title).where(Article.author_id == ids["user"])))


def _signed_in_sessions(ids: dict[str, Any]) -> int:
    return _count(UserSession)


FORMS = [
    Form(
        "register",
        "/register",
        "/register",
        {"username": "newbie", "email": "newbie@example.com", "password": "newbie-pass"},
        lambda ids: _count(User),
        anonymous=True,
    ),
    Form(
        "login",
        "/login",
        "/login",
        {"email": "jake@example.com", "password": PASSWORD},
        _signed_in_sessions,
        anonymous=True,
    ),
    Form("settings", "/settings", "/settings", {"bio": "Forged bio"}, _bio),
    Form(
        "new article",
        "/editor",
        "/editor",
        {"title": "Forged", "description": "d", "body": "b"},
        lambda ids: _count(Article),
    ),
    Form("edit article", "/editor/{own}", "/editor/{own}", {"title": "Forged"}, _own_title),
    Form(
        "delete article",
        "/article/{own}",
        "/article/{own}/delete",
        {},
        lambda ids: _count(Article),
    ),
    Form(
        "favorite",
        "/article/{plain}",
        "/article/{plain}/favorite",
        {},
        lambda ids: _count(Favorite),
    ),
    Form(
        "unfavorite",
        "/article/{liked}",
        "/article/{liked}/unfavorite",
        {},
        lambda ids: _count(Favorite),
    ),
    Form("follow", "/profile/celeb", "/profile/celeb/follow", {}, lambda ids: _count(Follow)),
    Form("unfollow", "/profile/third", "/profile/third/unfollow", {}, lambda ids: _count(Follow)),
    Form(
        "comment",
        "/article/{plain}",
        "/article/{plain}/comments",
        {"body": "Forged comment"},
        lambda ids: _count(Comment),
    ),
    Form(
        "delete comment",
        "/article/{plain}",
        "/article/{plain}/comments/{comment}/delete",
        {},
        lambda ids: _count(Comment),
    ),
    Form("logout", "/settings", "/logout", {}, _signed_in_sessions),
]

TOKENS = ["missing", "garbage", "another session's", "stale"]


def _token(scene: Scene, form: Form, kind: str) -> str | None:
    if kind == "missing":
        return None
    if kind == "garbage":
        return "not-a-token"
    if kind == "another session's":
        return scene.stranger_token
    return scene.visitor_stale_token if form.anonymous else scene.jake_stale_token


def _opened(scene: Scene, form: Form) -> tuple[Browser, str, dict[str, str]]:
    """The browser that may send `form`, where it posts, and its fields as its page gives them."""
    browser = scene.visitor if form.anonymous else scene.jake
    action = form.action.format(**scene.ids)
    return browser, action, browser.form_data(form.page.format(**scene.ids), action=action)


def _assert_refused_or_done_on_site(response: Any, sent: Any) -> None:
    """A form answered with a refusal, or done and sent back to a page of this site."""
    assert response.status_code in (302, 400, 404, 422), (sent, response.status_code)
    if response.status_code == 302:
        assert response.location.startswith("/"), (sent, response.location)


@pytest.mark.parametrize("kind", TOKENS)
@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.name)
def test_a_form_without_a_valid_csrf_token_gets_a_400_page_and_changes_nothing(scene, form, kind):
    browser, action, fields = _opened(scene, form)
    fields.update(form.data)
    token = _token(scene, form, kind)
    if token is None:
        del fields["csrf_token"]
    else:
        fields["csrf_token"] = token
    before = form.state(scene.ids)

    page = browser.post(action, fields)

    assert page.status == 400
    assert page.response.mimetype == "text/html"
    assert page.first("h1").text == "400"
    assert CSRF_REFUSAL in page.first("main").text
    assert page.select("nav.navbar")
    assert form.state(scene.ids) == before
    # The browser is who it was: a refused sign-in or sign-out did nothing either.
    assert browser.whoami() == (None if form.anonymous else "jake")


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.name)
def test_the_same_form_sent_as_the_page_gives_it_does_change_something(scene, form):
    browser = scene.visitor if form.anonymous else scene.jake
    before = form.state(scene.ids)

    page = browser.submit(
        form.page.format(**scene.ids), form.data, action=form.action.format(**scene.ids)
    )

    assert page.status == 302, page.errors
    assert form.state(scene.ids) != before


def test_a_token_signed_with_another_secret_is_refused(scene):
    forged = URLSafeTimedSerializer("another-secret", salt="wtf-csrf-token").dumps("x" * 40)
    fields = scene.jake.form_data("/settings")
    fields.update({"csrf_token": forged, "bio": "Forged"})

    page = scene.jake.post("/settings", fields)

    assert page.status == 400
    assert _bio(scene.ids) is None


def test_a_token_in_a_header_from_another_site_is_refused_too(scene):
    fields = scene.jake.form_data("/settings")
    fields.pop("csrf_token")
    fields["bio"] = "Forged"

    page = scene.jake.post("/settings", fields, headers={"X-CSRFToken": scene.stranger_token})

    assert page.status == 400
    assert _bio(scene.ids) is None


# The API and the web UI keep their credentials apart ---------------------------------


def test_the_api_never_accepts_the_web_session_cookie(signed_in):
    assert signed_in.whoami() == "jake"

    response = signed_in.client.get("/api/user")

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.headers["WWW-Authenticate"] == "Token"


def test_the_api_never_writes_on_behalf_of_the_web_session_cookie(signed_in):
    token = signed_in.csrf_token("/editor")

    response = signed_in.client.post(
        "/api/articles",
        json={"article": {"title": "Via cookie", "description": "d", "body": "b"}},
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 401
    assert _count(Article) == 0


@pytest.mark.parametrize("path", ["/api/articles", "/api/user", "/api/no/such/thing"])
def test_api_responses_neither_read_nor_set_the_session_cookie(signed_in, path):
    response = signed_in.client.get(path)

    assert "Set-Cookie" not in response.headers
    # Nothing under /api depends on the cookie, so no cache may key on it.
    assert "Cookie" not in response.vary
    assert signed_in.whoami() == "jake", "the web session is still open"


def test_the_web_ui_never_accepts_an_api_token(browser, user):
    headers = auth_headers(user)
    assert browser.client.get("/api/user", headers=headers).status_code == 200

    page = browser.get("/settings", status=302, headers=headers)

    assert page.location.startswith("/login")
    assert browser.get("/", headers=headers).signed_in_as is None


def test_an_api_token_cannot_post_a_web_form(browser, user):
    token = browser.csrf_token("/login")

    page = browser.post(
        "/editor",
        {"csrf_token": token, "title": "Via token", "description": "d", "body": "b"},
        headers=auth_headers(user),
    )

    assert page.status == 302
    assert page.location.startswith("/login")
    assert _count(Article) == 0


def test_the_session_cookie_holds_no_user_id(signed_in, user):
    """The cookie carries a random session token, not something guessable."""
    with signed_in.client.session_transaction() as session:
        stored = session["_user_id"]

    assert stored != str(user.id)
    assert len(stored) >= 32


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.name)
def test_a_file_sent_in_place_of_any_field_is_no_value_never_a_500(scene, form):
    # Flask-WTF reads files with the text fields; a rule given a file failed (500),
    # on some forms after the write had been made.
    browser, action, fields = _opened(scene, form)
    fields.update(form.data)

    for name in fields:
        sent: dict[str, Any] = {**fields, name: (io.BytesIO(b"not text"), "x.txt")}
        response = browser.client.post(action, data=sent, content_type="multipart/form-data")

        _assert_refused_or_done_on_site(response, name)


def test_a_file_as_where_to_go_next_is_the_default_after_a_write_that_is_made(scene):
    before = _count(Favorite)

    response = scene.jake.client.post(
        f"/article/{scene.ids['plain']}/favorite",
        data={
            "csrf_token": scene.jake.csrf_token(
                f"/article/{scene.ids['plain']}", action=f"/article/{scene.ids['plain']}/favorite"
            ),
            "next": (io.BytesIO(b"/elsewhere"), "next.txt"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert response.location == f"/article/{scene.ids['plain']}"
    assert _count(Favorite) == before + 1


def test_a_file_as_the_email_of_the_login_form_is_a_field_error(scene):
    visitor = scene.visitor
    response = visitor.client.post(
        "/login",
        data={
            "csrf_token": visitor.csrf_token("/login"),
            "email": (io.BytesIO(b"jake@example.com"), "email.txt"),
            "password": PASSWORD,
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert visitor.whoami() is None


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.name)
def test_a_json_body_in_place_of_a_form_is_no_value_never_a_500(scene, form):
    # Flask-WTF reads a JSON body as the form's fields; an object or a number given
    # to a rule failed (500), on some forms after the write had been made.
    browser, action, fields = _opened(scene, form)
    token = fields.pop("csrf_token")
    odd_values: list[Any] = [{"a": 1}, 5, ["x"], None, True]

    for value in odd_values:
        sent = {**dict.fromkeys([*fields, *form.data], value), "csrf_token": token}
        response = browser.client.post(action, json=sent, headers={"X-CSRFToken": token})

        _assert_refused_or_done_on_site(response, value)
