"""What every API blueprint shares: documented errors and the token scheme."""

from __future__ import annotations

from collections.abc import Callable
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


class SlashTolerantBlueprint(APIBlueprint):
    """An API blueprint whose routes answer the same with a trailing slash, unredirected.

    Public front ends add one (the Angular RealWorld app posts to /api/articles/).
    Werkzeug would answer 404, or redirect where the rule itself ends in a slash,
    which a CORS preflight may not follow. A rule that is not strict about slashes
    matches both forms; the OpenAPI document lists each path once, without it.
    """

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("strict_slashes", False)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


def api_blueprint(name: str, import_name: str, tag: str) -> APIBlueprint:
    """An API blueprint under /api whose requests are checked before validation."""
    bp = SlashTolerantBlueprint(
        name,
        import_name,
        url_prefix="/api",
        abp_tags=[Tag(name=tag)],
        abp_responses=ERROR_RESPONSES,
    )
    bp.before_request(authenticate_request)
    bp.before_request(check_json_body)
    return bp
