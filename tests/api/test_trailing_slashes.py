"""Every /api route answers the same with or without a trailing slash, for every
method, without a redirect: public front ends send either."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.models import Article, Comment
from tests.api.helpers import JSON, create_article
from tests.factories import ArticleFactory, CommentFactory

DOCS = "/api/docs"


def _api_requests(app: Flask, values: dict[str, str]) -> list[tuple[str, str]]:
    """(method, URL without a trailing slash) for every method of every /api route."""
    requests = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule.startswith(DOCS + "/"):
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match[1]], rule.rule)
        requests.extend((method, url) for method in sorted(rule.methods or ()))
    return requests


@pytest.fixture
def commented_article(user) -> tuple[Article, Comment]:
    article = ArticleFactory(author=user, slug="dragons")
    return article, CommentFactory(article=article, author=user)


def _answer(client, method: str, url: str, headers: dict[str, str]):
    # An empty object: writes are refused (or are no-ops), so both forms meet the same data.
    response = client.open(url, method=method, json={}, headers=headers)
    body = response.get_json(silent=True) if response.mimetype == JSON else None
    return response.status_code, body, response.headers.get("Allow")


def test_every_api_route_and_method_answers_the_same_with_a_trailing_slash(
    app, client, commented_article, other_headers
):
    _, comment = commented_article
    values = {"slug": "dragons", "username": "jake", "id": str(comment.id)}
    requests = _api_requests(app, values)
    assert len(requests) >= 19 * 2

    for method, url in requests:
        # celeb may read, favorite and follow, but not delete jake's article or comment.
        without = _answer(client, method, url, other_headers)
        with_slash = _answer(client, method, url + "/", other_headers)

        assert with_slash == without, (method, url)
        assert without[0] not in (301, 302, 307, 308, 404, 405), (method, url, without)


def test_an_article_posted_to_the_collection_with_a_trailing_slash_is_published(
    client, user, headers
):
    article = {"title": "Slash", "description": "d", "body": "b", "tagList": ["x"]}

    response = client.post("/api/articles/", json={"article": article}, headers=headers)

    assert response.status_code == 201, response.get_data(as_text=True)
    slug = response.json["article"]["slug"]
    assert client.get(f"/api/articles/{slug}/").json["article"]["title"] == "Slash"
    assert client.get("/api/articles/?tag=x").json["articlesCount"] == 1


def test_writes_through_a_trailing_slash_are_carried_out(client, user, headers):
    slug = create_article(client, headers)["slug"]

    updated = client.put(
        f"/api/articles/{slug}/", json={"article": {"body": "Changed"}}, headers=headers
    )
    deleted = client.delete(f"/api/articles/{updated.json['article']['slug']}/", headers=headers)

    assert updated.status_code == 200
    assert updated.json["article"]["body"] == "Changed"
    assert deleted.status_code == 204
    assert client.get(f"/api/articles/{slug}").status_code == 404


@pytest.mark.parametrize("url", [f"{DOCS}/", f"{DOCS}/openapi.json"])
def test_the_docs_keep_their_own_urls(client, url):
    assert client.get(url).status_code == 200


def test_the_openapi_document_says_a_trailing_slash_is_accepted(client):
    description = client.get(f"{DOCS}/openapi.json").json["info"]["description"]

    assert "trailing slash (`/api/articles/`)" in description


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/articles//"),
        ("POST", "/api//articles"),
        ("PUT", "/api//user"),
        ("GET", "/api/articles/dragons//comments"),
        ("OPTIONS", "/api//tags"),
    ],
)
def test_a_doubled_slash_is_a_json_404_never_a_redirect(client, commented_article, method, url):
    response = client.open(url, method=method, json={})

    assert response.status_code == 404
    assert response.mimetype == JSON
    assert "Location" not in response.headers
