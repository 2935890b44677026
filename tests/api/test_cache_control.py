"""Responses that carry a token or personal data say `Cache-Control: no-store`, so that
no proxy or browser cache keeps them; public answers to anonymous requests do not."""

from __future__ import annotations

import pytest

from app.models import Article
from tests.factories import PASSWORD, ArticleFactory

NEW_USER = {"username": "newcomer", "email": "newcomer@example.com", "password": "password123"}


@pytest.fixture
def article(user) -> Article:
    return ArticleFactory(author=user, slug="dragons")


def _assert_no_store(response, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers.get("Cache-Control") == "no-store"


def test_registration_is_not_stored(client):
    _assert_no_store(client.post("/api/users", json={"user": NEW_USER}), 201)


def test_sign_in_is_not_stored(client, user):
    credentials = {"email": user.email, "password": PASSWORD}

    _assert_no_store(client.post("/api/users/login", json={"user": credentials}), 200)


def test_a_refused_sign_in_is_not_stored(client, user):
    credentials = {"email": user.email, "password": "not-the-password"}

    _assert_no_store(client.post("/api/users/login", json={"user": credentials}), 401)


def test_the_current_user_is_not_stored(client, user, headers):
    _assert_no_store(client.get("/api/user", headers=headers), 200)
    _assert_no_store(client.put("/api/user", json={"user": {"bio": "Hi"}}, headers=headers), 200)


@pytest.mark.usefixtures("article", "other_user")
@pytest.mark.parametrize(
    "url",
    [
        "/api/articles",
        "/api/articles/feed",
        "/api/articles/dragons",
        "/api/articles/dragons/comments",
        "/api/profiles/celeb",
        "/api/tags",
    ],
)
def test_any_answer_to_a_request_with_a_token_is_not_stored(client, headers, url):
    _assert_no_store(client.get(url, headers=headers), 200)


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    ("url", "status"), [("/api/articles", 401), ("/api/user", 401), ("/api/nope", 404)]
)
def test_an_answer_to_a_refused_token_is_not_stored(client, url, status):
    _assert_no_store(client.get(url, headers={"Authorization": "Token forged"}), status)


@pytest.mark.usefixtures("article", "other_user")
@pytest.mark.parametrize(
    "url",
    [
        "/api/articles",
        "/api/articles/dragons",
        "/api/articles/dragons/comments",
        "/api/profiles/celeb",
        "/api/tags",
    ],
)
def test_public_answers_to_anonymous_requests_keep_their_caching(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert "Cache-Control" not in response.headers
