"""Forgot password: ask for a reset link by e-mail, then set a new password with it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.exceptions import Invalid, Unavailable
from app.limits import password_reset_rate_limited
from app.security import personal
from app.services import password_reset
from app.web.auth import sign_in
from app.web.forms import ForgotPasswordForm, NewPasswordForm
from app.web.pages import form_page, show_refusal

bp = Blueprint("web_password_reset", __name__)

SENT = (
    "If an account has this address, a mail is on its way with a link to set a new "
    "password. It works for {minutes} minutes."
)


@bp.route("/password-reset", methods=["GET", "POST"])
@password_reset_rate_limited
def forgot_password() -> tuple[str, int] | Response:
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.request_password_reset(email=form.email.data)
        except Unavailable as error:
            show_refusal(form, error)
        else:
            return render_template("users/password_reset_sent.html"), 200
    return form_page("users/forgot_password.html", form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@personal
@password_reset_rate_limited
def reset_password(token: str) -> tuple[str, int] | Response:
    """Set a new password with a reset link, then be signed in (everywhere else signed out)."""
    try:
        password_reset.check_reset_token(token=token)
    except Invalid as error:
        return render_template("users/reset_link_invalid.html", errors=error.errors), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = password_reset.reset_password(token=token, password=form.password.data)
        except Invalid as error:
            show_refusal(form, error)
        else:
            sign_in(user)
            flash("Your new password is set, and you are signed in.", "success")
            return redirect(url_for("web_articles.home"))
    return form_page("users/reset_password.html", form, token=token)
