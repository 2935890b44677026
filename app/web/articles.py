"""Home page, article pages, the editor and favorites."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.exceptions import Invalid
from app.services import articles, comments, favorites, tags
from app.web.auth import signed_in_account, signed_in_user, viewer
from app.web.forms import ActionForm, ArticleForm, CommentForm, tags_text
from app.web.markdown import render_markdown
from app.web.pages import (
    PAGE_SIZE,
    checked_action,
    form_page,
    pager,
    query_text,
    redirect_next,
    requested_page,
    show_refusal,
)

bp = Blueprint("web_articles", __name__)
# How many tags the home page's "Popular Tags" shows (the tag list is most used first).
POPULAR_TAGS = 20
# How many comments an article page shows: an article with comments by the
# thousand costs what a short one does (the API lists them all, as its spec says).
COMMENTS_PER_PAGE = 20


@bp.get("/")
def home() -> str:
    """Global feed, the signed-in user's feed, or one tag's articles."""
    user = viewer()
    tag = query_text("tag")
    if tag:
        tab = "tag"
    elif request.args.get("feed") == "yours" and user is not None:
        tab = "yours"
    else:
        # Anonymous visitors have no feed of their own; an unknown feed is the global one.
        tab = "global"
    page = requested_page()
    offset = (page - 1) * PAGE_SIZE
    if tab == "yours" and user is not None:
        result = articles.feed_articles(viewer_id=user.id, limit=PAGE_SIZE, offset=offset)
    else:
        result = articles.list_articles(
            viewer_id=user.id if user else None, tag=tag, limit=PAGE_SIZE, offset=offset
        )
    return render_template(
        "home/index.html",
        tab=tab,
        tag=tag,
        page=result,
        pager=pager(page, result.total),
        # The most used ones: a sidebar of every tag grows with the site (a link each).
        popular_tags=tags.list_tags()[:POPULAR_TAGS],
    )


@bp.get("/article/<slug>")
def show_article(slug: str) -> tuple[str, int]:
    """One article with a page of its comments (`?page=`, newest first).

    A page number past the last shows the last page, a nonsense one the first.
    """
    # Only a signed-in reader gets the comment form: made for anyone, its CSRF token
    # would start a session, and a cookie, for every anonymous reader.
    form = CommentForm() if viewer() is not None else None
    return render_article_page(slug, form, comment_page=requested_page())


def render_article_page(
    slug: str, comment_form: CommentForm | None, *, comment_page: int = 1
) -> tuple[str, int]:
    """The article page; also shown again, with its errors, after a bad comment (422)."""
    user = viewer()
    viewer_id = user.id if user else None
    article = articles.get_article(slug=slug, viewer_id=viewer_id)
    shown = comments.list_comment_page(
        slug=slug, viewer_id=viewer_id, page=comment_page, per_page=COMMENTS_PER_PAGE
    )
    context = {
        "article": article,
        "body_html": render_markdown(article.body or ""),
        "comments": shown.comments,
        "comment_pager": pager(shown.page, shown.total, per_page=COMMENTS_PER_PAGE),
    }
    if comment_form is None:
        return render_template("articles/article.html", comment_form=None, **context), 200
    return form_page("articles/article.html", comment_form, form_name="comment_form", **context)


@bp.route("/editor", methods=["GET", "POST"])
@login_required
def new_article() -> tuple[str, int] | Response:
    """Write and publish a new article."""
    form = ArticleForm()
    if form.validate_on_submit():
        try:
            article = articles.create_article(actor=signed_in_user(), **form.article_fields())
        except Invalid as error:
            show_refusal(form, error)
        else:
            flash("Your article is published.", "success")
            return redirect(url_for("web_articles.show_article", slug=article.slug))
    return form_page("articles/editor.html", form, article=None)


@bp.route("/editor/<slug>", methods=["GET", "POST"])
@login_required
def edit_article(slug: str) -> tuple[str, int] | Response:
    """Edit an article (its author only)."""
    account = signed_in_account()
    article = articles.load_article(slug)
    articles.require_author(article, account.id)
    view = articles.get_article(slug=article.slug, viewer_id=account.id)
    form = ArticleForm()
    form.shown_tags = view.tag_list
    if form.validate_on_submit():
        try:
            updated = articles.update_article(
                actor=signed_in_user(), slug=slug, **form.article_fields()
            )
        except Invalid as error:
            show_refusal(form, error)
        else:
            flash("Your article is updated.", "success")
            return redirect(url_for("web_articles.show_article", slug=updated.slug))
    elif request.method == "GET":
        form.title.data = view.title
        form.description.data = view.description
        form.body.data = view.body
        form.tags.data = tags_text(view.tag_list)
    return form_page("articles/editor.html", form, article=article)


@bp.post("/article/<slug>/delete")
@login_required
def delete_article(slug: str) -> Response:
    """Delete an article (its author only)."""
    checked_action()
    articles.delete_article(actor=signed_in_user(), slug=slug)
    flash("The article is deleted.", "success")
    return redirect(url_for("web_articles.home"))


@bp.post("/article/<slug>/favorite")
@login_required
def favorite_article(slug: str) -> Response:
    """Add an article to the signed-in user's favorites."""
    form = checked_action()
    favorites.favorite_article(actor=signed_in_user(), slug=slug)
    return _back(form, slug)


@bp.post("/article/<slug>/unfavorite")
@login_required
def unfavorite_article(slug: str) -> Response:
    """Remove an article from the signed-in user's favorites."""
    form = checked_action()
    favorites.unfavorite_article(actor=signed_in_user(), slug=slug)
    return _back(form, slug)


def _back(form: ActionForm, slug: str) -> Response:
    return redirect_next(form, default=url_for("web_articles.show_article", slug=slug))
