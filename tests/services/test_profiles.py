"""Profiles and follows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.exceptions import Invalid, NotFound
from app.extensions import db
from app.models import Follow
from app.read_models import ProfileView
from app.services import profiles
from tests.factories import UserFactory


def _follow_pairs() -> set[tuple[int, int]]:
    rows = db.session.execute(select(Follow.follower_id, Follow.followed_id))
    return {(follower, followed) for follower, followed in rows}


def test_get_profile_shows_the_public_fields(app):
    UserFactory(username="celeb", bio="A bio", image="https://example.com/c.png")

    profile = profiles.get_profile(username="celeb", viewer_id=None)

    assert profile == ProfileView(
        username="celeb", bio="A bio", image="https://example.com/c.png", following=False
    )


@pytest.mark.parametrize("username", ["celeb", "CELEB", "Celeb"])
def test_get_profile_finds_the_user_whatever_the_case(app, other_user, username):
    assert profiles.get_profile(username=username, viewer_id=None).username == "celeb"


def test_get_profile_tells_whether_the_viewer_follows(app, user, other_user):
    third = UserFactory()
    profiles.follow_user(actor=user, username="celeb")

    assert profiles.get_profile(username="celeb", viewer_id=user.id).following is True
    assert profiles.get_profile(username="celeb", viewer_id=third.id).following is False
    assert profiles.get_profile(username="celeb", viewer_id=None).following is False
    # Following is one way.
    assert profiles.get_profile(username="jake", viewer_id=other_user.id).following is False


@pytest.mark.parametrize("action", ["get_profile", "follow_user", "unfollow_user"])
def test_an_unknown_username_raises_not_found(app, user, action):
    arguments = {"viewer_id": user.id} if action == "get_profile" else {"actor": user}

    with pytest.raises(NotFound) as caught:
        getattr(profiles, action)(username="nobody", **arguments)

    assert caught.value.errors == {"profile": ["not found"]}


def test_follow_user_is_idempotent(app, user, other_user):
    first = profiles.follow_user(actor=user, username="celeb")
    second = profiles.follow_user(actor=user, username="CELEB")

    assert first == second == ProfileView(username="celeb", bio=None, image=None, following=True)
    assert _follow_pairs() == {(user.id, other_user.id)}


def test_unfollow_user_is_idempotent(app, user, other_user):
    profiles.follow_user(actor=user, username="celeb")
    profiles.follow_user(actor=other_user, username="jake")

    first = profiles.unfollow_user(actor=user, username="celeb")
    second = profiles.unfollow_user(actor=user, username="celeb")

    assert first == second == ProfileView(username="celeb", bio=None, image=None, following=False)
    # Only the actor's own follow goes.
    assert _follow_pairs() == {(other_user.id, user.id)}


def test_unfollow_of_someone_never_followed_changes_nothing(app, user, other_user):
    assert profiles.unfollow_user(actor=user, username="celeb").following is False
    assert _follow_pairs() == set()


@pytest.mark.parametrize("username", ["jake", "JAKE"])
def test_following_yourself_is_invalid(app, user, username):
    with pytest.raises(Invalid) as caught:
        profiles.follow_user(actor=user, username=username)

    assert caught.value.errors == {"profile": ["you cannot follow yourself"]}
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_find_user_loads_the_account(app, other_user):
    assert profiles.find_user("Celeb").id == other_user.id
    with pytest.raises(NotFound):
        profiles.find_user("nobody")
