"""What the API tests share: the error-body check, the wire formats, request shortcuts."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

# ISO 8601 in UTC with milliseconds and a Z: 2026-01-02T03:04:05.678Z.
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

JSON = "application/json"


def assert_error(
    response: TestResponse, status: int, field: str | None = None
) -> dict[str, list[str]]:
    """Assert `status` and the project's error body; return its field map.

    Every error under /api is exactly {"errors": {"<field or body>": ["message", ...]}}
    with a JSON content type, and never shows a stack trace.
    """
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == JSON, text
    assert "Traceback" not in text
    body = response.get_json()
    assert isinstance(body, dict), text
    assert list(body) == ["errors"], text
    errors = body["errors"]
    assert isinstance(errors, dict), text
    assert errors, text
    for name, messages in errors.items():
        assert isinstance(name, str), text
        assert name, text
        assert isinstance(messages, list), text
        assert messages, text
        for message in messages:
            assert isinstance(message, str), text
            assert message, text
    if field is not None:
        assert field in errors, text
    return errors


def assert_no_content(response: TestResponse) -> None:
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.data == b""


def create_article(
    client: FlaskClient,
    headers: dict[str, str],
    *,
    title: str = "How to train your dragon",
    description: str = "Ever wonder how?",
    body: str = "You have to believe",
    tag_list: list[str] | None = None,
) -> dict[str, Any]:
    """Publish an article through the API; return it as the API answered."""
    article: dict[str, Any] = {"title": title, "description": description, "body": body}
    if tag_list is not None:
        article["tagList"] = tag_list
    response = client.post("/api/articles", json={"article": article}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.json["article"]
    return created


def add_comment(
    client: FlaskClient, headers: dict[str, str], slug: str, body: str = "Nice one."
) -> dict[str, Any]:
    """Comment on the article at `slug` through the API; return the comment."""
    response = client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    comment: dict[str, Any] = response.json["comment"]
    return comment
