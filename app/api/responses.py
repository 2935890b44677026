"""Turning wire models into responses."""

from __future__ import annotations

from flask import Response, current_app
from pydantic import BaseModel


def json_response(model: BaseModel, status: int = 200) -> Response:
    """Serialise `model` (camelCase, pydantic's own encoder) as the response body."""
    return json_text_response(model.model_dump_json(by_alias=True), status)


def json_text_response(text: str, status: int = 200) -> Response:
    """A response whose body is `text`, already serialised JSON."""
    return current_app.response_class(text, status=status, mimetype="application/json")


def no_content() -> Response:
    response = current_app.response_class(status=204)
    # A 204 has no body, so it names no media type either.
    del response.headers["Content-Type"]
    return response
