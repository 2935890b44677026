"""Accounts: registration, sign-in, the current user and their settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import rules
from app.exceptions import Invalid, NotFound, Unauthorized
from app.extensions import db, passwords
from app.models import User
from app.queries import comment_lists
from app.services import credentials


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# Marks an argument the caller did not give (None means "clear this field").
UNSET: Final = _Unset()

TAKEN = "has already been taken"


def _find_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def _find_by_email(email: str) -> User | None:
    # Both sides lower-cased by the database, as its unique index is: Python's
    # lower() differs from it outside ASCII ('İ', a final 'Σ'; SQLite's lower() is
    # ASCII only), and an account so registered could never sign in.
    return db.session.scalar(select(User).where(func.lower(User.email) == func.lower(email)))


def _check_unique(*, username: str | None, email: str | None, exclude_id: int | None) -> None:
    """Raise Invalid naming every field whose value another account already holds."""
    errors: dict[str, list[str]] = {}
    for field, value, finder in (
        ("username", username, _find_by_username),
        ("email", email, _find_by_email),
    ):
        if value is None:
            continue
        holder = finder(value)
        if holder is not None and holder.id != exclude_id:
            errors[field] = [TAKEN]
    if errors:
        raise Invalid(errors)


def _commit_unique(*, username: str | None, email: str | None, exclude_id: int | None) -> None:
    """Commit; if a concurrent request took the name or address first, say which."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        _check_unique(username=username, email=email, exclude_id=exclude_id)
        raise


@contextmanager
def _account_still_there() -> Iterator[None]:
    """Run a block that changes the signed-in account; if a concurrent request (another
    tab) deleted it meanwhile, the account's UPDATE matches no row: Unauthorized."""
    try:
        yield
    except StaleDataError as error:
        db.session.rollback()
        raise Unauthorized.account_gone() from error


def find_user_by_email(*, email: str) -> User | None:
    """The account with this e-mail address, whatever its case, or None."""
    return _find_by_email(email)


def register_user(*, username: str, email: str, password: str) -> User:
    """Create an account; username and e-mail must be free whatever their case."""
    _check_unique(username=username, email=email, exclude_id=None)
    user = User(
        username=username,
        email=email,
        password_hash=passwords.hash(password),
        credentials_generation=credentials.first_generation(),
    )
    db.session.add(user)
    _commit_unique(username=username, email=email, exclude_id=None)
    return user


def authenticate(*, email: str, password: str) -> User:
    """Return the account these credentials open, or raise Unauthorized.

    The address is read as registration read it (full-width letters or punycode in
    the domain are the same address); one that is not an address is tried as typed.
    """
    with suppress(ValueError):
        email = rules.normalise_email(email)
    user = _find_by_email(email)
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        raise Unauthorized({"email or password": ["is invalid"]})
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
        db.session.commit()
    return user


def get_user(*, user_id: int) -> User:
    """Load an account by id."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


def update_user(
    *,
    user: User,
    username: str | _Unset = UNSET,
    email: str | _Unset = UNSET,
    password: str | _Unset = UNSET,
    bio: str | _Unset | None = UNSET,
    image: str | _Unset | None = UNSET,
    notify_by_email: bool | _Unset = UNSET,
    keep_session_token: str | None = None,
) -> User:
    """Change the given settings of `user`; a taken username or e-mail changes nothing.

    A new password ends every API token of the user and every web session but
    `keep_session_token` (the browser that changed it), so that nothing stolen
    outlives it.
    """
    shown_before = (user.username, user.bio, user.image)
    new_username = username if isinstance(username, str) else None
    new_email = email if isinstance(email, str) else None
    _check_unique(username=new_username, email=new_email, exclude_id=user.id)
    with _account_still_there():
        if new_username is not None:
            user.username = new_username
        if new_email is not None:
            user.email = new_email
        if isinstance(password, str):
            user.password_hash = passwords.hash(password)
            credentials.revoke_credentials(user=user, keep_session_token=keep_session_token)
        if not isinstance(bio, _Unset):
            user.bio = bio
        if not isinstance(image, _Unset):
            user.image = image
        if not isinstance(notify_by_email, _Unset):
            user.notify_by_email = notify_by_email
        _commit_unique(username=new_username, email=new_email, exclude_id=user.id)
    if (user.username, user.bio, user.image) != shown_before:
        # The cached comment lists show the commenter's profile.
        comment_lists.forget_comment_lists(comment_lists.slugs_concerning(user.id))
    return user
