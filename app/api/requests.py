"""Reading request bodies safely.

Werkzeug turns deeply nested JSON into a RecursionError (a 500) and accepts lone
surrogates, which no text can be encoded with. Every JSON body sent to the API is
parsed and checked here, before any view runs, so that each of those answers with
a 4xx and the project's error body. (A NUL character, which the database refuses,
is refused by each field that reads text, as the OpenAPI document says: unknown
fields are ignored, whatever they hold.)
"""

from __future__ import annotations

from typing import Any

from flask import Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from app.exceptions import Invalid

# Deep enough for any real payload (the deepest RealWorld body has depth 3).
MAX_JSON_DEPTH = 32

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# A DELETE may carry a body too (deleting the account sends the password): those
# whose view reads one are checked like the others.
NOT_JSON = "the request body must be JSON (Content-Type: application/json)"


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, where too deep a document is invalid JSON rather than a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class ConduitRequest(Request):
    """A request whose malformed JSON body is a clear 400, not Werkzeug's generic one."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise UnsupportedMediaType(
                "the request body must be JSON (Content-Type: application/json)"
            )
        raise BadRequest("the request body is not valid JSON")


def _first_problem(document: Any) -> str | None:
    """Walk the parsed document without recursion; name the first thing it must not hold."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"is nested too deeply (more than {MAX_JSON_DEPTH} levels)"
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "must not contain unpaired surrogates"
        elif isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return None


def takes_body(method: str, view: Any) -> bool:
    """Whether requests of `method` to `view` carry a body it reads."""
    return method.upper() in BODY_METHODS or "body" in getattr(view, "__annotations__", {})


def check_json_body() -> None:
    """Refuse a body that is not JSON, is malformed, or holds what no field may hold."""
    view = current_app.view_functions.get(request.endpoint or "")
    if not takes_body(request.method, view) or not request.get_data(cache=True):
        return
    if not request.is_json:
        raise UnsupportedMediaType(NOT_JSON)
    document = request.get_json()
    if isinstance(document, str):
        # flask-openapi3 parses a JSON string body as JSON a second time: its text would
        # pass for the document itself, unchecked by what follows.
        raise Invalid.on("body", "must be an object")
    problem = _first_problem(document)
    if problem is not None:
        raise Invalid.on("body", problem)
