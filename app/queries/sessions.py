"""The statement that finds the account a browser's session opens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from app.models import User, UserSession
from app.queries import read
from app.read_models import AccountView

# Every signed-in page runs it: as columns, not an entity, because the ORM's
# loading of a `User` cost about as much as the rest of the lookup.
_SESSION_ACCOUNT = (
    select(User.id, User.username, User.image)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        UserSession.token_digest == bindparam("digest"),
        UserSession.expires_at > bindparam("now"),
    )
)


def read_session_account(*, digest: str, now: datetime) -> AccountView | None:
    """The account whose session has the token digest `digest` and is live at `now`."""
    row = read(_SESSION_ACCOUNT, {"digest": digest, "now": now}).first()
    return None if row is None else AccountView(id=row.id, username=row.username, image=row.image)
