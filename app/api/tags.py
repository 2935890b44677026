"""Tags."""

from __future__ import annotations

import functools

from flask import Response

from app.api.common import api_blueprint
from app.api.responses import json_text_response
from app.schemas.articles import TagListOut
from app.services import tags

bp = api_blueprint("api_tags", __name__, "Tags")


@functools.lru_cache(maxsize=8)
def _tag_list_body(names: tuple[str, ...]) -> str:
    """The response body for these tags, serialised once per tag list.

    The list changes only with articles, and at 500 tags validating and
    serialising it again was the largest part of the request after the cache
    read; equal lists give the same body.
    """
    return TagListOut(tags=list(names)).model_dump_json(by_alias=True)


@bp.get("/tags", responses={200: TagListOut})
def list_tags() -> Response:
    """List the tags in use, most used first."""
    return json_text_response(_tag_list_body(tuple(tags.list_tags())))
