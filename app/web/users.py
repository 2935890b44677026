"""Sign up, sign in, sign out, settings, and leaving with your data."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.downloads import json_download
from app.exceptions import Invalid, Unauthorized
from app.limits import auth_rate_limited
from app.security import personal
from app.services import accounts, notifications, users
from app.web.auth import current_session_token, sign_in, sign_out, signed_in_user, viewer
from app.web.forms import DeleteAccountForm, LoginForm, RegisterForm, SettingsForm
from app.web.pages import checked_action, form_page, redirect_next, show_refusal

bp = Blueprint("web_users", __name__)

EXPORT_FILENAME = "conduit-account.json"


@bp.route("/register", methods=["GET", "POST"])
@personal
@auth_rate_limited
def register() -> tuple[str, int] | Response:
    """Create an account and sign in."""
    if viewer() is not None:
        return redirect(url_for("web_articles.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = users.register_user(
                username=form.username.data, email=form.email.data, password=form.password.data
            )
        except Invalid as error:
            show_refusal(form, error)
        else:
            sign_in(user)
            flash(f"Welcome to Conduit, {user.username}!", "success")
            return redirect(url_for("web_articles.home"))
    return form_page("users/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
@personal
@auth_rate_limited
def login() -> tuple[str, int] | Response:
    """Sign in, then go back to the page that asked for it."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if viewer() is not None:
        return redirect_next(form, default=url_for("web_articles.home"))
    if form.validate_on_submit():
        try:
            sign_in(users.authenticate(email=form.email.data, password=form.password.data))
        except Unauthorized as error:
            show_refusal(form, error)
        else:
            return redirect_next(form, default=url_for("web_articles.home"))
    return form_page("users/login.html", form)


@bp.post("/logout")
@personal
def logout() -> Response:
    """Sign out: the session ends on the server too."""
    checked_action()
    sign_out()
    flash("You are signed out.", "success")
    return redirect(url_for("web_articles.home"))


@bp.route("/settings", methods=["GET", "POST"])
@personal
@login_required
def settings() -> tuple[str, int] | Response:
    """Change your picture, name, bio, e-mail, password or notification mail."""
    user = signed_in_user()
    form = SettingsForm(obj=user if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            users.update_user(
                user=user,
                username=form.username.data,
                email=form.email.data,
                bio=form.bio.data or None,
                image=form.image.data or None,
                notify_by_email=form.notify_by_email.data,
                keep_session_token=current_session_token(),
                **({"password": form.password.data} if form.password.data else {}),
            )
        except Invalid as error:
            show_refusal(form, error)
        else:
            flash("Your settings are updated.", "success")
            return redirect(url_for("web_profiles.show_profile", username=user.username))
    form.password.data = ""
    return form_page("users/settings.html", form, mail_sent=notifications.can_notify())


@bp.post("/settings/export")
@personal
@login_required
def export_account() -> Response:
    """Download your account as a JSON file: profile, articles, comments, favorites, follows."""
    checked_action()
    return json_download(accounts.export_account(user=signed_in_user()), filename=EXPORT_FILENAME)


@bp.route("/settings/delete", methods=["GET", "POST"])
@personal
@login_required
def delete_account() -> tuple[str, int] | Response:
    """Delete your account and everything in it, once you confirm with your password."""
    user = signed_in_user()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        username = user.username
        try:
            accounts.delete_account(user=user, password=form.password.data)
        except Invalid as error:
            show_refusal(form, error)
        else:
            sign_out()
            flash(f"The account {username} is deleted, with everything in it. Goodbye!", "success")
            return redirect(url_for("web_articles.home"))
    form.password.data = ""
    return form_page("users/delete_account.html", form)
