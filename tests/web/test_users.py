"""Sign up, sign in, sign out, settings, and the session cookie."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import func, select

import config
from app.extensions import db, passwords
from app.models import User, UserSession
from tests.factories import PASSWORD, UserFactory
from tests.web.helpers import Browser, Element, Page

NEW_USER = {"username": "newbie", "email": "newbie@example.com", "password": "newbie-password"}


def _user_named(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def _session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession)) or 0


def _cookie_flags(set_cookie: str) -> set[str]:
    """The attribute names of a Set-Cookie header, lower-cased (`secure`, `httponly`, ...)."""
    return {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}


def _field_names(form: Element) -> set[str]:
    return {element["name"] for element in form.descendants() if element.get("name")}


def _session_set_cookie(page: Page) -> str:
    headers = [h for h in page.response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(headers) == 1, page.response.headers
    return headers[0]


# Registration ------------------------------------------------------------------


def test_the_register_page_has_the_sign_up_form(browser):
    page = browser.get("/register")

    form = page.form("/register")
    assert _field_names(form) == {"csrf_token", "username", "email", "password"}
    assert page.first("h1").text == "Sign up"
    assert page.links_to("/login")


def test_register_creates_the_account_signs_in_and_goes_home(browser):
    page = browser.submit("/register", NEW_USER)

    assert page.status == 302
    assert page.location == "/"
    home = browser.get("/")
    assert home.signed_in_as == "newbie"
    assert home.flashes == ["Welcome to Conduit, newbie!"]
    created = _user_named("newbie")
    assert created is not None
    assert created.email == "newbie@example.com"
    assert passwords.verify(created.password_hash, "newbie-password")
    assert _session_count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "Username can't be blank"),
        ("username", "   ", "Username can't be blank"),
        ("username", "new bie", "Username may contain only letters, digits, '_' and '-'"),
        ("username", "<b>x</b>", "Username may contain only letters, digits, '_' and '-'"),
        ("username", "n" * 41, "Username is too long (maximum is 40 characters)"),
        ("email", "", "Email can't be blank"),
        ("email", "not-an-email", "Email is not a valid e-mail address"),
        ("email", "newbie@", "Email is not a valid e-mail address"),
        ("password", "", "Password can't be blank"),
        ("password", "short", "Password is too short (minimum is 8 characters)"),
        ("password", "p" * 129, "Password is too long (maximum is 128 characters)"),
    ],
)
def test_register_shows_each_bad_field_with_422_and_creates_nothing(browser, field, value, message):
    page = browser.submit("/register", {**NEW_USER, field: value})

    assert page.status == 422
    assert page.errors == [message]
    # The message sits under its own field.
    assert page.first(f"#{field}").get("class", "").endswith("is-invalid")
    assert _user_count() == 0
    assert browser.whoami() is None


def test_register_with_every_field_wrong_lists_every_error(browser):
    page = browser.submit("/register", {"username": "", "email": "x", "password": "1"})

    assert page.status == 422
    assert page.errors == [
        "Username can't be blank",
        "Email is not a valid e-mail address",
        "Password is too short (minimum is 8 characters)",
    ]


def test_register_keeps_what_was_typed_but_never_echoes_the_password(browser):
    page = browser.submit("/register", {**NEW_USER, "email": "nope"})

    assert page.status == 422
    form = page.form("/register")
    assert form.first("#username")["value"] == "newbie"
    assert form.first("#email")["value"] == "nope"
    assert form.first("#password").get("value", "") == ""
    assert "newbie-password" not in page.html


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        ({"username": "JAKE"}, ["Username has already been taken"]),
        ({"email": "Jake@Example.com"}, ["Email has already been taken"]),
        (
            {"username": "jake", "email": "jake@example.com"},
            ["Username has already been taken", "Email has already been taken"],
        ),
    ],
)
def test_register_refuses_a_taken_username_or_email_whatever_the_case(
    browser, user, fields, messages
):
    page = browser.submit("/register", {**NEW_USER, **fields})

    assert page.status == 422
    assert page.errors == messages
    assert _user_count() == 1
    assert browser.whoami() is None


def test_register_when_signed_in_goes_home(signed_in):
    page = signed_in.get("/register", status=302)

    assert page.location == "/"


# Signing in ----------------------------------------------------------------------


def test_sign_in_with_good_credentials_goes_home_signed_in(browser, user):
    page = browser.submit("/login", {"email": "jake@example.com", "password": PASSWORD})

    assert page.status == 302
    assert page.location == "/"
    assert browser.whoami() == "jake"
    assert _session_count() == 1


def test_sign_in_ignores_the_case_of_the_email(browser, user):
    browser.sign_in("JAKE@example.COM")

    assert browser.whoami() == "jake"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("jake@example.com", "wrong-password"),
        ("nobody@example.com", PASSWORD),
        ("jake@example.com", PASSWORD.upper()),
    ],
    ids=["wrong password", "unknown email", "password case"],
)
def test_sign_in_with_bad_credentials_says_so_with_422(browser, user, email, password):
    page = browser.submit("/login", {"email": email, "password": password})

    assert page.status == 422
    assert page.errors == ["email or password is invalid"]
    assert page.form("/login").first("#email")["value"] == email
    assert password not in page.html
    assert browser.whoami() is None
    assert _session_count() == 0


def test_sign_in_with_blank_fields_names_them(browser, user):
    page = browser.submit("/login", {"email": "", "password": ""})

    assert page.status == 422
    assert page.errors == ["Email can't be blank", "Password can't be blank"]


def test_a_page_that_needs_sign_in_sends_to_login_and_back(browser, user):
    page = browser.get("/settings", status=302)

    assert urlsplit(page.location).path == "/login"
    assert parse_qs(urlsplit(page.location).query) == {"next": ["/settings"]}
    login = browser.get(page.location)
    assert login.flashes == ["Please sign in first."]
    assert login.form("/login").first("input[name=next]")["value"] == "/settings"

    signed = browser.submit(
        page.location, {"email": "jake@example.com", "password": PASSWORD}, action="/login"
    )

    assert signed.location == "/settings"
    browser.get("/settings")


@pytest.mark.parametrize("target", ["/editor", "/article/some-slug?x=1", "/?tag=dragons&page=2"])
def test_sign_in_goes_to_the_next_page_of_this_site(browser, user, target):
    page = browser.submit(
        f"/login?next={quote(target, safe='')}", {"email": "jake@example.com", "password": PASSWORD}
    )

    assert page.status == 302
    assert page.location == target


UNSAFE_TARGETS = [
    "//evil.com",
    "//evil.com/path",
    "http://evil.com",
    "https://evil.com/",
    "https:evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    " //evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_sign_in_never_redirects_to_another_site(browser, user, target):
    page = browser.submit(
        f"/login?next={quote(target, safe='')}", {"email": "jake@example.com", "password": PASSWORD}
    )

    assert page.status == 302
    assert page.location == "/"
    assert browser.whoami() == "jake"


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_a_forged_next_field_is_refused_too(browser, user, target):
    page = browser.submit(
        "/login", {"email": "jake@example.com", "password": PASSWORD, "next": target}
    )

    assert page.location == "/"


@pytest.mark.parametrize("target", ["/editor", "//evil.com", "http://evil.com"])
def test_the_login_page_when_signed_in_goes_to_a_safe_next(signed_in, target):
    page = signed_in.get(f"/login?next={quote(target, safe='')}", status=302)

    assert page.location == ("/editor" if target == "/editor" else "/")


# Signing out ---------------------------------------------------------------------


def test_sign_out_is_a_post_form_not_a_link(signed_in):
    settings = signed_in.get("/settings")

    assert settings.form("/logout").first("button").text == "Or click here to logout."
    assert not settings.links_to("/logout")
    page = signed_in.get("/logout", status=405)
    assert page.first("h1").text == "405"
    assert signed_in.whoami() == "jake"


def test_sign_out_ends_the_session_on_the_server(signed_in):
    assert _session_count() == 1

    page = signed_in.sign_out()

    assert page.location == "/"
    home = signed_in.get("/")
    assert home.signed_in_as is None
    assert home.flashes == ["You are signed out."]
    assert _session_count() == 0
    assert signed_in.get("/settings", status=302).location.startswith("/login")


def test_signing_out_when_not_signed_in_is_harmless(browser, user):
    token = browser.csrf_token("/login")

    page = browser.post("/logout", {"csrf_token": token})

    assert page.status == 302
    assert page.location == "/"
    assert browser.whoami() is None


def test_a_session_cookie_copied_before_sign_out_opens_nothing_afterwards(signed_in, new_browser):
    thief = new_browser()
    thief.client.set_cookie("session", signed_in.session_cookie)
    # The copy works while the session lives: the test below is not vacuous.
    assert thief.whoami() == "jake"

    signed_in.sign_out()

    assert thief.whoami() is None
    assert thief.get("/settings", status=302).location.startswith("/login")
    assert thief.get("/editor", status=302).location.startswith("/login")


def test_signing_out_in_one_browser_leaves_the_others_signed_in(signed_in, new_browser, user):
    laptop = new_browser()
    laptop.sign_in(user.email)

    signed_in.sign_out()

    assert laptop.whoami() == "jake"
    assert signed_in.whoami() is None


def test_signing_in_again_replaces_the_session_cookie(browser, user):
    browser.sign_in(user.email)
    first = browser.session_cookie
    browser.sign_out()

    browser.sign_in(user.email)

    assert browser.session_cookie != first
    assert browser.whoami() == "jake"


# Settings ------------------------------------------------------------------------


@pytest.fixture
def described_user(user: User) -> User:
    user.bio = "I work at statefarm"
    user.image = "https://example.com/jake.png"
    db.session.commit()
    return user


def test_the_settings_page_shows_the_current_values_but_no_password(described_user, browser):
    browser.sign_in(described_user.email)

    form = browser.get("/settings").form("/settings")

    assert form.first("#image")["value"] == "https://example.com/jake.png"
    assert form.first("#username")["value"] == "jake"
    assert form.first("#bio").text == "I work at statefarm"
    assert form.first("#email")["value"] == "jake@example.com"
    assert form.first("#password").get("value", "") == ""


def test_settings_update_saves_and_shows_the_profile(signed_in, user):
    page = signed_in.submit(
        "/settings",
        {
            "username": "jacob",
            "bio": "New bio",
            "image": "https://example.com/new.png",
            "email": "jacob@example.com",
        },
    )

    assert page.status == 302
    assert page.location == "/profile/jacob"
    profile = signed_in.get("/profile/jacob")
    assert profile.flashes == ["Your settings are updated."]
    assert profile.signed_in_as == "jacob"
    assert profile.first(".user-info h4").text == "jacob"
    assert profile.first(".user-info p").text == "New bio"
    assert profile.first(".user-info img")["src"] == "https://example.com/new.png"
    saved = db.session.get(User, user.id)
    assert (saved.username, saved.email, saved.bio) == ("jacob", "jacob@example.com", "New bio")
    assert passwords.verify(saved.password_hash, PASSWORD)


def test_settings_update_can_clear_the_bio_and_the_picture(described_user, browser):
    browser.sign_in(described_user.email)

    page = browser.submit("/settings", {"bio": "", "image": ""})

    assert page.status == 302
    saved = db.session.get(User, described_user.id)
    assert saved.bio is None
    assert saved.image is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("image", "javascript:alert(1)", "URL of profile picture must be an http(s) URL"),
        ("image", "not a url", "URL of profile picture must be an http(s) URL"),
        ("username", "", "Your Name can't be blank"),
        ("username", "two words", "Your Name may contain only letters, digits, '_' and '-'"),
        ("email", "", "Email can't be blank"),
        ("email", "nope", "Email is not a valid e-mail address"),
        ("password", "short", "New Password is too short (minimum is 8 characters)"),
        ("bio", "b" * 5001, "Bio is too long (maximum is 5000 characters)"),
    ],
)
def test_settings_errors_show_with_422_and_change_nothing(
    described_user, browser, field, value, message
):
    browser.sign_in(described_user.email)
    before = _account(described_user.id)

    page = browser.submit("/settings", {"bio": "Changed bio", field: value})

    assert page.status == 422
    assert page.errors == [message]
    assert _account(described_user.id) == before
    assert browser.whoami() == "jake"


def _account(user_id: int) -> tuple[str, str, str | None, str | None, str]:
    db.session.remove()
    saved = db.session.get(User, user_id)
    return (saved.username, saved.email, saved.bio, saved.image, saved.password_hash)


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        ({"username": "celeb"}, ["Your Name has already been taken"]),
        ({"username": "CELEB"}, ["Your Name has already been taken"]),
        ({"email": "celeb@example.com"}, ["Email has already been taken"]),
        (
            {"username": "Celeb", "email": "CELEB@example.com"},
            ["Your Name has already been taken", "Email has already been taken"],
        ),
    ],
)
def test_settings_refuse_a_username_or_email_someone_else_has(
    signed_in, user, other_user, fields, messages
):
    before = _account(user.id)

    page = signed_in.submit("/settings", {"bio": "Changed bio", **fields})

    assert page.status == 422
    assert page.errors == messages
    assert _account(user.id) == before
    assert signed_in.whoami() == "jake"


def test_settings_accept_your_own_username_in_another_case(signed_in, user):
    page = signed_in.submit("/settings", {"username": "Jake"})

    assert page.status == 302
    assert db.session.get(User, user.id).username == "Jake"


def test_settings_need_sign_in(browser):
    page = browser.get("/settings", status=302)

    assert urlsplit(page.location).path == "/login"
    assert parse_qs(urlsplit(page.location).query) == {"next": ["/settings"]}


def test_a_new_password_ends_the_other_sessions_but_keeps_this_one(signed_in, new_browser, user):
    laptop = new_browser()
    laptop.sign_in(user.email)
    assert laptop.whoami() == "jake"

    page = signed_in.submit("/settings", {"password": "a-new-password"})

    assert page.status == 302
    assert signed_in.whoami() == "jake"
    assert signed_in.get("/settings").status == 200
    assert laptop.whoami() is None
    assert _session_count() == 1
    assert new_browser().submit("/login", {"email": user.email, "password": PASSWORD}).errors == [
        "email or password is invalid"
    ]
    new_browser().sign_in(user.email, "a-new-password")


def _api_token(client, password: str = PASSWORD) -> dict[str, str]:
    """Sign jake in through the API; the Authorization header of the token it issues."""
    response = client.post(
        "/api/users/login", json={"user": {"email": "jake@example.com", "password": password}}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Token {response.json['user']['token']}"}


def _api_answers(client, headers: dict[str, str]) -> tuple[int, int]:
    """What a route that needs the token and one where it is optional answer with it."""
    return (
        client.get("/api/user", headers=headers).status_code,
        client.get("/api/articles", headers=headers).status_code,
    )


def test_a_new_password_ends_the_api_tokens_issued_before_it(signed_in, client, user):
    old = _api_token(client)
    assert _api_answers(client, old) == (200, 200)

    page = signed_in.submit("/settings", {"password": "a-new-password"})

    assert page.status == 302
    assert _api_answers(client, old) == (401, 401)
    assert client.get("/api/articles", headers=old).json == {
        "errors": {"token": ["has been revoked"]}
    }
    assert _api_answers(client, _api_token(client, "a-new-password")) == (200, 200)


def test_settings_without_a_new_password_keep_the_api_tokens(signed_in, client, user):
    old = _api_token(client)

    signed_in.submit("/settings", {"bio": "Just the bio", "password": "    "})

    assert _api_answers(client, old) == (200, 200)


def test_a_new_password_of_blanks_only_changes_nothing(signed_in, user):
    before = _account(user.id)

    page = signed_in.submit("/settings", {"password": "    "})

    assert page.status == 302
    assert _account(user.id) == before


def test_settings_without_a_new_password_keep_the_other_sessions(signed_in, new_browser, user):
    laptop = new_browser()
    laptop.sign_in(user.email)

    signed_in.submit("/settings", {"bio": "Just the bio"})

    assert laptop.whoami() == "jake"
    assert _session_count() == 2


# The session cookie -------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site_lax(browser, user):
    page = browser.sign_in(user.email)

    flags = _cookie_flags(_session_set_cookie(page))
    assert "httponly" in flags
    assert "samesite" in flags
    assert "SameSite=Lax" in _session_set_cookie(page)
    # The test app runs over plain http, like debug mode.
    assert "secure" not in flags


class SecureCookieConfig(config.TestConfig):
    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = True


class ProductionLikeConfig(config.TestConfig):
    """Neither testing nor debug, and SESSION_COOKIE_SECURE not set: as in production."""

    TESTING = False


def _sign_in_on(app) -> str:
    with app.app_context():
        UserFactory(username="cookie", email="cookie@example.com")
    page = Browser(app.test_client()).sign_in("cookie@example.com")
    return _session_set_cookie(page)


def test_the_session_cookie_is_secure_when_configured_so(build_app):
    set_cookie = _sign_in_on(build_app(SecureCookieConfig))

    flags = _cookie_flags(set_cookie)
    assert {"secure", "httponly", "samesite"} <= flags
    assert "SameSite=Lax" in set_cookie


def test_the_session_cookie_is_secure_by_default_outside_debug(build_app, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    set_cookie = _sign_in_on(build_app(ProductionLikeConfig))

    assert {"secure", "httponly", "samesite"} <= _cookie_flags(set_cookie)


def test_the_session_cookie_is_not_secure_in_debug_mode(build_app, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")

    app = build_app(ProductionLikeConfig)

    assert app.debug
    flags = _cookie_flags(_sign_in_on(app))
    assert "secure" not in flags
    assert {"httponly", "samesite"} <= flags
