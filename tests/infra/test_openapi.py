"""The OpenAPI document: valid, complete, and honest about auth and errors; its docs
pages load nothing from other hosts."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from openapi_spec_validator import validate

from app.api.auth import AUTH_ATTRIBUTE
from tests.web.helpers import parse_html

DOCS = "/api/docs"
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get(f"{DOCS}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document: dict[str, Any] = response.json
    return document


def _api_routes(app: Flask) -> dict[tuple[str, str], str]:
    """Every (OpenAPI path, method) the app serves under /api, with its endpoint."""
    routes: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule.startswith(DOCS + "/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - IGNORED_METHODS:
            routes[(path, method.lower())] = rule.endpoint
    return routes


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
    }


def test_the_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Conduit API"


def test_the_document_describes_exactly_the_apps_api_routes(app, spec):
    routes = _api_routes(app)

    assert set(_operations(spec)) == set(routes)
    assert len(routes) == 23


def test_the_token_scheme_is_declared(spec):
    assert spec["components"]["securitySchemes"] == {
        "Token": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <jwt>`, the token returned by registration or sign-in.",
        }
    }


def test_the_endpoints_that_need_a_token_declare_it_and_no_others_do(app, spec):
    routes = _api_routes(app)
    needs_token = set()
    for key, operation in _operations(spec).items():
        view = app.view_functions[routes[key]]
        required = getattr(view, AUTH_ATTRIBUTE, None) == "required"
        security = operation.get("security")
        if required:
            needs_token.add(key)
            assert security == [{"Token": []}], key
        else:
            # Open to anyone (a token, if sent, only personalises the answer).
            assert security in (None, [], [{}], [{}, {"Token": []}]), key
    assert ("/api/user", "get") in needs_token
    assert ("/api/articles", "post") in needs_token
    assert ("/api/articles", "get") not in needs_token
    assert ("/api/user", "delete") in needs_token
    assert ("/api/user/export", "get") in needs_token
    assert len(needs_token) == 14


# What each operation answers besides success (app/api/common.py says why).
ANY = {400, 429, 503}
EXPECTED_ERRORS: dict[tuple[str, str], set[int]] = {
    ("/api/users", "post"): ANY | {413, 415, 422},
    ("/api/users/login", "post"): ANY | {401, 413, 415, 422},
    ("/api/user", "get"): ANY | {401},
    ("/api/user", "put"): ANY | {401, 413, 415, 422},
    ("/api/user", "delete"): ANY | {401, 413, 415, 422},
    ("/api/user/export", "get"): ANY | {401},
    ("/api/profiles/{username}", "get"): ANY | {401, 404, 422},
    ("/api/profiles/{username}/follow", "post"): ANY | {401, 404, 413, 415, 422},
    ("/api/profiles/{username}/follow", "delete"): ANY | {401, 404, 422},
    ("/api/articles", "get"): ANY | {401, 422},
    ("/api/articles", "post"): ANY | {401, 413, 415, 422},
    ("/api/articles/feed", "get"): ANY | {401, 422},
    ("/api/articles/{slug}", "get"): ANY | {401, 404, 422},
    ("/api/articles/{slug}", "put"): ANY | {401, 403, 404, 413, 415, 422},
    ("/api/articles/{slug}", "delete"): ANY | {401, 403, 404, 422},
    ("/api/articles/{slug}/favorite", "post"): ANY | {401, 404, 413, 415, 422},
    ("/api/articles/{slug}/favorite", "delete"): ANY | {401, 404, 422},
    ("/api/articles/{slug}/comments", "get"): ANY | {401, 404, 422},
    ("/api/articles/{slug}/comments", "post"): ANY | {401, 404, 413, 415, 422},
    ("/api/articles/{slug}/comments/{id}", "delete"): ANY | {401, 403, 404, 422},
    ("/api/tags", "get"): ANY,
    # 501: an installation without a mail server offers no password reset.
    ("/api/users/password-reset", "post"): ANY | {413, 415, 422, 501},
    ("/api/users/password-reset/confirm", "post"): ANY | {413, 415, 422},
}


def test_each_operation_documents_the_errors_it_answers_and_no_others(spec):
    documented = {
        key: {int(status) for status in operation["responses"] if int(status) >= 400}
        for key, operation in _operations(spec).items()
    }

    assert documented == EXPECTED_ERRORS


def test_every_error_is_documented_with_the_error_body(spec):
    for key, operation in _operations(spec).items():
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {"application/json": {"schema": ERROR_BODY}}, key


def test_the_headers_errors_always_carry_are_documented(spec):
    for key, operation in _operations(spec).items():
        responses = operation["responses"]
        for status in ("429", "503"):
            assert responses[status]["headers"]["Retry-After"]["required"] is True, key
        if "401" in responses:
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True, key


def test_the_document_holds_no_schema_the_api_never_sends(spec):
    assert "ValidationErrorModel" not in spec["components"]["schemas"]


def test_the_error_body_schema_is_the_projects(spec):
    schema = spec["components"]["schemas"]["ErrorBody"]

    assert schema["type"] == "object"
    assert schema["required"] == ["errors"]
    errors = schema["properties"]["errors"]
    assert errors["type"] == "object"
    assert errors["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def _assets(html: str) -> list[str]:
    doc = parse_html(html)
    return [
        url
        for element in doc.select("script[src]") + doc.select("link[href]") + doc.select("img[src]")
        for url in (element.get("src") or element.get("href") or "",)
    ]


@pytest.mark.parametrize("page", [f"{DOCS}/", f"{DOCS}/swagger"])
def test_the_docs_pages_load_nothing_from_other_hosts(client, page):
    response = client.get(page)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    # No absolute URL anywhere: everything the pages load comes from this app.
    assert not re.findall(r"https?://", html)
    assets = _assets(html)
    assert assets
    for asset in assets:
        url = urljoin(f"http://localhost{page}", asset.strip())
        if url.startswith("data:"):
            continue
        assert urlsplit(url).netloc == "localhost", asset
        fetched = client.get(urlsplit(url).path)
        assert fetched.status_code == 200, url
        fetched.close()
