"""Profiles and follows."""

from __future__ import annotations

from flask import Response

from app.api.auth import auth_optional, auth_required, current_actor, current_viewer_id
from app.api.common import TOKEN_SECURITY, api_blueprint
from app.api.responses import json_response
from app.read_models import ProfileView
from app.schemas.users import ProfileEnvelope, ProfileOut, UsernamePath
from app.services import profiles

bp = api_blueprint("api_profiles", __name__, "Profile")


def _profile_response(profile: ProfileView) -> Response:
    return json_response(ProfileEnvelope(profile=ProfileOut.model_validate(profile)))


@bp.get("/profiles/<username>", responses={200: ProfileEnvelope})
@auth_optional
def get_profile(path: UsernamePath) -> Response:
    """Get a user's public profile."""
    return _profile_response(
        profiles.get_profile(username=path.username, viewer_id=current_viewer_id())
    )


@bp.post("/profiles/<username>/follow", responses={200: ProfileEnvelope}, security=TOKEN_SECURITY)
@auth_required
def follow_user(path: UsernamePath) -> Response:
    """Follow a user."""
    return _profile_response(profiles.follow_user(actor=current_actor(), username=path.username))


@bp.delete("/profiles/<username>/follow", responses={200: ProfileEnvelope}, security=TOKEN_SECURITY)
@auth_required
def unfollow_user(path: UsernamePath) -> Response:
    """Stop following a user."""
    return _profile_response(profiles.unfollow_user(actor=current_actor(), username=path.username))
