"""Security headers on every response; HSTS in production only; trusted hosts; ProxyFix."""

from __future__ import annotations

import pytest
from flask import Flask, request

from app.security import HSTS
from tests.api.helpers import assert_error
from tests.infra.helpers import RESPONSE_KINDS, configured, csp_directives, sign_in_body
from tests.web.helpers import Browser


@pytest.fixture
def browser(plumbing_app: Flask) -> Browser:
    return Browser(plumbing_app.test_client())


@pytest.mark.parametrize("kind", list(RESPONSE_KINDS))
def test_every_response_carries_the_security_headers(browser, kind):
    status, send = RESPONSE_KINDS[kind]

    response = send(browser)

    assert response.status_code == status
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    # Only the API docs (Swagger UI) run an inline script; see the test below.
    docs = response.request.path.startswith("/api/docs/")
    assert csp["script-src"] == (["'self'", "'unsafe-inline'"] if docs else ["'self'"])
    assert ("'unsafe-inline'" in response.headers["Content-Security-Policy"]) == docs
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    # Tests run with TESTING on: no HSTS (see the production tests below).
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", ["/api/docs/", "/api/docs/swagger", "/api/docs/openapi.json"])
def test_only_the_api_docs_may_run_inline_scripts_and_still_load_nothing_else(client, path):
    response = client.get(path)

    assert response.status_code == 200
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]


class ProductionConfig(configured()):
    """The suite's settings, but not in testing mode: as a deployed app runs."""

    TESTING = False


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/api/tags", 200), ("/api/user", 401), ("/no/such/page", 404), ("/health", 200)],
)
def test_a_production_app_sends_hsts_on_every_response(build, path, status):
    app = build(ProductionConfig)

    response = app.test_client().get(path)

    assert response.status_code == status
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "max-age=31536000" in HSTS


def test_a_debug_app_sends_no_hsts(build, monkeypatch):
    # Debug mode serves plain http on a developer's machine: HSTS would stick to localhost.
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = build(ProductionConfig)
    assert app.debug

    response = app.test_client().get("/")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


# Trusted hosts -----------------------------------------------------------------


@pytest.fixture
def trusting_app(build) -> Flask:
    return build(configured({"TRUSTED_HOSTS": "conduit.example.com, localhost"}))


@pytest.mark.parametrize("host", ["conduit.example.com", "localhost"])
def test_a_trusted_host_is_served(trusting_app, host):
    client = trusting_app.test_client()

    assert client.get("/api/tags", base_url=f"http://{host}").status_code == 200
    assert client.get("/", base_url=f"http://{host}").status_code == 200


def test_another_host_gets_400_with_the_error_body_on_the_api(trusting_app):
    response = trusting_app.test_client().get("/api/tags", base_url="http://evil.example.com")

    errors = assert_error(response, 400, "body")
    assert "evil.example.com" in errors["body"][0]
    assert csp_directives(response)["object-src"] == ["'none'"]


def test_another_host_gets_a_plain_400_on_the_web(trusting_app):
    response = trusting_app.test_client().get("/", base_url="http://evil.example.com")

    # No URL can be built for a refused host, so no page in the layout: plain text.
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "400 Bad Request"
    assert csp_directives(response)["object-src"] == ["'none'"]


# ProxyFix ------------------------------------------------------------------------


def _remote_addr() -> str:
    return request.remote_addr or ""


def _address_app(build, proxies: str) -> Flask:
    app = build(configured({"PROXY_FIX_X_FOR": proxies}))
    app.add_url_rule("/test/remote-addr", "remote_addr", _remote_addr)
    return app


@pytest.mark.parametrize(
    ("forwarded_for", "address"),
    [("203.0.113.7", "203.0.113.7"), ("198.51.100.1, 203.0.113.7", "203.0.113.7")],
)
def test_with_one_proxy_the_client_address_is_the_last_forwarded_one(build, forwarded_for, address):
    # One proxy appends the address it saw; whatever came before is the client's say-so.
    client = _address_app(build, "1").test_client()

    response = client.get("/test/remote-addr", headers={"X-Forwarded-For": forwarded_for})

    assert response.get_data(as_text=True) == address


def test_without_proxies_x_forwarded_for_is_ignored(build):
    client = _address_app(build, "0").test_client()

    response = client.get("/test/remote-addr", headers={"X-Forwarded-For": "203.0.113.7"})

    assert response.get_data(as_text=True) == "127.0.0.1"


@pytest.mark.parametrize(("proxies", "separate_buckets"), [("1", True), ("0", False)])
def test_the_sign_in_limit_counts_the_address_proxy_fix_reports(build, proxies, separate_buckets):
    app = build(
        configured({"PROXY_FIX_X_FOR": proxies, "RATELIMIT_AUTH": "2 per minute"}, limits=True)
    )
    client = app.test_client()

    def sign_in(forwarded_for: str) -> int:
        response = client.post(
            "/api/users/login",
            json=sign_in_body(f"someone-{forwarded_for}@example.com"),
            headers={"X-Forwarded-For": forwarded_for},
        )
        return response.status_code

    assert [sign_in("203.0.113.1"), sign_in("203.0.113.1")] == [401, 401]
    assert sign_in("203.0.113.1") == 429
    # Another client behind the same proxy has a bucket of its own, if the proxy is trusted.
    assert sign_in("203.0.113.2") == (401 if separate_buckets else 429)
