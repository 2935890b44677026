"""Web sessions: started at sign-in, looked up on each request, ended at sign-out.

The browser's (signed) cookie carries a random token; the database keeps its
SHA-256 digest. A session ends when its row is gone, so a cookie copied before
sign-out opens nothing afterwards, on any app instance.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.exceptions import Unauthorized
from app.extensions import db
from app.models import User, UserSession
from app.models.base import utcnow
from app.queries.sessions import read_session_account
from app.read_models import AccountView


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(*, user: User, lifetime: timedelta) -> str:
    """Open a session for `user`; return the token for the cookie.

    An account deleted since it was loaded (in another tab) gets none: Unauthorized.
    """
    now = utcnow()
    token = secrets.token_urlsafe(32)
    user_id = user.id
    # Forget this user's expired sessions while we are here.
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.expires_at <= now)
    )
    db.session.add(
        UserSession(
            token_digest=_digest(token), user_id=user_id, created_at=now, expires_at=now + lifetime
        )
    )
    try:
        db.session.commit()
    except IntegrityError as error:
        # The session's foreign key found no account (the token is random: never taken).
        db.session.rollback()
        raise Unauthorized.account_gone() from error
    return token


def user_for_session(token: str) -> AccountView | None:
    """The account whose live session `token` opens, or None."""
    return read_session_account(digest=_digest(token), now=utcnow())


def end_session(token: str) -> None:
    """Close the session `token` opens (nothing happens if it is already closed)."""
    db.session.execute(delete(UserSession).where(UserSession.token_digest == _digest(token)))
    db.session.commit()


def forget_sessions(*, user: User, except_token: str | None = None) -> None:
    """Close every session of `user` but the one `except_token` opens; the caller commits."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if except_token is not None:
        statement = statement.where(UserSession.token_digest != _digest(except_token))
    db.session.execute(statement)
