"""API authentication: `Authorization: Token <jwt>`, checked before validation.

Views declare what they need with `@auth_required` or `@auth_optional`; the
check itself runs in a `before_request` hook, so a request without a valid token
gets 401 before its body is even looked at. The session cookie of the web UI is
never consulted here.

A token names its account (`sub`, a decimal id), expires (`exp`), and carries the
account's credentials generation when it was issued (`cgen`): a password change
raises the account's, and every token issued before it is refused from then on
(app/services/credentials.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from flask import Response, current_app, g, request
from flask_jwt_extended import create_access_token, get_jwt, verify_jwt_in_request

from app.cache.expiring import ExpiringLRU, wall_clock
from app.errors import error_response
from app.exceptions import NotFound, Unauthorized
from app.extensions import jwt
from app.models import User
from app.services import credentials, users

F = TypeVar("F", bound=Callable[..., Any])
AuthMode = Literal["required", "optional"]
AUTH_ATTRIBUTE = "conduit_auth"
VERIFIED_TOKENS_EXTENSION = "conduit_verified_tokens"
# The claim that carries the account's credentials generation. Tokens issued before
# it existed lack it: they count as generation 0, every account's first.
GENERATION_CLAIM = "cgen"
# An account id as a token names it: what `str(user.id)` gives, nothing else (no
# sign, blanks, leading zeros, underscores or non-ASCII digits, which int() takes).
ACCOUNT_ID = re.compile(r"[1-9][0-9]{0,9}")
# The largest id (and generation) the database's integer columns hold.
MAX_INTEGER = 2**31 - 1
# The values of an Authorization header, as flask-jwt-extended separates them.
_HEADER_VALUES = re.compile(r",\s*")


def auth_required(view: F) -> F:
    """Mark a view as needing a valid token (401 otherwise)."""
    setattr(view, AUTH_ATTRIBUTE, "required")
    return view


def auth_optional(view: F) -> F:
    """Mark a view as open to anyone; a token, if sent, must be valid."""
    setattr(view, AUTH_ATTRIBUTE, "optional")
    return view


def issue_token(user: User) -> str:
    """A new token for `user`, valid until it expires or the password changes."""
    token = create_access_token(
        identity=str(user.id), additional_claims={GENERATION_CLAIM: user.credentials_generation}
    )
    # Cache the account's generation now, so that the client's first requests to
    # routes where signing in is optional cost no statement.
    credentials.current_generation(user_id=user.id)
    return token


class VerifiedTokens:
    """The claims of tokens this process has verified, by Authorization header, until
    they expire.

    A token's signature and claims depend only on its text, the secret and the
    clock, so the same header verified a moment ago needs only its expiry checked
    again. PyJWT's checks cost about a tenth of a signed-in list request. Only
    headers that passed every check are kept; the oldest go first beyond `size`.
    Whether a password change has revoked the token since is not a property of its
    text: that is checked on every request, remembered or not (`authenticate_request`).
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


def _generation(claims: dict[str, Any]) -> int | None:
    """The credentials generation the claims carry, or None unless it is one."""
    generation = claims.get(GENERATION_CLAIM, 0)
    if isinstance(generation, bool) or not isinstance(generation, int):
        return None
    return generation if 0 <= generation <= MAX_INTEGER else None


def claims_are_valid(_header: dict[str, Any], claims: dict[str, Any]) -> bool:
    """Whether a token whose signature checked out says what the app's tokens say.

    PyJWT checks `exp` only when it is there: a token without one (which the app
    never issues) would never expire.
    """
    return "exp" in claims and _identity(claims) is not None and _generation(claims) is not None


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
    claims = _verified_claims()
    user_id, generation = _identity(claims), _generation(claims)
    if user_id is None or generation is None:
        raise Unauthorized.on("token", "is invalid")
    # No account is loaded here: its generation comes from the cache. A view that
    # acts as the account loads it (`current_actor`), and checks again against it.
    if credentials.current_generation(user_id=user_id) != generation:
        # The row decides before a token is refused. The cache may hold a generation
        # older than the token: another process's password change that this one has
        # not heard of (without Redis), or on SQLite, which gives a deleted account's
        # id to the next one, the deleted account's.
        _check_generation(generation, credentials.stored_generation(user_id=user_id))
    g.viewer_id = user_id
    g.user_id = user_id
    g.token_generation = generation


def _check_generation(claimed: int, current: int | None) -> None:
    """Refuse a token whose account is gone, or whose password changed since it was issued."""
    if current is None:
        raise Unauthorized.on("token", "belongs to no account")
    if claimed != current:
        raise Unauthorized.on("token", "has been revoked")


def current_actor() -> User:
    """The signed-in user of an `@auth_required` view, loaded on first use.

    Its generation is checked against the row itself, not the cache: a view that
    acts as the account (every write) refuses a token revoked a moment ago on any
    process. A view that only needs the id (the feed) takes `current_actor_id`.
    """
    actor: User | None = g.get("actor")
    if actor is None:
        try:
            actor = users.get_user(user_id=g.user_id)
        except NotFound:
            raise Unauthorized.on("token", "belongs to no account") from None
        _check_generation(g.token_generation, actor.credentials_generation)
        g.actor = actor
    return actor


def current_actor_id() -> int:
    """The account id of an `@auth_required` view's token, without loading the account."""
    actor_id: int = g.user_id
    return actor_id


def current_viewer_id() -> int | None:
    """The id of whoever sent a valid token, or None for an anonymous request."""
    viewer_id: int | None = g.get("viewer_id")
    return viewer_id


def presented_token() -> str:
    """The token the client sent, to echo back in the user object: read as
    flask-jwt-extended read it, the `Token <jwt>` among the header's
    comma-separated values, with any blanks around and between its two words."""
    header = request.headers.get("Authorization", "").strip().strip(",")
    for value in _HEADER_VALUES.split(header):
        words = value.split()
        if len(words) == 2 and words[0] == current_app.config["JWT_HEADER_TYPE"]:
            return words[1]
    return ""


def token_for(user: User) -> str:
    """The token `user` goes on with: the one presented, unless a password change
    in this request revoked it; then a new one."""
    if g.get("token_generation") == user.credentials_generation:
        return presented_token()
    return issue_token(user)


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
