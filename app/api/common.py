"""What every API blueprint shares: documented errors and the token scheme."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_type_hints

from flask_openapi3 import APIBlueprint, Tag

from app.api.auth import AUTH_ATTRIBUTE, authenticate_request
from app.api.requests import check_json_body, takes_body
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

ERROR_BODY_REF = "#/components/schemas/ErrorBody"
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}


def _error(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    """An error response with the error body and the headers it always carries."""
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}},
    }
    if headers:
        response["headers"] = headers
    return response


# What any request may be answered with: a malformed request (or a Host the app does
# not serve), a rate limit, the database unavailable.
ANY_REQUEST_ERRORS: dict[int, Any] = {
    400: ErrorBody,
    429: _error("Too many requests: wait as Retry-After says.", **{"Retry-After": _RETRY_AFTER}),
    503: _error(
        "A dependency (the database) is unavailable, or too many searches are at work: "
        "try again as Retry-After says.",
        **{"Retry-After": _RETRY_AFTER},
    ),
}
UNAUTHORIZED = _error(
    "The token is missing, invalid or expired (or names no account).",
    **{
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with: `Token`.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
)

NOT_AVAILABLE = _error("This installation does not offer the feature (it sends no mail).")


def error_responses(rule: str, view: Callable[..., Any], method: str) -> dict[int, Any]:
    """The errors an operation can answer, from what it reads and who may call it.

    403 depends on what the service checks: views that may answer it name it
    themselves.
    """
    responses = dict(ANY_REQUEST_ERRORS)
    if getattr(view, AUTH_ATTRIBUTE, None) is not None:
        # Required, or optional and given: a bad token is refused either way.
        responses[401] = UNAUTHORIZED
    if "<" in rule:
        responses[404] = ErrorBody
    inputs = get_type_hints(view).keys() & {"path", "query", "body"}
    if takes_body(method, view):
        responses[413] = ErrorBody
        responses[415] = ErrorBody
    if inputs or takes_body(method, view):
        responses[422] = ErrorBody
    return responses


class ApiBlueprint(APIBlueprint):
    """An API blueprint whose operations document the errors each really answers, and
    whose routes answer the same with a trailing slash, unredirected.

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

    def _documented(
        self, method: str, rule: str, responses: dict[int, Any] | None, options: dict[str, Any]
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = getattr(APIBlueprint, method)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            documented = {**error_responses(rule, view, method), **(responses or {})}
            decorated: Callable[..., Any] = register(self, rule, responses=documented, **options)(
                view
            )
            return decorated

        return decorator

    def get(self, rule: str, *, responses: Any = None, **options: Any) -> Callable[..., Any]:
        return self._documented("get", rule, responses, options)

    def post(self, rule: str, *, responses: Any = None, **options: Any) -> Callable[..., Any]:
        return self._documented("post", rule, responses, options)

    def put(self, rule: str, *, responses: Any = None, **options: Any) -> Callable[..., Any]:
        return self._documented("put", rule, responses, options)

    def delete(self, rule: str, *, responses: Any = None, **options: Any) -> Callable[..., Any]:
        return self._documented("delete", rule, responses, options)


def api_blueprint(name: str, import_name: str, tag: str) -> APIBlueprint:
    """An API blueprint under /api whose requests are checked before validation."""
    bp = ApiBlueprint(name, import_name, url_prefix="/api", abp_tags=[Tag(name=tag)])
    bp.before_request(authenticate_request)
    bp.before_request(check_json_body)
    return bp
