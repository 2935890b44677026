"""What every API blueprint shares: documented errors and the token scheme."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from app.api.auth import authenticate_request
from app.api.requests import check_json_body
from app.schemas.common import ErrorBody

TOKEN_SECURITY: list[dict[str, list[str]]] = [{"Token": []}]
SECURITY_SCHEMES: dict[str, Any] = {
    "Token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <jwt>`, the token returned by registration or sign-in.",
    }
}

ERROR_RESPONSES: dict[int, Any] = {
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    413: ErrorBody,
    415: ErrorBody,
    422: ErrorBody,
}


def api_blueprint(name: str, import_name: str, tag: str) -> APIBlueprint:
    """An API blueprint under /api whose requests are checked before validation."""
    bp = APIBlueprint(
        name,
        import_name,
        url_prefix="/api",
        abp_tags=[Tag(name=tag)],
        abp_responses=ERROR_RESPONSES,
    )
    bp.before_request(authenticate_request)
    bp.before_request(check_json_body)
    return bp
