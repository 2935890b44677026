"""Logs: one JSON object a line, one access line per request, the request id on every
line of a request, and never a secret.

Each test builds its app itself, after `capsys` took over stdout, so that the app's
log handler writes to the captured stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db
from app.models import User
from config import ConfigError
from tests.factories import PASSWORD, UserFactory
from tests.infra.helpers import add_failing_views, configured, sign_in_body
from tests.web.helpers import Browser

Line = dict[str, Any]


class CapturedLog:
    """The lines the app wrote to stdout, each parsed as the JSON object it must be."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.raw: list[str] = []
        self.lines: list[Line] = []

    def read(self) -> list[Line]:
        captured = self.capsys.readouterr()
        assert captured.err == "", captured.err
        for text in captured.out.splitlines():
            self.raw.append(text)
            try:
                line = json.loads(text)
            except ValueError:
                pytest.fail(f"not a JSON line: {text!r}")
            assert isinstance(line, dict), text
            self.lines.append(line)
        return self.lines

    def of(self, response: TestResponse) -> list[Line]:
        """The lines logged while `response` was made (they carry its request id)."""
        request_id = response.headers["X-Request-ID"]
        return [line for line in self.read() if line.get("request_id") == request_id]

    def access(self, response: TestResponse) -> Line:
        """The one access line of `response`'s request."""
        lines = [line for line in self.of(response) if line.get("logger") == "conduit.access"]
        assert len(lines) == 1, lines
        return lines[0]


@pytest.fixture
def log(capsys) -> Iterator[CapturedLog]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    capsys.readouterr()
    yield CapturedLog(capsys)
    # The app's handler writes to the captured stream, which closes after the test.
    root.handlers = handlers
    root.setLevel(level)


@pytest.fixture
def logged_app(build, log) -> Callable[..., Flask]:
    """Build an app logging JSON lines to the captured stdout (settings from `env`)."""

    def make(*, limits: bool = False, **env: str) -> Flask:
        app = build(configured({"LOG_FORMAT": "json", **env}, limits=limits))
        add_failing_views(app)
        return app

    return make


def test_every_request_has_one_access_line_with_its_fields(logged_app, log):
    client = logged_app().test_client()
    requests = [
        ("GET", "/api/tags", 200),
        ("GET", "/api/articles?limit=1&tag=secret-query", 200),
        ("GET", "/", 200),
        ("GET", "/login?next=/settings", 200),
        ("GET", "/no/such/page", 404),
        ("GET", "/api/no/such/thing", 404),
        ("GET", "/api/user", 401),
        ("POST", "/api/users", 422),
        ("DELETE", "/api/tags", 405),
    ]

    for method, url, status in requests:
        response = client.open(url, method=method, json={"user": {}})
        assert response.status_code == status
        line = log.access(response)
        assert line == {
            "event": "request",
            "level": "info",
            "logger": "conduit.access",
            "request_id": response.headers["X-Request-ID"],
            "user_id": None,
            "method": method,
            "path": url.partition("?")[0],
            "status": status,
            "duration_ms": line["duration_ms"],
            "timestamp": line["timestamp"],
        }
        assert isinstance(line["duration_ms"], float | int)
        assert line["duration_ms"] >= 0
        assert line["timestamp"].endswith("Z")
    assert "secret-query" not in "\n".join(log.raw)
    assert len([line for line in log.read() if line["logger"] == "conduit.access"]) == len(requests)


def test_the_access_line_keeps_an_inbound_request_id(logged_app, log):
    client = logged_app().test_client()

    response = client.get("/api/tags", headers={"X-Request-ID": "trace-1234"})

    assert response.headers["X-Request-ID"] == "trace-1234"
    assert log.access(response)["request_id"] == "trace-1234"


def test_the_access_line_names_the_user_signed_in_by_token(logged_app, log):
    client = logged_app().test_client()
    user = {"username": "jake", "email": "jake@example.com", "password": PASSWORD}
    registered = client.post("/api/users", json={"user": user})
    token = registered.json["user"]["token"]
    headers = {"Authorization": f"Token {token}"}
    user_id = db.session.scalar(select(User.id).where(User.username == "jake"))
    assert isinstance(user_id, int)

    assert log.access(registered)["user_id"] is None
    assert log.access(client.get("/api/user", headers=headers))["user_id"] == user_id
    assert log.access(client.get("/api/articles", headers=headers))["user_id"] == user_id
    assert log.access(client.get("/api/articles"))["user_id"] is None
    bad = client.get("/api/user", headers={"Authorization": "Token not-a-jwt"})
    assert log.access(bad)["user_id"] is None


def test_the_access_line_names_the_user_signed_in_by_session(logged_app, log):
    app = logged_app()
    user = UserFactory(username="jake", email="jake@example.com")
    browser = Browser(app.test_client())

    assert log.access(browser.get("/").response)["user_id"] is None
    browser.sign_in(user.email)
    assert log.access(browser.get("/").response)["user_id"] == user.id
    assert log.access(browser.get("/settings").response)["user_id"] == user.id
    browser.sign_out()
    assert log.access(browser.get("/").response)["user_id"] is None


def test_a_csrf_failure_is_logged_with_the_request_id(logged_app, log):
    client = logged_app().test_client()

    response = client.post("/login", data={"email": "jake@example.com", "password": "x"})

    assert response.status_code == 400
    lines = log.of(response)
    assert any("CSRF" in line["event"] for line in lines), lines
    assert log.access(response)["status"] == 400


def test_a_rate_limit_breach_is_logged_with_the_request_id(logged_app, log):
    client = logged_app(limits=True, RATELIMIT_AUTH="1 per minute").test_client()
    client.post("/api/users/login", json=sign_in_body("jake@example.com"))

    refused = client.post("/api/users/login", json=sign_in_body("jake@example.com"))

    assert refused.status_code == 429
    breaches = [line for line in log.of(refused) if line["logger"] == "flask-limiter"]
    assert len(breaches) == 1
    assert "exceeded" in breaches[0]["event"]
    assert log.access(refused)["status"] == 429


@pytest.mark.parametrize("path", ["/api/boom", "/boom"])
def test_an_unhandled_error_is_logged_with_its_traceback_and_the_request_id(logged_app, log, path):
    client = logged_app().test_client()

    response = client.get(path)

    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    errors = [line for line in log.of(response) if line["level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["event"] == "unhandled error"
    assert "Traceback" in errors[0]["exception"]
    assert "RuntimeError: a bug in a view" in errors[0]["exception"]
    assert log.access(response)["status"] == 500


def test_a_refused_host_is_only_a_client_error_in_the_logs(logged_app, log):
    client = logged_app(TRUSTED_HOSTS="conduit.example.com").test_client()

    for path in ("/", "/api/tags"):
        response = client.get(path, base_url="http://evil.example.com")

        assert response.status_code == 400
        assert [line["level"] for line in log.of(response)] == ["info"]
        assert log.access(response)["status"] == 400


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_probes_produce_no_info_line(logged_app, log, path):
    client = logged_app().test_client()

    response = client.get(path)

    assert response.status_code == 200
    assert log.of(response) == []


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_probes_are_logged_at_debug_level(logged_app, log, path):
    client = logged_app(LOG_LEVEL="debug").test_client()

    response = client.get(path)

    line = log.access(response)
    assert (line["level"], line["path"], line["status"]) == ("debug", path, 200)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_no_secret_ever_reaches_the_logs(logged_app, log, level):
    app = logged_app(limits=True, LOG_LEVEL=level)
    client = app.test_client()
    secrets_seen: list[str] = []

    def keep(secret: str) -> str:
        secrets_seen.append(secret)
        return secret

    password = keep("correct horse battery staple")
    new_password = keep("a different long passphrase")
    wrong_password = keep("a wrong guess at the password")
    user = {"username": "jake", "email": "jake@example.com", "password": password}
    token = keep(client.post("/api/users", json={"user": user}).json["user"]["token"])
    signed_in = client.post("/api/users/login", json=sign_in_body(user["email"], password))
    keep(signed_in.json["user"]["token"])
    client.post("/api/users/login", json=sign_in_body(user["email"], wrong_password))
    headers = {"Authorization": keep(f"Token {token}")}
    client.get("/api/user", headers=headers)
    client.put("/api/user", json={"user": {"password": new_password}}, headers=headers)
    article = {"title": "T", "description": "d", "body": "b", "tagList": ["t"]}
    client.post("/api/articles", json={"article": article}, headers=headers)
    client.get("/api/articles/feed", headers=headers)
    client.get("/api/user", headers={"Authorization": keep("Token not-a-valid.jwt.at-all")})
    browser = Browser(app.test_client())
    browser.submit("/login", {"email": user["email"], "password": wrong_password})
    browser.sign_in(user["email"], new_password)
    cookie = keep(browser.session_cookie)
    browser.get("/settings")
    browser.sign_out()

    log.read()
    output = "\n".join(log.raw)
    assert len(log.lines) > 10
    for secret in secrets_seen:
        assert secret not in output
    # Nor any part of a JWT (its header, claims or signature).
    for part in token.split("."):
        assert part not in output
    assert "authorization" not in output.lower()
    assert cookie[:16] not in output


def test_console_format_renders_readable_lines(build, log):
    app = build(configured({"LOG_FORMAT": "console"}))

    response = app.test_client().get("/api/tags?tag=x")

    out = log.capsys.readouterr().out
    lines = [line for line in out.splitlines() if response.headers["X-Request-ID"] in line]
    assert len(lines) == 1
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])
    assert "request" in lines[0]
    assert "path=/api/tags" in lines[0]
    assert "status=200" in lines[0]


@pytest.mark.parametrize("log_format", ["xml", "JSON ", "text"])
def test_another_log_format_is_a_config_error(log_format):
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        create_app(configured({"LOG_FORMAT": log_format}))
