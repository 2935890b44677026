"""Rate limits beyond the default one: sign-in and sign-up, password reset, on the API
and the web.

Both surfaces share the buckets: ten tries from one address, or five at one
account (e-mail), within a minute, whichever comes first (both configurable).
Password reset has buckets of its own, per address (asking for a link and setting
the new password) and per e-mail address (asking for a link, which sends a mail).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

from flask import current_app, request

from app import rules
from app.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])


def _per_address() -> str:
    limit: str = current_app.config["RATELIMIT_AUTH"]
    return limit


def _per_account() -> str:
    limit: str = current_app.config["RATELIMIT_AUTH_ACCOUNT"]
    return limit


def _submitted_email() -> str:
    if request.is_json:
        document = request.get_json(silent=True)
        user = document.get("user") if isinstance(document, dict) else None
        email = user.get("email") if isinstance(user, dict) else None
    else:
        email = request.form.get("email")
    if not isinstance(email, str):
        return ""
    email = email.strip()[: rules.EMAIL_MAX]
    with suppress(ValueError):
        # As the account is looked up: full-width letters or punycode in the domain
        # name the same account, and must count against its limit. (Cut first: a
        # megabyte of address would cost a quarter of a second to read.)
        email = rules.normalise_email(email)
    return email.lower()


def account_key() -> str:
    """The account a sign-in or sign-up names: its e-mail address, whatever its case."""
    return "account:" + _submitted_email()


def auth_rate_limited(view: F) -> F:
    """Limit the POSTs of a sign-in or sign-up view, per address and per account."""
    view = limiter.shared_limit(_per_address, scope="auth-address", methods=["POST"])(view)
    return limiter.shared_limit(
        _per_account, scope="auth-account", key_func=account_key, methods=["POST"]
    )(view)


def _reset_per_address() -> str:
    limit: str = current_app.config["RATELIMIT_PASSWORD_RESET"]
    return limit


def _reset_per_account() -> str:
    limit: str = current_app.config["RATELIMIT_PASSWORD_RESET_ACCOUNT"]
    return limit


def _reset_account_exempt() -> bool:
    # Setting the new password names no e-mail address: only its address counts.
    return _submitted_email() == ""


def password_reset_rate_limited(view: F) -> F:
    """Limit the POSTs of a password reset view, per address and per e-mail address."""
    view = limiter.shared_limit(_reset_per_address, scope="reset-address", methods=["POST"])(view)
    return limiter.shared_limit(
        _reset_per_account,
        scope="reset-account",
        key_func=account_key,
        methods=["POST"],
        exempt_when=_reset_account_exempt,
    )(view)
