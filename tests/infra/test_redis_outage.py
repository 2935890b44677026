"""Redis down or hung: every page and endpoint still works, readiness says what is wrong.

The cache treats a failure as a miss (app/cache), the rate limits fall back
to counting in memory (Flask-Limiter's in-memory fallback), and every Redis call
gives up after REDIS_SOCKET_TIMEOUT: Redis is never needed to serve a request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis.exceptions import ConnectionError as RedisConnectionError
from werkzeug.test import TestResponse

from app.extensions import cache
from tests.api.helpers import assert_error, assert_no_content
from tests.conftest import auth_headers
from tests.factories import PASSWORD, ArticleFactory, CommentFactory, UserFactory
from tests.infra.helpers import (
    CLOSED_PORT_REDIS,
    HungServer,
    configured,
    counting_statements,
    sign_in_body,
)
from tests.web.helpers import Browser

REDIS_DOWN = {"TEST_REDIS_URL": CLOSED_PORT_REDIS, "REDIS_SOCKET_TIMEOUT": "0.1"}


@pytest.fixture
def down_app(build) -> Flask:
    """Redis configured (cache and limits) but refusing connections; limits on."""
    return build(configured(REDIS_DOWN, limits=True))


def _register(client: FlaskClient, username: str) -> dict[str, str]:
    user = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = client.post("/api/users", json={"user": user})
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Token {response.json['user']['token']}"}


def _api_journey(client: FlaskClient) -> None:
    """Every API list, read and write, each with the status it has when all is well."""
    jake = _register(client, "jake")
    celeb = _register(client, "celeb")
    login = client.post("/api/users/login", json=sign_in_body("jake@example.com", PASSWORD))
    assert login.status_code == 200
    assert client.get("/api/user", headers=jake).status_code == 200
    assert (
        client.put("/api/user", json={"user": {"bio": "I work"}}, headers=jake).status_code == 200
    )

    assert client.get("/api/tags").json == {"tags": []}
    article = {"title": "Dragons", "description": "d", "body": "*b*", "tagList": ["dragons"]}
    created = client.post("/api/articles", json={"article": article}, headers=celeb)
    assert created.status_code == 201
    slug = created.json["article"]["slug"]
    # Nothing could be forgotten in the dead cache, and nothing stale is read from it.
    assert client.get("/api/tags").json == {"tags": ["dragons"]}

    assert client.get("/api/articles").json["articlesCount"] == 1
    assert client.get("/api/articles?tag=dragons").json["articlesCount"] == 1
    assert client.get(f"/api/articles/{slug}", headers=jake).status_code == 200
    changed = {"article": {"tagList": ["wyverns"]}}
    assert client.put(f"/api/articles/{slug}", json=changed, headers=celeb).status_code == 200
    assert client.get("/api/tags").json == {"tags": ["wyverns"]}

    comment = client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "Nice"}}, headers=jake
    )
    assert comment.status_code == 200
    assert len(client.get(f"/api/articles/{slug}/comments").json["comments"]) == 1
    comment_id = comment.json["comment"]["id"]
    assert_no_content(client.delete(f"/api/articles/{slug}/comments/{comment_id}", headers=jake))

    assert client.post(f"/api/articles/{slug}/favorite", headers=jake).json["article"]["favorited"]
    assert client.post("/api/profiles/celeb/follow", headers=jake).json["profile"]["following"]
    assert client.get("/api/articles/feed", headers=jake).json["articlesCount"] == 1
    assert client.get("/api/profiles/celeb", headers=jake).status_code == 200
    assert client.delete(f"/api/articles/{slug}/favorite", headers=jake).status_code == 200
    assert client.delete("/api/profiles/celeb/follow", headers=jake).status_code == 200

    assert_no_content(client.delete(f"/api/articles/{slug}", headers=celeb))
    assert client.get("/api/tags").json == {"tags": []}
    assert_error(client.get(f"/api/articles/{slug}"), 404)


def _web_journey(browser: Browser) -> None:
    """Every kind of page, and the forms that sign in, publish and sign out."""
    for path in ("/", "/login", "/register"):
        browser.get(path)
    page = browser.submit(
        "/register",
        {"username": "webby", "email": "webby@example.com", "password": PASSWORD},
    )
    assert page.status == 302
    published = browser.submit(
        "/editor",
        {"title": "Marked", "description": "d", "body": "Some **bold** text", "tags": "web"},
    )
    assert published.status == 302
    article = browser.get(published.location)
    assert article.first("strong").text == "bold"
    for path in ("/?tag=web", "/profile/webby", "/profile/webby/favorites", "/settings"):
        browser.get(path)
    browser.sign_out()
    assert browser.sign_in("webby@example.com").location == "/"


def test_the_api_works_while_redis_is_down(down_app):
    _api_journey(down_app.test_client())


def test_the_web_ui_works_while_redis_is_down(down_app):
    _web_journey(Browser(down_app.test_client()))


def test_a_password_change_while_redis_is_down_revokes_the_older_tokens(down_app):
    client = down_app.test_client()
    old = _register(client, "jake")
    assert client.get("/api/articles", headers=old).status_code == 200

    changed = client.put("/api/user", json={"user": {"password": "a-new-password"}}, headers=old)

    assert changed.status_code == 200
    new = {"Authorization": f"Token {changed.json['user']['token']}"}
    # Without the cache, the generation comes from the database: never stale.
    assert_error(client.get("/api/articles", headers=old), 401, "token")
    assert_error(client.get("/api/user", headers=old), 401, "token")
    assert client.get("/api/articles", headers=new).status_code == 200
    assert client.get("/api/user", headers=new).status_code == 200


def test_a_cache_outage_is_logged_as_a_miss(build, capsys):
    app = build(configured({**REDIS_DOWN, "LOG_FORMAT": "json"}))
    capsys.readouterr()

    response = app.test_client().get("/api/tags")

    assert response.status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    outages = [line for line in lines if line["event"] == "cache unavailable"]
    assert [line["operation"] for line in outages] == ["get"]
    assert outages[0]["level"] == "warning"
    assert outages[0]["request_id"] == response.headers["X-Request-ID"]


def test_a_cache_that_fails_to_store_is_only_a_warning(build, capsys, monkeypatch):
    # Redis answers the read (a miss) and then fails the write: the value is served anyway.
    app = build(configured({"TEST_REDIS_URL": "", "LOG_FORMAT": "json"}))
    capsys.readouterr()

    def refuse(*_args: object, **_kwargs: object) -> bool:
        raise RedisConnectionError("connection lost")

    monkeypatch.setattr(cache, "set", refuse)
    client = app.test_client()

    responses = [client.get("/api/tags") for _ in range(2)]

    assert [response.json for response in responses] == [{"tags": []}, {"tags": []}]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    outages = [line for line in lines if line["event"] == "cache unavailable"]
    # Nothing was stored, so each request computes the list and tries again.
    assert [(line["operation"], line["error"]) for line in outages] == [
        ("set", "ConnectionError"),
        ("set", "ConnectionError"),
    ]


def test_readiness_is_503_naming_redis_while_liveness_stays_200(down_app):
    client = down_app.test_client()

    ready = client.get("/health/ready")
    live = client.get("/health")

    errors = assert_error(ready, 503, "redis")
    assert "database" not in errors
    assert ready.headers["Retry-After"].isdigit()
    assert live.status_code == 200
    assert live.json == {"status": "ok"}


def test_sign_in_limits_hold_through_the_in_memory_fallback(build):
    client = build(configured({**REDIS_DOWN, "RATELIMIT_AUTH": "3 per minute"}, limits=True))
    client = client.test_client()

    statuses = [
        client.post("/api/users/login", json=sign_in_body(f"u{n}@example.com")).status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_the_default_limit_holds_through_the_in_memory_fallback(build):
    client = build(configured({**REDIS_DOWN, "RATELIMIT_DEFAULT": "3 per minute"}, limits=True))
    client = client.test_client()

    assert [client.get("/api/tags").status_code for _ in range(4)] == [200, 200, 200, 429]


# A hung Redis: connections are accepted, nothing ever answers ---------------------


def _without_hanging(send: Callable[[], TestResponse]) -> TestResponse:
    """`send()`, failing the test (rather than hanging the suite) if it never returns.

    The bound is a guard against a missing socket timeout (redis-py waits forever
    by default), not a measure of speed: each Redis call gives up after 0.1 s here.
    """
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(send()), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the request hung on Redis"
    assert result, "the request failed in its thread"
    response: TestResponse = result[0]
    return response


COMMENTED_ARTICLES = 12


@pytest.fixture
def hung_app(build, hung_redis: HungServer) -> Flask:
    app = build(
        configured(
            {"TEST_REDIS_URL": hung_redis.url, "REDIS_SOCKET_TIMEOUT": "0.1"},
            limits=True,
        )
    )
    # Requests run in a thread of their own: a plain client, not the suite's
    # IsolatedClient (which needs the test's app context, in the test's thread).
    app.test_client_class = FlaskClient
    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/tags", 200),
        ("/api/articles", 200),
        ("/api/user", 401),
        ("/", 200),
        ("/login", 200),
        ("/health", 200),
    ],
)
def test_a_hung_redis_does_not_hang_reads(hung_app, hung_redis, path, status):
    client = hung_app.test_client()

    response = _without_hanging(lambda: client.get(path))

    assert response.status_code == status
    if path != "/health":
        assert hung_redis.connections, "Redis was never asked: the test proves nothing"


def test_a_hung_redis_does_not_hang_writes_or_rendered_articles(hung_app, hung_redis):
    client = hung_app.test_client()
    browser = Browser(client)

    page = _without_hanging(
        lambda: (
            browser.submit(
                "/register", {"username": "jake", "email": "jake@example.com", "password": PASSWORD}
            ).response
        )
    )
    assert page.status_code == 302
    published = _without_hanging(
        lambda: (
            browser.submit(
                "/editor", {"title": "T", "description": "d", "body": "**b**", "tags": "x"}
            ).response
        )
    )
    assert published.status_code == 302
    article = _without_hanging(lambda: client.get(published.headers["Location"]))
    assert article.status_code == 200
    assert "<strong>b</strong>" in article.get_data(as_text=True)
    assert _without_hanging(lambda: client.get("/api/tags")).json == {"tags": ["x"]}
    assert hung_redis.connections


def test_a_hung_redis_costs_a_profile_change_one_wait_for_all_its_comment_lists(
    hung_app, hung_redis
):
    # Each article's cached comments show the commenter's profile: the change makes
    # every one of those lists stale, and a hung Redis must not make it wait on each.
    author = UserFactory(username="author", email="author@example.com")
    commenter = UserFactory(username="commenter", email="commenter@example.com")
    for number in range(COMMENTED_ARTICLES):
        CommentFactory(article=ArticleFactory(author=author, slug=f"a{number}"), author=commenter)
    headers = auth_headers(commenter)
    client = hung_app.test_client()
    asked_before = len(hung_redis.connections)

    response = _without_hanging(
        lambda: client.put("/api/user", json={"user": {"bio": "New"}}, headers=headers)
    )

    assert response.status_code == 200
    # One connection per call that timed out: the rate limit's, then the first list's.
    asked = len(hung_redis.connections) - asked_before
    assert 0 < asked < COMMENTED_ARTICLES / 2


def test_readiness_is_503_naming_a_hung_redis(hung_app):
    response = _without_hanging(lambda: hung_app.test_client().get("/health/ready"))

    errors = assert_error(response, 503, "redis")
    assert "database" not in errors


def test_with_redis_down_a_comment_list_is_read_from_the_database_once(down_app):
    client = down_app.test_client()
    author = UserFactory(username="author", email="author@example.com")
    article = ArticleFactory(author=author, slug="discussed")
    CommentFactory(article=article, author=author, body="Still shown.")

    with counting_statements(down_app) as statements:
        response = client.get("/api/articles/discussed/comments")

    assert response.status_code == 200
    assert [comment["body"] for comment in response.json["comments"]] == ["Still shown."]
    # Each part of the cached list is a miss; the list read whole serves both.
    assert statements.count == 1
