"""An error raised after the response is made (by a teardown function) leaves Flask:
it is answered in the API's format (LastResortMiddleware), never by the server's own
HTML page."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.errors import LastResortMiddleware
from tests.api.helpers import assert_error
from tests.infra.helpers import configured


@pytest.fixture
def failing_teardown_app(build) -> Flask:
    """An app whose teardown fails after every response is made (its test clients
    give each request a context of its own, as a server does)."""
    app = build(configured())
    app.test_client_class = FlaskClient

    @app.teardown_request
    def _fail(_exc: BaseException | None) -> None:
        raise RuntimeError("a teardown that fails")

    return app


def test_an_error_after_the_response_is_made_answers_json_under_the_api(failing_teardown_app):
    response = failing_teardown_app.test_client().get("/api/tags")

    assert assert_error(response, 500) == {"body": ["internal server error"]}
    assert response.headers["X-Request-ID"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_error_after_the_response_is_made_answers_plain_text_on_the_web(
    failing_teardown_app,
):
    response = failing_teardown_app.test_client().get("/login")

    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert "<html" not in response.get_data(as_text=True).lower()


def test_an_app_that_writes_before_returning_is_refused_with_a_json_500():
    # The middleware holds the status until the app returns, so WSGI's write() cannot
    # be honoured; a wrapped app that calls it gets the API's 500, not half a response.
    def writing_app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"too early")
        return [b""]

    sent: list[str] = []
    body = LastResortMiddleware(writing_app)(
        {"PATH_INFO": "/api/tags"}, lambda status, _headers, _exc=None: sent.append(status)
    )

    assert sent == ["500 INTERNAL SERVER ERROR"]
    assert json.loads(b"".join(body)) == {"errors": {"body": ["internal server error"]}}
