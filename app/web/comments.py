"""Writing and deleting comments from the article page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.services import comments
from app.web.articles import render_article_page
from app.web.auth import signed_in_user
from app.web.forms import CommentForm
from app.web.pages import checked_action, drawn_as, redirect_next

bp = Blueprint("web_comments", __name__)


@bp.post("/article/<slug>/comments")
@login_required
def add_comment(slug: str) -> tuple[str, int] | Response:
    """Post a comment; a bad one shows the article again with the error."""
    form = CommentForm()
    if not form.validate_on_submit():
        drawn_as(url_for("web_articles.show_article", slug=slug))
        return render_article_page(slug, form)
    comment = comments.add_comment(actor=signed_in_user(), slug=slug, body=form.body.data)
    return redirect(
        url_for("web_articles.show_article", slug=slug, _anchor=f"comment-{comment.id}")
    )


@bp.post("/article/<slug>/comments/<int:comment_id>/delete")
@login_required
def delete_comment(slug: str, comment_id: int) -> Response:
    """Delete one of the signed-in user's comments."""
    form = checked_action()
    comments.delete_comment(actor=signed_in_user(), slug=slug, comment_id=comment_id)
    flash("The comment is deleted.", "success")
    # Back to the page of comments it was on (the button says which).
    return redirect_next(
        form, default=url_for("web_articles.show_article", slug=slug, _anchor="comments")
    )
