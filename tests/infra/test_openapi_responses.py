"""What the API sends is what its OpenAPI document says: every status documented for
its operation, with the documented media type, body schema and headers."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask

from tests.conftest import auth_headers
from tests.factories import PASSWORD, UserFactory
from tests.infra.helpers import configured

SPEC_URL = "/api/docs/openapi.json"


class Conformance:
    """Checks responses against the document, and remembers which statuses it saw."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.seen: set[tuple[str, str, int]] = set()

    def _operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        # Fixed paths first: /api/articles/feed is not the article at {slug}.
        paths = sorted(self.spec["paths"].items(), key=lambda entry: entry[0].count("{"))
        for template, item in paths:
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
            if re.fullmatch(pattern, path) and method in item:
                return template, item[method]
        raise AssertionError(f"no documented operation for {method.upper()} {path}")

    def check(self, method: str, path: str, response: Any) -> None:
        template, operation = self._operation(method, path.split("?", maxsplit=1)[0])
        status = response.status_code
        text = response.get_data(as_text=True)
        documented = operation["responses"].get(str(status))
        assert documented is not None, (method, path, status, text)
        self.seen.add((template, method, status))
        for name, header in documented.get("headers", {}).items():
            if header.get("required"):
                assert name in response.headers, (method, path, status, name)
        content = documented.get("content")
        if content is None:
            assert text == "", (method, path, status)
            assert "Content-Type" not in response.headers, (method, path, status)
            return
        assert response.mimetype in content, (method, path, status, response.mimetype)
        schema = {**content[response.mimetype]["schema"], "components": self.spec["components"]}
        validator = jsonschema_rs.validator_for(schema)
        errors = [error.message for error in validator.iter_errors(response.get_json())]
        assert not errors, (method, path, status, errors, text)


@pytest.fixture
def conformance(client) -> Conformance:
    return Conformance(client.get(SPEC_URL).json)


def test_a_whole_session_is_answered_as_documented(client, conformance):
    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = client.open(path, method=method.upper(), **kwargs)
        conformance.check(method, path, response)
        return response

    alice = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    token = call("post", "/api/users", json={"user": alice}).json["user"]["token"]
    call("post", "/api/users", json={"user": alice})
    mine = {"Authorization": f"Token {token}"}
    celeb = auth_headers(UserFactory(username="celeb", email="celeb@example.com"))

    call("post", "/api/users/login", json={"user": alice})
    call("post", "/api/users/login", json={"user": {**alice, "password": "not it at all"}})
    call("post", "/api/users/login", data="{", content_type="application/json")
    call("post", "/api/users/login", data="user", content_type="text/plain")
    call("get", "/api/user", headers=mine)
    call("get", "/api/user")
    call("get", "/api/user", headers={"Authorization": "Token not-a-token"})
    call("put", "/api/user", json={"user": {"bio": "Hi", "image": None}}, headers=mine)
    call("put", "/api/user", json={"user": {"email": None}}, headers=mine)

    call("get", "/api/profiles/celeb", headers=mine)
    call("get", "/api/profiles/nobody")
    call("post", "/api/profiles/celeb/follow", headers=mine)
    call("post", "/api/profiles/alice/follow", headers=mine)
    call("delete", "/api/profiles/celeb/follow", headers=mine)

    article = {"title": "Dragons", "description": "How to", "body": "Believe", "tagList": ["x"]}
    slug = call("post", "/api/articles", json={"article": article}, headers=mine).json["article"][
        "slug"
    ]
    call("get", "/api/articles?limit=1&tag=x", headers=mine)
    call("get", "/api/articles?limit=0")
    call("get", "/api/articles/feed", headers=mine)
    call("get", f"/api/articles/{slug}")
    call("get", "/api/articles/nothing-here")
    call("put", f"/api/articles/{slug}", json={"article": {"body": "More"}}, headers=mine)
    call("put", f"/api/articles/{slug}", json={"article": {"body": "Mine"}}, headers=celeb)
    call("post", f"/api/articles/{slug}/favorite", headers=celeb)
    call("delete", f"/api/articles/{slug}/favorite", headers=celeb)
    comment = call(
        "post", f"/api/articles/{slug}/comments", json={"comment": {"body": "Hi"}}, headers=celeb
    ).json["comment"]
    call("get", f"/api/articles/{slug}/comments")
    call("delete", f"/api/articles/{slug}/comments/{comment['id']}", headers=mine)
    call("delete", f"/api/articles/{slug}/comments/{comment['id']}", headers=celeb)
    call("delete", f"/api/articles/{slug}", headers=celeb)
    call("post", "/api/articles", data=b"x" * (2 * 1024 * 1024), headers=mine)
    call("get", "/api/tags")
    call("delete", f"/api/articles/{slug}", headers=mine)
    call("get", "/api/user/export", headers=mine)
    call("get", "/api/user/export")
    call("delete", "/api/user", json={"user": {"password": "not it at all"}}, headers=mine)
    call("delete", "/api/user", data="password", content_type="text/plain", headers=mine)
    call("delete", "/api/user", json={"user": {"password": PASSWORD}}, headers=mine)
    call("get", "/api/user/export", headers=mine)

    statuses = {status for _template, _method, status in conformance.seen}
    assert statuses == {200, 201, 204, 400, 401, 403, 404, 413, 415, 422}


def test_a_rate_limited_request_is_answered_as_documented(build):
    app: Flask = build(configured({"RATELIMIT_AUTH": "1 per minute"}, limits=True))
    client = app.test_client()
    conformance = Conformance(client.get(SPEC_URL).json)
    credentials = {"user": {"email": "nobody@example.com", "password": "wrong password"}}

    for _ in range(2):
        response = client.post("/api/users/login", json=credentials)
        conformance.check("post", "/api/users/login", response)

    assert response.status_code == 429
