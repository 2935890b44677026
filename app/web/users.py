"""Sign up, sign in, sign out and settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.exceptions import Invalid, Unauthorized
from app.limits import auth_rate_limited
from app.security import personal
from app.services import users
from app.web.auth import current_session_token, sign_in, sign_out, signed_in_user, viewer
from app.web.forms import LoginForm, RegisterForm, SettingsForm
from app.web.pages import checked_action, redirect_next

bp = Blueprint("web_users", __name__)


def _add_errors(
    form: LoginForm | RegisterForm | SettingsForm, error: Invalid | Unauthorized
) -> None:
    """Show a service's refusal next to the fields it names (or above the form)."""
    for field_name, messages in error.errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(f"{field_name} {message}" for message in messages)


@bp.route("/register", methods=["GET", "POST"])
@personal
@auth_rate_limited
def register() -> str | tuple[str, int] | Response:
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
            _add_errors(form, error)
        else:
            sign_in(user)
            flash(f"Welcome to Conduit, {user.username}!", "success")
            return redirect(url_for("web_articles.home"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("users/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@personal
@auth_rate_limited
def login() -> str | tuple[str, int] | Response:
    """Sign in, then go back to the page that asked for it."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if viewer() is not None:
        return redirect_next(form, default=url_for("web_articles.home"))
    if form.validate_on_submit():
        try:
            user = users.authenticate(email=form.email.data, password=form.password.data)
        except Unauthorized as error:
            _add_errors(form, error)
        else:
            sign_in(user)
            return redirect_next(form, default=url_for("web_articles.home"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("users/login.html", form=form), status


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
def settings() -> str | tuple[str, int] | Response:
    """Change your picture, name, bio, e-mail or password."""
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
                keep_session_token=current_session_token(),
                **({"password": form.password.data} if form.password.data else {}),
            )
        except Invalid as error:
            _add_errors(form, error)
        else:
            flash("Your settings are updated.", "success")
            return redirect(url_for("web_profiles.show_profile", username=user.username))
    form.password.data = ""
    status = 422 if form.errors or form.form_errors else 200
    return render_template("users/settings.html", form=form), status
