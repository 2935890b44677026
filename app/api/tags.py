"""Tags."""

from __future__ import annotations

from flask import Response

from app.api.common import api_blueprint
from app.api.responses import json_response
from app.schemas.articles import TagListOut
from app.services import tags

bp = api_blueprint("api_tags", __name__, "Tags")


@bp.get("/tags", responses={200: TagListOut})
def list_tags() -> Response:
    """List the tags in use, most used first."""
    return json_response(TagListOut(tags=tags.list_tags()))
