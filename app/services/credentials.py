"""Credentials end with the password they were given under.

Every account has a credentials generation, which each password change raises
(`revoke_credentials`, also ending the account's web sessions). An API token
carries the generation it was issued under and is honoured only while that is
still the account's: a token issued before a password change is worthless after
it, on every app process and instance at once.

Views that act as the account (every write) load it anyway, and compare with
it. Every read, the feed included, loads no account: it takes the
generation from the cache (`current_generation`), in a family of the account's
own that each change replaces once committed, as list pages are
(app/cache). With Redis, every process then sees the change as soon as it has
answered; the database is read only when the cache holds no current
entry, at most once per CREDENTIALS_CACHE_SECONDS per account. A change that
could not reach Redis may leave an old entry current: copies of it live at most
twice CREDENTIALS_CACHE_SECONDS, and so does a revoked token on those routes.
Without Redis, each process caches on its own and learns of another's change
only when its copy expires (the same bound). A token whose generation the cache
does not hold is checked against the row (`stored_generation`) before it is
refused: a stale copy may let an old token in for that while, never keep a new
one out.
"""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import cache
from app.extensions import db
from app.models import User
from app.services import sessions

# The family of each account's cached generation; the version is raised when what
# is cached changes.
CREDENTIALS = "credentials-v1"
GENERATION_ENTRY = "generation"
# A token names its account by id, and SQLite gives the id of a deleted account
# (the largest) to the next one registered. Each new account starts at a random
# generation, so the tokens of a deleted account, which carry its generation, open
# none that takes its id later (but for a chance in 2**30). PostgreSQL never reuses one.
FIRST_GENERATIONS = 2**30


def first_generation() -> int:
    """The credentials generation a new account starts at."""
    return secrets.randbelow(FIRST_GENERATIONS) + 1


def credentials_family(user_id: int) -> str:
    """The account's own family of cache entries (see `cache.read_through`)."""
    return f"{CREDENTIALS}:{user_id}"


def revoke_credentials(
    *, user: User, keep_session_token: str | None = None, from_generation: int | None = None
) -> bool:
    """End every credential of `user` given so far: every API token, and every web
    session but the one `keep_session_token` opens (the browser making the change).

    Every change of password calls this (the settings of either surface, a reset);
    the caller commits. Once the commit succeeds, every process is told (before the
    change answers its client); a rolled back change ends nothing.

    With `from_generation`, only if the account is still at that generation (a
    password reset link is bound to it): the first of two uses at once wins, the
    other is told False and changes nothing.
    """
    if from_generation is None:
        # Raised in SQL: two changes at once each end what the other's caller held.
        user.credentials_generation = User.credentials_generation + 1
    else:
        claimed = db.session.execute(
            update(User)
            .where(User.id == user.id, User.credentials_generation == from_generation)
            .values(credentials_generation=from_generation + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return False
        set_committed_value(user, "credentials_generation", from_generation + 1)
    sessions.forget_sessions(user=user, except_token=keep_session_token)
    user_id = user.id

    def credentials_revoked(_session: Session) -> None:
        cache.invalidate(credentials_family(user_id))

    # After the commit, not before: a process that read the generation in between
    # would cache the old one in the new cache generation.
    event.listen(db.session(), "after_commit", credentials_revoked, once=True)
    return True


def current_generation(*, user_id: int) -> int | None:
    """The credentials generation of account `user_id` (None if there is none), from
    the cache when it holds a current entry, else from the database (then cached)."""
    timeout: int = current_app.config["CREDENTIALS_CACHE_SECONDS"]
    if not timeout:
        return stored_generation(user_id=user_id)
    # Read after the cache generation was: a change committed meanwhile has started
    # a new one, and this value goes to the old one, where nobody looks any more.
    return cache.read_through(
        credentials_family(user_id),
        GENERATION_ENTRY,
        lambda: stored_generation(user_id=user_id),
        timeout=timeout,
    )


# Built once: SQLAlchemy then keeps its cache key and compiled form, which building
# it per request (a signed-in read on every optional route) computed again.
_GENERATION = select(User.credentials_generation).where(User.id == bindparam("user_id"))


def stored_generation(*, user_id: int) -> int | None:
    """The credentials generation of account `user_id` as its row holds it (None if
    there is none), whatever the cache says."""
    generation: int | None = db.session.scalar(_GENERATION, {"user_id": user_id})
    return generation
