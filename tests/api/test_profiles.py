"""Profiles and follows: /api/profiles/<username>[/follow]."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Follow
from tests.api.helpers import assert_error


def _follow_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Follow)) or 0


def test_get_profile_without_token_is_200_not_following(client, other_user):
    other_user.bio = "I work at statefarm"
    other_user.image = "https://example.com/celeb.png"
    db.session.commit()

    response = client.get("/api/profiles/celeb")

    assert response.status_code == 200
    assert response.json == {
        "profile": {
            "username": "celeb",
            "bio": "I work at statefarm",
            "image": "https://example.com/celeb.png",
            "following": False,
        }
    }


def test_get_profile_finds_the_username_in_any_case(client, other_user):
    response = client.get("/api/profiles/CELEB")

    assert response.status_code == 200
    assert response.json["profile"]["username"] == "celeb"


def test_get_profile_of_unknown_user_is_404(client, user):
    response = client.get("/api/profiles/nobody")

    assert_error(response, 404, "profile")


def test_follow_is_200_and_says_following(client, user, other_user, headers):
    response = client.post("/api/profiles/celeb/follow", headers=headers)

    assert response.status_code == 200
    assert response.json["profile"]["username"] == "celeb"
    assert response.json["profile"]["following"] is True


def test_following_is_right_for_each_viewer(
    client, other_user, headers, other_headers, third_headers
):
    client.post("/api/profiles/celeb/follow", headers=headers)

    assert client.get("/api/profiles/celeb", headers=headers).json["profile"]["following"] is True
    assert client.get("/api/profiles/celeb").json["profile"]["following"] is False
    as_third = client.get("/api/profiles/celeb", headers=third_headers)
    assert as_third.json["profile"]["following"] is False
    # Following is one-way: celeb does not follow jake back.
    as_celeb = client.get("/api/profiles/jake", headers=other_headers)
    assert as_celeb.json["profile"]["following"] is False


def test_follow_twice_is_the_same_as_once(client, user, other_user, headers):
    first = client.post("/api/profiles/celeb/follow", headers=headers)
    second = client.post("/api/profiles/celeb/follow", headers=headers)

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json["profile"]["following"] is True
    assert _follow_count() == 1


def test_unfollow_is_200_and_says_not_following(client, user, other_user, headers):
    client.post("/api/profiles/celeb/follow", headers=headers)

    response = client.delete("/api/profiles/celeb/follow", headers=headers)

    assert response.status_code == 200
    assert response.json["profile"]["following"] is False
    assert client.get("/api/profiles/celeb", headers=headers).json["profile"]["following"] is False
    assert _follow_count() == 0


def test_unfollow_twice_is_the_same_as_once(client, user, other_user, headers):
    client.post("/api/profiles/celeb/follow", headers=headers)

    first = client.delete("/api/profiles/celeb/follow", headers=headers)
    second = client.delete("/api/profiles/celeb/follow", headers=headers)

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json["profile"]["following"] is False


def test_unfollow_a_user_never_followed_is_200(client, user, other_user, headers):
    response = client.delete("/api/profiles/celeb/follow", headers=headers)

    assert response.status_code == 200
    assert response.json["profile"]["following"] is False


def test_unfollow_leaves_other_follows_alone(client, other_user, headers, third_headers):
    client.post("/api/profiles/celeb/follow", headers=headers)
    client.post("/api/profiles/celeb/follow", headers=third_headers)

    client.delete("/api/profiles/celeb/follow", headers=headers)

    as_third = client.get("/api/profiles/celeb", headers=third_headers)
    assert as_third.json["profile"]["following"] is True


def test_cannot_follow_yourself(client, user, headers):
    response = client.post("/api/profiles/jake/follow", headers=headers)

    assert_error(response, 422, "profile")
    assert _follow_count() == 0


def test_cannot_follow_yourself_under_another_case(client, user, headers):
    response = client.post("/api/profiles/JAKE/follow", headers=headers)

    assert_error(response, 422, "profile")


def test_follow_unknown_user_is_404(client, user, headers):
    assert_error(client.post("/api/profiles/nobody/follow", headers=headers), 404, "profile")


def test_unfollow_unknown_user_is_404(client, user, headers):
    assert_error(client.delete("/api/profiles/nobody/follow", headers=headers), 404, "profile")
