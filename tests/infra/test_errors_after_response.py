"""An error raised after the response is made (by a teardown function) leaves Flask:
it is answered in the API's format (LastResortMiddleware), never by the server's own
HTML page."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

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
