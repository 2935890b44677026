"""Password reset by e-mail: a link that sets a new password, for whoever reads the mail.

The link carries a token signed with SECRET_KEY, bound to the account, to its
credentials generation (app/services/credentials.py) and to its e-mail address,
with an expiry (PASSWORD_RESET_SECONDS). Nothing is stored: setting a password
raises the generation, which spends the token (single use) and every other one
issued before, as does any other change of password; a changed e-mail address
voids it too.

Asking for a link does the same whether or not the address has an account: it
hands the address to a background job, which looks the account up and sends the
mail. The answer, and its time, tell nothing about the address.
"""

from __future__ import annotations

import hashlib
import time

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from app import jobs, mail, rules
from app.exceptions import Invalid, Unavailable
from app.extensions import db, passwords
from app.models import User
from app.services import credentials, users

SALT = "conduit-password-reset-v1"
INVALID = "is invalid"
EXPIRED = "has expired: ask for a new link"
SPENT = "has already been used, or the password has changed since: ask for a new link"
NO_MAIL = "is not available on this site (it sends no mail): ask its administrator"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def request_password_reset(*, email: str) -> None:
    """Send a reset link to `email` if an account has it; the same for any address."""
    if not mail.can_send():
        raise Unavailable.on("password reset", NO_MAIL)
    jobs.enqueue(send_password_reset_mail, email=email)


@jobs.job
def send_password_reset_mail(*, email: str) -> None:
    """Mail a reset link to the account with address `email`; nothing if there is none."""
    user = users.find_user_by_email(email=email)
    if user is None:
        return
    token = issue_reset_token(user=user)
    mail.send(
        to=user.email,
        subject="Reset your Conduit password",
        template="password_reset",
        username=user.username,
        link=mail.public_url("web_password_reset.reset_password", token=token),
        minutes=current_app.config["PASSWORD_RESET_SECONDS"] // 60,
    )


def issue_reset_token(*, user: User, now: float | None = None) -> str:
    """A reset token for `user`, valid for PASSWORD_RESET_SECONDS from `now`."""
    expires = int(
        (time.time() if now is None else now) + current_app.config["PASSWORD_RESET_SECONDS"]
    )
    payload = [user.id, user.credentials_generation, _fingerprint(user.email), expires]
    token: str = _serializer().dumps(payload)
    return token


def check_reset_token(*, token: str) -> User:
    """The account `token` may set a new password for, or Invalid naming `token`."""
    user, _generation = _open(token)
    return user


def reset_password(*, token: str, password: str) -> User:
    """Set `password` for the account of `token`, spending it, and end every other
    credential of the account (API tokens, web sessions); the caller signs in anew."""
    user, generation = _open(token)
    password_hash = passwords.hash(password)
    if not credentials.revoke_credentials(user=user, from_generation=generation):
        db.session.rollback()
        raise Invalid.on("token", SPENT)
    user.password_hash = password_hash
    db.session.commit()
    return user


def _open(token: str) -> tuple[User, int]:
    """The account and credentials generation `token` names, checked."""
    if len(token) > rules.RESET_TOKEN_MAX:
        raise Invalid.on("token", INVALID)
    try:
        payload = _serializer().loads(token)
    except BadData:
        raise Invalid.on("token", INVALID) from None
    if not _well_formed(payload):
        raise Invalid.on("token", INVALID)
    user_id, generation, fingerprint, expires = payload
    if expires < time.time():
        raise Invalid.on("token", EXPIRED)
    user = db.session.get(User, user_id)
    if user is None or fingerprint != _fingerprint(user.email):
        raise Invalid.on("token", INVALID)
    if user.credentials_generation != generation:
        raise Invalid.on("token", SPENT)
    return user, generation


def _well_formed(payload: object) -> bool:
    # Only tokens this module signed get here; the check guards against a change of format.
    if not isinstance(payload, list) or len(payload) != 4:
        return False
    user_id, generation, fingerprint, expires = payload
    return all(
        isinstance(n, int) and not isinstance(n, bool) for n in (user_id, generation, expires)
    ) and isinstance(fingerprint, str)
