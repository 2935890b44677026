"""Web sign-in with Flask-Login, on server-side sessions.

The session cookie holds a random token whose digest lives in `user_sessions`;
signing out deletes the row, so a copied cookie opens nothing afterwards. The
web UI never looks at an `Authorization` header: API tokens do not work here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Request, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import UserMixin, current_user, login_user, logout_user
from itsdangerous import URLSafeTimedSerializer
from werkzeug.wrappers import Response

from app.extensions import login_manager
from app.models import User
from app.read_models import AccountView
from app.services import sessions, users

# Requests under this path are the API's: they carry tokens, never a session.
API_PREFIX = "/api/"


class WebSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, for the web UI only.

    The API authenticates by token and never reads the cookie: its requests get
    Flask's null session, so they neither parse nor sign one, and their responses
    do not say `Vary: Cookie` (Flask-Login reads the session after every request,
    which made every API response vary on a cookie it never uses). The signing
    serializer is built once per set of keys instead of twice per request.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is None:
                return None
            self._serializers[keys] = serializer
        return serializer


class SignedInUser(UserMixin):
    """Flask-Login's view of a signed-in browser: who it is and its session token."""

    def __init__(self, account: AccountView, session_token: str) -> None:
        self.account = account
        self.session_token = session_token

    def get_id(self) -> str:
        return self.session_token


def _load_signed_in_user(session_token: str) -> SignedInUser | None:
    if g.get("no_session_lookup"):
        return None
    account = sessions.user_for_session(session_token)
    if account is None:
        return None
    g.user_id = account.id
    return SignedInUser(account, session_token)


def _referring_page() -> str | None:
    """The path and query of the page a form was sent from, if it is a page of this site.

    Browsers send an absolute Referer; `safe_next` accepts only paths.
    """
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _ask_to_sign_in() -> Response:
    flash("Please sign in first.", "error")
    # After a POST (a favorite button, say) come back to the page it was on.
    target = request.full_path if request.method == "GET" else _referring_page()
    return redirect(url_for("web_users.login", next=safe_next(target, default="")))


def init_web_auth(app: Flask) -> None:
    app.session_interface = WebSessionInterface()
    login_manager.init_app(app)
    login_manager.user_loader(_load_signed_in_user)
    login_manager.unauthorized_handler(_ask_to_sign_in)


def show_as_anonymous() -> None:
    """Draw the rest of this request's page as for an anonymous visitor, without
    looking up the session's user (for an error page while the database is down).

    Flask-Login's template context loads the signed-in user, from the database; its
    loader then answers "nobody" instead, which leaves the session cookie alone.
    """
    g.no_session_lookup = True


def forget_signed_in_account() -> None:
    """Sign this browser out without touching the database: for an account deleted
    meanwhile (in another tab), whose sessions went with it. The rest of the request
    draws its page signed out, and the response clears the session cookie."""
    logout_user()
    session.clear()


def viewer() -> AccountView | None:
    """Who is signed in on this browser, or None."""
    if current_user.is_authenticated:
        signed_in: SignedInUser = current_user._get_current_object()
        return signed_in.account
    return None


def signed_in_account() -> AccountView:
    """Who is signed in, in a `@login_required` view."""
    account = viewer()
    assert account is not None, "the view must be @login_required"
    return account


def signed_in_user() -> User:
    """The signed-in account of a `@login_required` view, loaded to act as it."""
    return users.get_user(user_id=signed_in_account().id)


def current_session_token() -> str | None:
    return current_user.session_token if current_user.is_authenticated else None


def sign_in(user: User) -> None:
    """Start a new session for `user`, dropping whatever the old cookie held."""
    session.clear()
    token = sessions.start_session(user=user, lifetime=current_app.permanent_session_lifetime)
    session.permanent = True
    account = AccountView(id=user.id, username=user.username, image=user.image)
    login_user(SignedInUser(account, token))


def sign_out() -> None:
    token = current_session_token()
    if token is not None:
        sessions.end_session(token)
    forget_signed_in_account()


def safe_next(target: str | None, *, default: str) -> str:
    """`target` if it is a path on this site, else `default` (never another host)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(char) < 32 for char in target)
    ):
        return default
    return target.removesuffix("?")
