"""Comments on articles."""

from __future__ import annotations

import functools

from flask import Response

from app.api.auth import auth_optional, auth_required, current_actor, current_viewer_id
from app.api.common import TOKEN_SECURITY, api_blueprint
from app.api.responses import json_response, json_text_response, no_content
from app.schemas.articles import (
    CommentEnvelope,
    CommentListOut,
    CommentOut,
    CommentPath,
    NewCommentBody,
    SlugPath,
)
from app.schemas.common import ErrorBody
from app.services import comments
from app.services.views import CommentListing, CommentRow, comment_view

bp = api_blueprint("api_comments", __name__, "Comments")


# Distinct comments whose JSON a process keeps: the comments of the most read
# articles, the most commented of which have thousands. At about half a KB a
# comment (a long body or bio costs more), a few MB per process.
COMMENTS_RENDERED = 16_384
# What CommentOut's JSON ends with: its author's following flag, which is the
# viewer's own, and so is added to the rendered rest on each request.
NOT_FOLLOWING_END = '"following":false}}'


@functools.lru_cache(maxsize=COMMENTS_RENDERED)
def _comment_json_head(row: CommentRow) -> str:
    """A comment as CommentOut serialises it, up to its author's following flag;
    rendered once per distinct comment.

    A popular article's comments come back request after request, by the thousand:
    validating them into wire models again was most of what such a list cost.
    """
    text = CommentOut.model_validate(comment_view(row, following=False)).model_dump_json(
        by_alias=True
    )
    if not text.endswith(NOT_FOLLOWING_END):
        raise RuntimeError("CommentOut's JSON no longer ends with its author's following flag")
    return text.removesuffix("false}}")


def _comments_response(listing: CommentListing) -> Response:
    """CommentListOut's JSON, byte for byte, from its comments' rendered JSON."""
    followed = listing.followed
    items = ",".join(
        _comment_json_head(row) + ("true}}" if row[4] in followed else "false}}")
        for row in listing.rows
    )
    return json_text_response(f'{{"comments":[{items}]}}')


@bp.get("/articles/<slug:slug>/comments", responses={200: CommentListOut})
@auth_optional
def list_comments(path: SlugPath) -> Response:
    """List the comments on an article, newest first."""
    return _comments_response(
        comments.list_comment_rows(slug=path.slug, viewer_id=current_viewer_id())
    )


@bp.post(
    "/articles/<slug:slug>/comments", responses={200: CommentEnvelope}, security=TOKEN_SECURITY
)
@auth_required
def add_comment(path: SlugPath, body: NewCommentBody) -> Response:
    """Comment on an article."""
    comment = comments.add_comment(actor=current_actor(), slug=path.slug, body=body.comment.body)
    return json_response(CommentEnvelope(comment=CommentOut.model_validate(comment)))


@bp.delete(
    "/articles/<slug:slug>/comments/<id>",
    responses={204: None, 403: ErrorBody},
    security=TOKEN_SECURITY,
)
@auth_required
def delete_comment(path: CommentPath) -> Response:
    """Delete a comment (its author only)."""
    comments.delete_comment(actor=current_actor(), slug=path.slug, comment_id=path.id)
    return no_content()
