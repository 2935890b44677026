"""Users and who follows whom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(2048))
    # Raised by every password change; an API token carries the generation it was
    # issued under and is refused once the account's differs (app/services/credentials.py).
    credentials_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Opt-in: mail this user when someone follows them or comments on their articles
    # (app/services/notifications.py). Off unless they turn it on.
    notify_by_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    # How many articles the user wrote, kept by the writes (app/counts.py): the author
    # filter's articlesCount, and the feed's as the sum over the followed authors.
    articles_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


# Usernames and e-mail addresses are unique whatever their case; lookups use the
# same expressions, so these indexes serve them too.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class Follow(Base):
    __tablename__ = "follows"

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
