"""Profile pages and following."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.services import articles, profiles
from app.web.auth import signed_in_user, viewer
from app.web.pages import PAGE_SIZE, checked_action, pager, redirect_next, requested_page

bp = Blueprint("web_profiles", __name__)


def _profile_page(username: str, *, favorites: bool) -> str:
    user = viewer()
    viewer_id = user.id if user else None
    profile = profiles.get_profile(username=username, viewer_id=viewer_id)
    page = requested_page()
    result = articles.list_articles(
        viewer_id=viewer_id,
        author=None if favorites else profile.username,
        favorited=profile.username if favorites else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render_template(
        "profiles/profile.html",
        profile=profile,
        is_self=user is not None and user.username == profile.username,
        favorites=favorites,
        page=result,
        pager=pager(page, result.total),
    )


@bp.get("/profile/<username>")
def show_profile(username: str) -> str:
    """A user's profile with the articles they wrote."""
    return _profile_page(username, favorites=False)


@bp.get("/profile/<username>/favorites")
def show_favorites(username: str) -> str:
    """A user's profile with the articles they favorited."""
    return _profile_page(username, favorites=True)


@bp.post("/profile/<username>/follow")
@login_required
def follow_user(username: str) -> Response:
    """Follow a user."""
    form = checked_action()
    profile = profiles.follow_user(actor=signed_in_user(), username=username)
    return redirect_next(form, default=url_for(".show_profile", username=profile.username))


@bp.post("/profile/<username>/unfollow")
@login_required
def unfollow_user(username: str) -> Response:
    """Stop following a user."""
    form = checked_action()
    profile = profiles.unfollow_user(actor=signed_in_user(), username=username)
    return redirect_next(form, default=url_for(".show_profile", username=profile.username))
