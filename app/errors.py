"""One error vocabulary: every failure under /api answers with the same JSON body.

    {"errors": {"<field or 'body'>": ["message", ...]}}

Domain exceptions, validation errors, HTTP errors (404 of an unknown route, 405,
413, 415, ...), database failures and bugs all end here, with the status and the
headers they need and never a stack trace, SQL or an HTML page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.exceptions import DomainError, Forbidden, Invalid, NotFound, Unauthorized
from app.extensions import db

DOMAIN_STATUS: dict[type[DomainError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Invalid: 422,
}

# Seconds a client should wait before trying again when a dependency is down.
RETRY_AFTER_UNAVAILABLE = "5"


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(
    errors: dict[str, list[str]], status: int, headers: dict[str, str] | None = None
) -> Response:
    response = current_app.json.response({"errors": errors})
    response.status_code = status
    if headers:
        response.headers.update(headers)
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", "Token")
    return response


# pydantic error types and how to say them; `{...}` names a value of the error's context.
MESSAGES: dict[str, str] = {
    "missing": "can't be blank",
    "string_too_long": "is too long (maximum is {max_length} characters)",
    "too_long": "has too many items (maximum is {max_length})",
    "string_pattern_mismatch": "may contain only letters, digits, '_' and '-'",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "string_type": "must be a string",
    "list_type": "must be an array",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error.get("input") is None and kind.endswith("_type"):
        return "can't be blank"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "can't be blank"
        return f"is too short (minimum is {ctx['min_length']} characters)"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    template = MESSAGES.get(kind)
    return template.format(**ctx) if template else error["msg"]


def validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Group pydantic's errors by the innermost field they name ("body" for the whole)."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        field = next((part for part in reversed(error["loc"]) if isinstance(part, str)), "body")
        messages = errors.setdefault(field, [])
        message = _message(error)
        if message not in messages:
            messages.append(message)
    return errors


def validation_error_response(exc: ValidationError) -> Response:
    """flask-openapi3's hook for invalid bodies, queries and paths."""
    return error_response(validation_errors(exc), 422)


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if not is_api_request():
        return exc
    status = exc.code or 500
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    message = exc.description or exc.name
    return error_response({"body": [message]}, status, headers)


def _domain_error(exc: DomainError) -> Response:
    return error_response(exc.errors, DOMAIN_STATUS.get(type(exc), 422))


def _validation_error(exc: ValidationError) -> Response:
    return validation_error_response(exc)


def _database_error(exc: SQLAlchemyError) -> Response | HTTPException:
    db.session.rollback()
    if isinstance(exc, DataError):
        # A value the database refuses (out of range, bad encoding): the client's input.
        return error_response({"body": ["contains a value that cannot be stored"]}, 422)
    if isinstance(exc, IntegrityError):
        return error_response({"body": ["conflicts with existing data"]}, 422)
    if isinstance(exc, OperationalError):
        current_app.logger.error("database unavailable: %s", exc.__class__.__name__)
        return error_response(
            {"body": ["the service is temporarily unavailable"]},
            503,
            {"Retry-After": RETRY_AFTER_UNAVAILABLE},
        )
    return _unexpected(exc)


def _unexpected(exc: Exception) -> Response | HTTPException:
    current_app.logger.exception("unhandled error", exc_info=exc)
    if not is_api_request():
        return InternalServerError()
    return error_response({"body": ["internal server error"]}, 500)


def register_error_handlers(app: Flask) -> None:
    """Answer every error under /api with the project's JSON error body."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(SQLAlchemyError, _database_error)
    app.register_error_handler(Exception, _unexpected)
