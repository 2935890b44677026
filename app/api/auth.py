"""API authentication: `Authorization: Token <jwt>`, checked before validation.

Views declare what they need with `@auth_required` or `@auth_optional`; the
check itself runs in a `before_request` hook, so a request without a valid token
gets 401 before its body is even looked at. The session cookie of the web UI is
never consulted here.

A token names its account (`sub`, a decimal id) and expires (`exp`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from flask import Response, current_app, g, request
from flask_jwt_extended import create_access_token, get_jwt, verify_jwt_in_request

from app.errors import error_response
from app.exceptions import NotFound, Unauthorized
from app.extensions import jwt
from app.models import User
from app.services import users
from app.services.cache import ExpiringLRU, wall_clock

F = TypeVar("F", bound=Callable[..., Any])
AuthMode = Literal["required", "optional"]
AUTH_ATTRIBUTE = "conduit_auth"
VERIFIED_TOKENS_EXTENSION = "conduit_verified_tokens"
# An account id as a token names it: what `str(user.id)` gives, nothing else (no
# sign, blanks, leading zeros, underscores or non-ASCII digits, which int() takes).
ACCOUNT_ID = re.compile(r"[1-9][0-9]{0,9}")
# The largest id the database's integer columns hold.
MAX_INTEGER = 2**31 - 1


def auth_required(view: F) -> F:
    """Mark a view as needing a valid token (401 otherwise)."""
    setattr(view, AUTH_ATTRIBUTE, "required")
    return view


def auth_optional(view: F) -> F:
    """Mark a view as open to anyone; a token, if sent, must be valid."""
    setattr(view, AUTH_ATTRIBUTE, "optional")
    return view


def issue_token(user: User) -> str:
    return create_access_token(identity=str(user.id))


class VerifiedTokens:
    """The claims of tokens this process has verified, by Authorization header, until
    they expire.

    A token's validity depends only on its text, the secret and the clock, so the
    same header verified a moment ago needs only its expiry checked again. PyJWT's
    checks cost about a tenth of a signed-in list request. Only headers that
    passed every check are kept; the oldest go first beyond `size`.
    """

    def __init__(self, size: int = 4096) -> None:
        # Tokens expire on the wall clock, at their `exp` claim.
        self._claims: ExpiringLRU[dict[str, Any]] = ExpiringLRU(size, clock=wall_clock)

    def get(self, header: str) -> dict[str, Any] | None:
        return self._claims.get(header)

    def put(self, header: str, claims: dict[str, Any]) -> None:
        expiry = claims.get("exp")
        if isinstance(expiry, int | float):
            self._claims.put(header, claims, expires_at=expiry)


def _verified_claims() -> dict[str, Any]:
    """The claims of the request's token: verified by flask-jwt-extended (which answers
    401 for any problem), or as verified before for the same header."""
    tokens: VerifiedTokens | None = current_app.extensions.get(VERIFIED_TOKENS_EXTENSION)
    if tokens is None:
        tokens = current_app.extensions.setdefault(VERIFIED_TOKENS_EXTENSION, VerifiedTokens())
    header = request.headers.get("Authorization", "")
    claims = tokens.get(header)
    if claims is None:
        verify_jwt_in_request()
        claims = get_jwt()
        tokens.put(header, claims)
    return claims


def _identity(claims: dict[str, Any]) -> int | None:
    """The account id the claims name, or None unless it is one."""
    subject = claims.get(current_app.config["JWT_IDENTITY_CLAIM"])
    if not isinstance(subject, str) or not ACCOUNT_ID.fullmatch(subject):
        return None
    number = int(subject)
    return number if number <= MAX_INTEGER else None


def claims_are_valid(_header: dict[str, Any], claims: dict[str, Any]) -> bool:
    """Whether a token whose signature checked out says what the app's tokens say.

    PyJWT checks `exp` only when it is there: a token without one (which the app
    never issues) would never expire.
    """
    return "exp" in claims and _identity(claims) is not None


def authenticate_request() -> None:
    """Verify the token the current view asks for; remember who sent it."""
    view = current_app.view_functions.get(request.endpoint or "")
    mode: AuthMode | None = getattr(view, AUTH_ATTRIBUTE, None)
    g.viewer_id = None
    if mode is None or (mode == "optional" and "Authorization" not in request.headers):
        return
    if request.method == "OPTIONS":
        # A CORS preflight never carries the token (Flask answers it, no view runs),
        # and flask-jwt-extended does not verify one for OPTIONS either.
        return
    user_id = _identity(_verified_claims())
    if user_id is None:
        raise Unauthorized.on("token", "is invalid")
    if mode == "required":
        try:
            g.actor = users.get_user(user_id=user_id)
        except NotFound:
            raise Unauthorized.on("token", "belongs to no account") from None
    g.viewer_id = user_id
    g.user_id = user_id


def current_actor() -> User:
    """The signed-in user of an `@auth_required` view."""
    actor: User = g.actor
    return actor


def current_viewer_id() -> int | None:
    """The id of whoever sent a valid token, or None for an anonymous request."""
    viewer_id: int | None = g.get("viewer_id")
    return viewer_id


def presented_token() -> str:
    """The token the client sent, to echo back in the user object."""
    return request.headers.get("Authorization", "").partition(" ")[2].strip()


def _token_error(message: str) -> Callable[..., Response]:
    def respond(*_args: Any) -> Response:
        return error_response({"token": [message]}, 401)

    return respond


def register_token_errors() -> None:
    """Answer every token problem with 401 and the project's error body."""
    jwt.unauthorized_loader(_token_error("is missing"))
    jwt.invalid_token_loader(_token_error("is invalid"))
    jwt.expired_token_loader(_token_error("has expired"))
    jwt.revoked_token_loader(_token_error("has been revoked"))
    jwt.needs_fresh_token_loader(_token_error("is not fresh"))
    jwt.user_lookup_error_loader(_token_error("belongs to no account"))
    jwt.token_verification_failed_loader(_token_error("is invalid"))
    jwt.token_verification_loader(claims_are_valid)
