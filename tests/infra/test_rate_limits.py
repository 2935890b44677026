"""Rate limits: the default one, and sign-in/sign-up per address and per account.

Limits are off in the suite's TestConfig; every app here turns them on as
production does (`configured(..., limits=True)`), with small numbers.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.api.helpers import assert_error
from tests.factories import PASSWORD, UserFactory
from tests.infra.helpers import configured, sign_in_body
from tests.web.helpers import Browser

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _assert_retry_after(response) -> None:
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60


def _limited_app(build, **env: str) -> Flask:
    return build(configured(env, limits=True))


def _api_sign_in(client, email: str, *, address: str = "127.0.0.1", password: str = "wrong"):
    return client.post(
        "/api/users/login",
        json=sign_in_body(email, password),
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_default_limit_applies_to_every_route(build):
    client = _limited_app(build, RATELIMIT_DEFAULT="5 per minute").test_client()

    statuses = [client.get("/api/tags").status_code for _ in range(5)]
    refused = client.get("/api/tags")

    assert statuses == [200] * 5
    errors = assert_error(refused, 429, "body")
    assert "5 per 1 minute" in errors["body"][0]
    _assert_retry_after(refused)
    # The default limit counts per route: another route has its own budget.
    assert client.get("/api/articles").status_code == 200


def test_sign_in_is_limited_per_address_on_the_api(build):
    client = _limited_app(build, RATELIMIT_AUTH="3 per minute").test_client()

    statuses = [_api_sign_in(client, f"user{n}@example.com").status_code for n in range(3)]
    refused = _api_sign_in(client, "user3@example.com")

    assert statuses == [401, 401, 401]
    errors = assert_error(refused, 429, "body")
    assert errors == {"body": [errors["body"][0]]}
    assert "too many requests" in errors["body"][0]
    _assert_retry_after(refused)
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) > 0
    # Another address still may.
    assert _api_sign_in(client, "user4@example.com", address="192.0.2.9").status_code == 401


def test_sign_up_shares_the_per_address_limit(build):
    client = _limited_app(build, RATELIMIT_AUTH="2 per minute").test_client()

    def sign_up(n: int):
        user = {"username": f"user{n}", "email": f"user{n}@example.com", "password": PASSWORD}
        return client.post("/api/users", json={"user": user})

    assert [sign_up(1).status_code, _api_sign_in(client, "x@example.com").status_code] == [201, 401]
    assert_error(sign_up(2), 429, "body")


def test_sign_in_is_limited_per_address_on_the_web(build):
    browser = Browser(_limited_app(build, RATELIMIT_AUTH="3 per minute").test_client())

    def sign_in(n: int):
        return browser.submit("/login", {"email": f"user{n}@example.com", "password": "wrong"})

    statuses = [sign_in(n).status for n in range(3)]
    refused = sign_in(3)

    assert statuses == [422, 422, 422]
    assert refused.status == 429
    assert refused.response.mimetype == "text/html"
    # A page in the site's layout, not Flask-Limiter's bare HTML.
    assert refused.select("nav.navbar")
    assert refused.first("h1").text == "429"
    assert "Too many requests" in refused.text
    _assert_retry_after(refused.response)
    for header in RATE_LIMIT_HEADERS:
        assert header in refused.response.headers


def test_sign_in_is_limited_per_account_whatever_the_address(build):
    app = _limited_app(
        build, RATELIMIT_AUTH="100 per minute", RATELIMIT_AUTH_ACCOUNT="5 per minute"
    )
    UserFactory(username="jake", email="jake@example.com")
    UserFactory(username="celeb", email="celeb@example.com")
    client = app.test_client()

    statuses = [
        _api_sign_in(client, "jake@example.com", address=f"198.51.100.{n}").status_code
        for n in range(5)
    ]
    # The account is the e-mail, whatever its case or surrounding blanks.
    refused = _api_sign_in(client, " JAKE@example.com ", address="198.51.100.99")
    right_password = _api_sign_in(
        client, "jake@example.com", address="198.51.100.98", password=PASSWORD
    )
    other_account = _api_sign_in(client, "celeb@example.com", address="198.51.100.99")

    assert statuses == [401] * 5
    assert_error(refused, 429, "body")
    _assert_retry_after(refused)
    # Even the right password waits: the account is under attack.
    assert_error(right_password, 429, "body")
    assert_error(other_account, 401)


def test_an_address_written_another_way_counts_against_the_same_account(build):
    app = _limited_app(
        build, RATELIMIT_AUTH="100 per minute", RATELIMIT_AUTH_ACCOUNT="2 per minute"
    )
    UserFactory(username="jake", email="jake@example.com")
    client = app.test_client()
    # Full-width letters in the domain name: e-mail validation reads them as the
    # plain letters, as registration, sign-in and a reset request do.
    variants = ["jake@example.com", "jake@\uff45xample.com", "jake@e\uff58ample.com"]

    statuses = [
        _api_sign_in(client, email, address=f"198.51.100.{n}").status_code
        for n, email in enumerate(variants)
    ]

    assert statuses == [401, 401, 429]


def test_the_api_and_the_web_share_the_sign_in_buckets(build):
    app = _limited_app(build, RATELIMIT_AUTH="4 per minute")
    client = app.test_client()
    browser = Browser(app.test_client())

    def web_sign_in(n: int):
        return browser.submit("/login", {"email": f"web{n}@example.com", "password": "wrong"})

    statuses = [
        _api_sign_in(client, "api1@example.com").status_code,
        web_sign_in(1).status,
        _api_sign_in(client, "api2@example.com").status_code,
        web_sign_in(2).status,
    ]

    assert statuses == [401, 422, 401, 422]
    assert_error(_api_sign_in(client, "api3@example.com"), 429, "body")
    assert web_sign_in(3).status == 429


def test_the_api_and_the_web_share_the_per_account_bucket(build):
    app = _limited_app(
        build, RATELIMIT_AUTH="100 per minute", RATELIMIT_AUTH_ACCOUNT="2 per minute"
    )
    client = app.test_client()
    browser = Browser(app.test_client())

    api = _api_sign_in(client, "jake@example.com", address="198.51.100.1")
    web = browser.submit("/login", {"email": "jake@example.com", "password": "wrong"})

    assert (api.status_code, web.status) == (401, 422)
    assert_error(_api_sign_in(client, "jake@example.com", address="198.51.100.2"), 429, "body")


def test_opening_the_sign_in_page_is_not_counted(build):
    browser = Browser(_limited_app(build, RATELIMIT_AUTH="2 per minute").test_client())

    pages = [browser.get("/login", status=None).status for _ in range(10)]
    sign_ins = [
        browser.submit("/login", {"email": f"u{n}@example.com", "password": "x"}).status
        for n in range(3)
    ]

    assert pages == [200] * 10
    assert sign_ins == [422, 422, 429]


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_probes_are_never_limited(build, path):
    client = _limited_app(build, RATELIMIT_DEFAULT="2 per minute").test_client()

    responses = [client.get(path) for _ in range(10)]

    assert [response.status_code for response in responses] == [200] * 10
    for response in responses:
        assert "Retry-After" not in response.headers
        assert "X-RateLimit-Limit" not in response.headers


def test_a_successful_response_never_says_retry_after(build):
    app = _limited_app(build, RATELIMIT_AUTH="3 per minute")
    UserFactory(username="jake", email="jake@example.com")
    client = app.test_client()
    browser = Browser(app.test_client())

    responses = [
        client.get("/api/tags"),
        client.get("/api/articles"),
        _api_sign_in(client, "jake@example.com", password=PASSWORD),
        browser.get("/").response,
        browser.get("/login").response,
        browser.submit("/login", {"email": "jake@example.com", "password": PASSWORD}).response,
    ]

    assert [response.status_code for response in responses] == [200, 200, 200, 200, 200, 302]
    for response in responses:
        # Counted (the X-RateLimit-* headers say how much is left), but free to go.
        assert "X-RateLimit-Remaining" in response.headers
        assert "Retry-After" not in response.headers


@pytest.mark.parametrize("value", ["false", "0", "off", "no", "FALSE"])
def test_ratelimit_enabled_false_in_the_environment_turns_the_limits_off(build, monkeypatch, value):
    monkeypatch.setenv("RATELIMIT_ENABLED", value)
    client = _limited_app(
        build, RATELIMIT_DEFAULT="2 per minute", RATELIMIT_AUTH="2 per minute"
    ).test_client()

    tags = [client.get("/api/tags") for _ in range(5)]
    sign_ins = [_api_sign_in(client, "jake@example.com") for _ in range(5)]

    assert [response.status_code for response in tags] == [200] * 5
    assert [response.status_code for response in sign_ins] == [401] * 5
    assert "X-RateLimit-Limit" not in tags[-1].headers


@pytest.mark.parametrize("value", ["true", "1", ""])
def test_limits_are_on_unless_the_environment_turns_them_off(build, monkeypatch, value):
    monkeypatch.setenv("RATELIMIT_ENABLED", value)
    client = _limited_app(build, RATELIMIT_DEFAULT="2 per minute").test_client()

    statuses = [client.get("/api/tags").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_an_app_built_after_another_keeps_its_own_default_limit(build):
    # Flask-Limiter's one extension object serves every app of the process (see
    # app.extensions._bind_limiter): each app must still count by its own settings.
    first = _limited_app(build, RATELIMIT_DEFAULT="4 per minute").test_client()
    second = _limited_app(build, RATELIMIT_DEFAULT="2 per minute").test_client()

    assert [second.get("/api/tags").status_code for _ in range(3)] == [200, 200, 429]
    assert [first.get("/api/tags").status_code for _ in range(5)] == [200] * 4 + [429]
