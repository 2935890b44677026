"""No article's slug is a fixed path segment of a route (/api/articles/feed): every
article can be read at its slug, and each route answers only for itself."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.rules import RESERVED_SLUGS
from tests.api.helpers import assert_error, create_article

SUFFIXED_FEED = re.compile(r"^feed-[0-9a-f]{6}$")
FEED_METHODS = {"GET", "HEAD", "OPTIONS"}


def _allowed(response) -> set[str]:
    return {name.strip() for name in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("title", ["Feed", "FEED", "feed!", " Feed "])
def test_an_article_titled_feed_gets_a_suffixed_slug_and_can_be_read(client, user, headers, title):
    created = create_article(client, headers, title=title)

    assert SUFFIXED_FEED.match(created["slug"]), created["slug"]
    response = client.get(f"/api/articles/{created['slug']}")
    assert response.status_code == 200
    assert response.json["article"]["title"] == title.strip()


def test_the_feed_stays_the_feed_beside_an_article_titled_feed(client, user, headers):
    create_article(client, headers, title="Feed")

    response = client.get("/api/articles/feed", headers=headers)

    assert response.status_code == 200
    assert response.json == {"articles": [], "articlesCount": 0}


def test_renaming_an_article_to_feed_gives_a_suffixed_slug(client, user, headers):
    created = create_article(client, headers, title="Not the feed")

    response = client.put(
        f"/api/articles/{created['slug']}", json={"article": {"title": "Feed"}}, headers=headers
    )

    assert response.status_code == 200
    slug = response.json["article"]["slug"]
    assert SUFFIXED_FEED.match(slug), slug
    assert client.get(f"/api/articles/{slug}").json["article"]["title"] == "Feed"


def test_a_title_near_a_reserved_word_keeps_its_plain_slug(client, user, headers):
    assert create_article(client, headers, title="Feeds")["slug"] == "feeds"
    assert create_article(client, headers, title="Feed me")["slug"] == "feed-me"


def test_options_of_the_feed_lists_only_the_feeds_methods(client):
    response = client.options("/api/articles/feed")

    assert response.status_code == 200
    assert _allowed(response) == FEED_METHODS


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
def test_writing_to_the_feed_is_405_not_an_article_write(client, user, headers, method):
    response = client.open(
        "/api/articles/feed", method=method, json={"article": {"title": "x"}}, headers=headers
    )

    assert_error(response, 405, "body")
    assert _allowed(response) == FEED_METHODS


@pytest.mark.parametrize("url", ["/api/articles/feed/favorite", "/api/articles/feed/comments"])
def test_a_reserved_word_names_no_article_below_it(client, user, headers, url):
    assert_error(client.post(url, headers=headers, json={"comment": {"body": "x"}}), 404)


def test_no_fixed_path_segment_beside_a_slug_is_left_unreserved(app: Flask):
    """Every route's fixed segment that sits where another route takes a slug (API
    and web pages alike) is reserved, so that no slug can hide it."""
    rules = [rule.rule.strip("/").split("/") for rule in app.url_map.iter_rules()]
    slug_places = {
        tuple(segments[:position])
        for segments in rules
        for position, segment in enumerate(segments)
        if re.fullmatch(r"<(?:\w+:)?slug>", segment)
    }
    fixed_beside_slugs = {
        segment
        for segments in rules
        for position, segment in enumerate(segments)
        if tuple(segments[:position]) in slug_places and not segment.startswith("<")
    }

    assert "feed" in fixed_beside_slugs
    assert fixed_beside_slugs <= RESERVED_SLUGS
