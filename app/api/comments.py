"""Comments on articles."""

from __future__ import annotations

from flask import Response

from app.api.auth import auth_optional, auth_required, current_actor, current_viewer_id
from app.api.common import TOKEN_SECURITY, api_blueprint
from app.api.responses import json_response, no_content
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

bp = api_blueprint("api_comments", __name__, "Comments")


@bp.get("/articles/<slug:slug>/comments", responses={200: CommentListOut})
@auth_optional
def list_comments(path: SlugPath) -> Response:
    """List the comments on an article, newest first."""
    views = comments.list_comments(slug=path.slug, viewer_id=current_viewer_id())
    return json_response(CommentListOut.model_validate({"comments": views}))


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
