"""One error vocabulary: every failure under /api answers with the same JSON body.

    {"errors": {"<field or 'body'>": ["message", ...]}}

Domain exceptions, validation errors, HTTP errors (404 of an unknown route, 405,
413, 415, ...), database failures and bugs all end here, with the status and the
headers they need and never a stack trace, SQL or an HTML page. What escapes
Flask altogether (an error raised by a teardown function) is answered by
`LastResortMiddleware` in the same format, never by the server's own HTML page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from flask import Flask, Response, current_app, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.http import HTTP_STATUS_CODES

from app.exceptions import (
    Busy,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
    Unavailable,
)
from app.extensions import db, limiter
from app.metrics import record_rate_limited
from app.observability import REQUEST_ID_ENVIRON_KEY
from app.web.auth import forget_signed_in_account, show_as_anonymous

log = structlog.get_logger(__name__)

DOMAIN_STATUS: dict[type[DomainError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Invalid: 422,
    Unavailable: 501,
    Busy: 503,
}

# Seconds a client should wait before trying again when a dependency is down.
RETRY_AFTER_UNAVAILABLE = "5"
RETRY_AFTER_RATE_LIMITED = 60
# Seconds a client should wait when too many requests of its kind are at work.
RETRY_AFTER_BUSY = "1"


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def is_api_request() -> bool:
    return is_api_path(request.path)


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


# What a person in a browser is told, by status.
PAGE_MESSAGES: dict[int, str] = {
    400: "The request could not be understood. Please go back and try again.",
    401: "Please sign in first.",
    403: "You are not allowed to do that.",
    404: "There is nothing here: the page may have moved or been deleted.",
    405: "That action is not available here.",
    413: "What you sent is too large.",
    422: "That could not be done with what you sent.",
    429: "Too many requests: please wait a moment and try again.",
    500: "Something went wrong on our side. Please try again later.",
    503: "Conduit is unavailable for a moment. Please try again shortly.",
}
CSRF_MESSAGE = (
    "This form has expired or was not sent from this site, so nothing was changed. "
    "Please reload the page and try again."
)


def error_page(
    status: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    *,
    touch_session: bool = True,
) -> Response:
    """An error page in the site's layout; `touch_session=False` when the database is down."""
    if not touch_session:
        # Flask-Login's context processor loads the signed-in user for every
        # template, from the database that just failed: draw the page as for an
        # anonymous visitor instead (the session cookie itself is left alone).
        show_as_anonymous()
    plain = f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}"
    if isinstance(request.routing_exception, SecurityError):
        # A Host that TRUSTED_HOSTS refuses: no URL can be built for it, so no page in
        # the layout either; a client's mistake, not worth an error in the logs.
        return current_app.response_class(plain, status=status, mimetype="text/plain")
    try:
        html = render_template(
            "errors/error.html",
            status=status,
            title=HTTP_STATUS_CODES.get(status, "Error"),
            message=message or PAGE_MESSAGES.get(status, PAGE_MESSAGES[500]),
            anonymous_layout=not touch_session,
        )
    except Exception:
        # The page itself failed (the database, say): plain text still answers.
        current_app.logger.exception("error page failed to render")
        html = plain
    response = current_app.response_class(html, status=status, mimetype="text/html")
    if headers:
        response.headers.update(headers)
    return response


def _respond(
    status: int,
    errors: dict[str, list[str]],
    headers: dict[str, str] | None = None,
    *,
    page_message: str | None = None,
    touch_session: bool = True,
) -> Response:
    if is_api_request():
        return error_response(errors, status, headers)
    return error_page(status, page_message, headers, touch_session=touch_session)


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if exc.code is None:
        return exc
    status = exc.code
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    page_message = CSRF_MESSAGE if isinstance(exc, CSRFError) else None
    message = exc.description or exc.name
    if isinstance(exc, RateLimitExceeded):
        record_rate_limited()
        headers["Retry-After"] = str(_seconds_until_reset())
        message = f"too many requests: the limit is {exc.description}; try again later"
    return _respond(status, {"body": [message]}, headers, page_message=page_message)


def _seconds_until_reset() -> int:
    """When the limit that was hit lets requests through again (at least a second)."""
    current = limiter.current_limit
    if current is None:
        return RETRY_AFTER_RATE_LIMITED
    return max(1, int(current.reset_at - time.time()))


def _domain_error(exc: DomainError) -> Response:
    status = DOMAIN_STATUS.get(type(exc), 422)
    headers = {"Retry-After": RETRY_AFTER_BUSY} if isinstance(exc, Busy) else None
    if status == 401 and not is_api_request():
        # On the web only an account deleted while this request ran is refused so
        # (signing in with wrong credentials is shown on its form): its page must
        # not still name it.
        forget_signed_in_account()
    return _respond(status, exc.errors, headers)


def _validation_error(exc: ValidationError) -> Response:
    return _respond(422, validation_errors(exc))


def _database_error(exc: SQLAlchemyError) -> Response:
    try:
        db.session.rollback()
    except SQLAlchemyError as error:
        # The connection failed again (the server stopped answering, say): the
        # answer stays the first error's, and the session is closed with the request.
        current_app.logger.warning(
            "rollback after a database error failed: %s", error.__class__.__name__
        )
    if isinstance(exc, DataError):
        # A value the database refuses (out of range, bad encoding): the client's input.
        return _respond(422, {"body": ["contains a value that cannot be stored"]})
    if isinstance(exc, IntegrityError):
        return _respond(422, {"body": ["conflicts with existing data"]})
    if isinstance(exc, OperationalError):
        current_app.logger.error("database unavailable: %s", exc.__class__.__name__)
        return _respond(
            503,
            {"body": ["the service is temporarily unavailable"]},
            {"Retry-After": RETRY_AFTER_UNAVAILABLE},
            touch_session=False,
        )
    return _unexpected(exc)


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unhandled error", exc_info=exc)
    return _respond(500, {"body": ["internal server error"]}, touch_session=False)


def register_error_handlers(app: Flask) -> None:
    """Answer every error: JSON under /api, a page in the site's layout elsewhere."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(SQLAlchemyError, _database_error)
    app.register_error_handler(Exception, _unexpected)


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
INTERNAL_ERROR_BODY = json.dumps({"errors": {"body": ["internal server error"]}}).encode()


class LastResortMiddleware:
    """Answer 500 in the API's format (plain text elsewhere) for an exception that
    escaped Flask, instead of letting the server answer its own HTML page.

    Flask's error handlers answer whatever a view or a hook raises; a teardown
    function runs after the response is made, and what it raises leaves Flask.
    The server is given the app's status and headers only once the app has
    returned, so that they can still be replaced (Flask never uses `write`).
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started: list[tuple[Any, ...]] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [(status, headers, exc_info)]
            return _no_write

        try:
            body = self.app(environ, hold)
        except Exception:
            return _internal_error(environ, start_response)
        start_response(*started[0])
        return body


def _internal_error(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    # The request's log context is gone with its teardown: name the request again.
    structlog.contextvars.bind_contextvars(request_id=environ.get(REQUEST_ID_ENVIRON_KEY))
    log.exception("request failed after its response was made")
    if is_api_path(environ.get("PATH_INFO", "")):
        body, content_type = INTERNAL_ERROR_BODY, "application/json"
    else:
        body, content_type = b"500 Internal Server Error", "text/plain; charset=utf-8"
    start_response(
        "500 INTERNAL SERVER ERROR",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]


def _no_write(_data: bytes) -> None:
    # WSGI's write() would send the status before the app returns, which this
    # middleware must not do (it may still have to answer 500 instead). Flask never
    # calls it; an app that did would be told so at once, not given a broken response.
    raise RuntimeError("LastResortMiddleware supports returned response bodies only, not write()")
