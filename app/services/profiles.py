"""Profiles and follows."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app import rules
from app.exceptions import Invalid, NotFound, Unauthorized
from app.extensions import db
from app.models import Follow, User
from app.queries.profiles import read_profile
from app.read_models import ProfileView
from app.services import notifications
from app.sql import insert_ignoring_duplicates


def profile_view(user: User, *, following: bool) -> ProfileView:
    return ProfileView(username=user.username, bio=user.bio, image=user.image, following=following)


def find_user(username: str) -> User:
    """Load the user named `username` (any case), or raise NotFound."""
    if not rules.can_match(username):
        raise NotFound("profile")
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound("profile")
    return user


def get_profile(*, username: str, viewer_id: int | None) -> ProfileView:
    """The public profile of `username`, as `viewer_id` sees it."""
    if not rules.can_match(username):
        raise NotFound("profile")
    profile = read_profile(username=username, viewer_id=viewer_id)
    if profile is None:
        raise NotFound("profile")
    return profile


def follow_user(*, actor: User, username: str) -> ProfileView:
    """Make `actor` follow `username`; following twice is the same as once.

    A follow that is new (not one of someone already followed) is an event that
    `username` may have asked to be mailed about.
    """
    target = find_user(username)
    if target.id == actor.id:
        raise Invalid.on("profile", "you cannot follow yourself")
    actor_id, target_id = actor.id, target.id  # the rollback below expires both
    try:
        inserted = insert_ignoring_duplicates(
            db.session, Follow, [{"follower_id": actor_id, "followed_id": target_id}]
        )
        db.session.commit()
    except IntegrityError as error:
        # An account deleted since it was loaded (in another tab): its row is gone
        # and the follow's foreign key refused. Refused as a moment later it would be.
        db.session.rollback()
        if db.session.get(User, target_id) is None:
            raise NotFound("profile") from error
        if db.session.get(User, actor_id) is None:
            raise Unauthorized.account_gone() from error
        raise
    if inserted:
        notifications.notify_new_follower(follower=actor, followed=target)
    return profile_view(target, following=True)


def unfollow_user(*, actor: User, username: str) -> ProfileView:
    """Make `actor` stop following `username`; unfollowing twice is the same as once."""
    target = find_user(username)
    db.session.execute(
        delete(Follow).where(Follow.follower_id == actor.id, Follow.followed_id == target.id)
    )
    db.session.commit()
    return profile_view(target, following=False)
