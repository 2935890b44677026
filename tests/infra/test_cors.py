"""CORS: the API answers browsers on the listed origins, nothing else gets CORS headers."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from config import Config, ConfigError
from tests.conftest import auth_headers
from tests.factories import UserFactory
from tests.infra.helpers import ALLOWED_ORIGIN, configured

# Every (path, method) of the API a browser might preflight, the signed-in ones included.
API_CALLS = [
    ("/api/tags", "GET"),
    ("/api/articles", "GET"),
    ("/api/articles", "POST"),
    ("/api/articles/feed", "GET"),
    ("/api/articles/some-slug", "PUT"),
    ("/api/articles/some-slug", "DELETE"),
    ("/api/articles/some-slug/favorite", "POST"),
    ("/api/articles/some-slug/comments", "POST"),
    ("/api/articles/some-slug/comments/1", "DELETE"),
    ("/api/profiles/jake/follow", "POST"),
    ("/api/user", "GET"),
    ("/api/user", "PUT"),
    ("/api/users", "POST"),
    ("/api/users/login", "POST"),
]
CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Credentials",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
)


@pytest.fixture
def cors_client(plumbing_app: Flask) -> FlaskClient:
    return plumbing_app.test_client()


def _preflight(client: FlaskClient, path: str, method: str, origin: str):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )


def _cors_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.headers if name in CORS_HEADERS}


def test_an_allowed_origin_may_read_api_responses(cors_client):
    response = cors_client.get("/api/tags", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    # Tokens travel in a header, never in cookies: no credentials mode.
    assert "Access-Control-Allow-Credentials" not in response.headers
    exposed = {
        name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"X-Request-ID", "Retry-After"} <= exposed


def test_an_allowed_origin_reads_api_errors_too(cors_client):
    response = cors_client.get("/api/user", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_an_allowed_origin_reads_a_signed_in_response(cors_client):
    user = UserFactory(username="jake", email="jake@example.com")

    response = cors_client.get(
        "/api/user", headers={"Origin": ALLOWED_ORIGIN, **auth_headers(user)}
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(("path", "method"), API_CALLS)
def test_a_preflight_from_an_allowed_origin_is_granted(cors_client, path, method):
    response = _preflight(cors_client, path, method, ALLOWED_ORIGIN)

    # A preflight must succeed (2xx) for the browser to send the real request.
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert method in methods
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed
    assert response.headers["Access-Control-Max-Age"] == "600"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "null",
        "http://app.example.com",  # another scheme is another origin
        "https://app.example.com:8443",  # and so is another port
        "https://app.example.com.evil.example",
    ],
)
def test_another_origin_gets_no_cors_headers(cors_client, origin):
    response = cors_client.get("/api/tags", headers={"Origin": origin})
    preflight = _preflight(cors_client, "/api/articles", "POST", origin)

    assert response.status_code == 200
    assert _cors_headers(response) == {}
    assert _cors_headers(preflight) == {}


@pytest.mark.parametrize(
    "path", ["/", "/login", "/health", "/health/ready", "/no/such/page", "/apiary", "/api-docs"]
)
def test_paths_outside_the_api_never_get_cors_headers(cors_client, path):
    response = cors_client.get(path, headers={"Origin": ALLOWED_ORIGIN})
    preflight = _preflight(cors_client, path, "GET", ALLOWED_ORIGIN)

    assert response.status_code in (200, 404)
    assert _cors_headers(response) == {}
    assert _cors_headers(preflight) == {}


def test_a_static_file_gets_no_cors_headers(cors_client):
    response = cors_client.get("/static/css/conduit.css", headers={"Origin": ALLOWED_ORIGIN})
    response.close()

    assert response.status_code == 200
    assert _cors_headers(response) == {}


def test_without_cors_origins_no_origin_is_allowed(build):
    client = build(configured({"CORS_ORIGINS": ""})).test_client()

    response = client.get("/api/tags", headers={"Origin": ALLOWED_ORIGIN})
    preflight = client.options(
        "/api/articles",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )

    assert response.status_code == 200
    assert _cors_headers(response) == {}
    assert _cors_headers(preflight) == {}


@pytest.mark.parametrize(
    "origins",
    ["null", "app.example.com", "app.example.com:443", f"{ALLOWED_ORIGIN},null"],
)
def test_cors_origins_null_or_a_bare_host_is_a_config_error(origins):
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        Config({"CORS_ORIGINS": origins})
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        create_app(configured({"CORS_ORIGINS": origins}))


def test_api_responses_vary_on_origin_when_an_origin_is_allowed(build):
    app = build(configured({"CORS_ORIGINS": "https://app.example.com"}))

    response = app.test_client().get("/api/tags", headers={"Origin": "https://app.example.com"})

    assert "Origin" in response.headers.get("Vary", "")
