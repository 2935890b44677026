"""The statement that reads a profile as a viewer sees it."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select

from app.models import User
from app.queries import VIEWER, author_view, following_expression, read
from app.read_models import ProfileView


@functools.cache
def _profile_statement(*, signed_in: bool) -> Select[Any]:
    following = following_expression(User.id, VIEWER if signed_in else None)
    return select(User.username, User.bio, User.image, following.label("following")).where(
        func.lower(User.username) == bindparam("username", type_=String)
    )


def read_profile(*, username: str, viewer_id: int | None) -> ProfileView | None:
    """The profile of `username` (any case) as `viewer_id` sees it; None if there is none."""
    parameters: dict[str, Any] = {"username": username.lower()}
    if viewer_id is not None:
        parameters["viewer_id"] = viewer_id
    row = read(_profile_statement(signed_in=viewer_id is not None), parameters).first()
    return None if row is None else author_view(row)
