"""Articles: create, read, update, delete, the lists and their filters, the feed, favorites."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Article, Comment, Favorite
from tests.api.helpers import (
    TIMESTAMP,
    add_comment,
    assert_error,
    assert_no_content,
    create_article,
)
from tests.conftest import auth_headers
from tests.factories import ArticleFactory

ARTICLE_KEYS = {
    "slug",
    "title",
    "description",
    "body",
    "tagList",
    "createdAt",
    "updatedAt",
    "favorited",
    "favoritesCount",
    "author",
}
LIST_ITEM_KEYS = ARTICLE_KEYS - {"body"}
PROFILE_KEYS = {"username", "bio", "image", "following"}

NEW_ARTICLE = {
    "title": "How to train your dragon",
    "description": "Ever wonder how?",
    "body": "You have to believe",
    "tagList": ["reactjs", "angularjs", "dragons"],
}

# In the past, so that anything written during a test is newer.
BASE_TIME = datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def _published(author, minutes: int, **fields: Any) -> Article:
    """An article by `author` published `minutes` after BASE_TIME."""
    at = BASE_TIME + timedelta(minutes=minutes)
    return ArticleFactory(author=author, created_at=at, updated_at=at, **fields)


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [article["slug"] for article in response.json["articles"]]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# Creating ----------------------------------------------------------------------


def test_create_article_is_201_with_the_article(client, user, headers):
    response = client.post("/api/articles", json={"article": NEW_ARTICLE}, headers=headers)

    assert response.status_code == 201
    assert response.mimetype == "application/json"
    article = response.json["article"]
    assert set(article) == ARTICLE_KEYS
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["title"] == "How to train your dragon"
    assert article["description"] == "Ever wonder how?"
    assert article["body"] == "You have to believe"
    assert article["favorited"] is False
    assert article["favoritesCount"] == 0
    assert article["author"] == {"username": "jake", "bio": None, "image": None, "following": False}


def test_create_article_timestamps_are_iso_8601_utc_with_milliseconds(client, user, headers):
    article = create_article(client, headers)

    assert TIMESTAMP.match(article["createdAt"])
    assert TIMESTAMP.match(article["updatedAt"])
    assert article["createdAt"] == article["updatedAt"]
    stored = client.get(f"/api/articles/{article['slug']}").json["article"]
    assert stored["createdAt"] == article["createdAt"]


def test_create_article_sorts_and_deduplicates_the_tag_list(client, user, headers):
    article = create_article(client, headers, tag_list=["zebra", "alpha", "mango", "alpha"])

    assert article["tagList"] == ["alpha", "mango", "zebra"]
    stored = client.get(f"/api/articles/{article['slug']}").json["article"]
    assert stored["tagList"] == ["alpha", "mango", "zebra"]


def test_create_article_without_tag_list_has_no_tags(client, user, headers):
    article = create_article(client, headers)

    assert article["tagList"] == []


def test_created_article_is_readable_at_its_slug(client, user, headers):
    created = create_article(client, headers, tag_list=["dragons"])

    response = client.get(f"/api/articles/{created['slug']}")

    assert response.status_code == 200
    assert response.json["article"] == created


def test_create_article_ignores_server_owned_fields(client, user, other_user, headers):
    forged = {
        **NEW_ARTICLE,
        "slug": "chosen-by-client",
        "author": {"username": "celeb", "following": True},
        "favoritesCount": 99,
        "favorited": True,
        "createdAt": "2000-01-01T00:00:00.000Z",
        "updatedAt": "2000-01-01T00:00:00.000Z",
        "id": 12345,
    }

    response = client.post("/api/articles", json={"article": forged}, headers=headers)

    assert response.status_code == 201
    article = response.json["article"]
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["author"]["username"] == "jake"
    assert article["favoritesCount"] == 0
    assert article["favorited"] is False
    assert not article["createdAt"].startswith("2000")
    assert not article["updatedAt"].startswith("2000")
    stored = db.session.scalars(select(Article)).one()
    assert stored.id != 12345
    assert stored.author_id == user.id
    assert stored.slug == "how-to-train-your-dragon"
    assert _count(Favorite) == 0
    assert_error(client.get("/api/articles/chosen-by-client"), 404)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("How to train your dragon", "how-to-train-your-dragon"),
        ("  Spaces   everywhere  ", "spaces-everywhere"),
        ("Crème brûlée, à la carte!", "creme-brulee-a-la-carte"),
        ("C'est 100% faux?", "c-est-100-faux"),
    ],
)
def test_slug_comes_from_the_title(client, user, headers, title, slug):
    assert create_article(client, headers, title=title)["slug"] == slug


@pytest.mark.parametrize("title", ["!!!", "???", "日本語", "-"])
def test_slug_is_never_empty(client, user, headers, title):
    article = create_article(client, headers, title=title)

    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", article["slug"])
    assert client.get(f"/api/articles/{article['slug']}").status_code == 200


def test_slug_of_a_very_long_title_is_bounded(client, user, headers):
    article = create_article(client, headers, title="word " * 50)

    assert 0 < len(article["slug"]) <= 200
    assert client.get(f"/api/articles/{article['slug']}").status_code == 200


def test_repeated_title_gives_unique_slugs(client, user, other_user, headers, other_headers):
    slugs = [
        create_article(client, headers, title="Same title")["slug"],
        create_article(client, headers, title="Same title")["slug"],
        create_article(client, other_headers, title="Same title")["slug"],
        create_article(client, headers, title="SAME TITLE!")["slug"],
    ]

    assert len(set(slugs)) == 4
    assert slugs[0] == "same-title"
    for slug in slugs:
        assert slug.startswith("same-title")
        assert client.get(f"/api/articles/{slug}").status_code == 200


def test_symbol_only_titles_get_distinct_slugs(client, user, headers):
    first = create_article(client, headers, title="!!!")["slug"]
    second = create_article(client, headers, title="!!!")["slug"]

    assert first
    assert second
    assert first != second


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": 123}, "title"),
        ({"title": ["a"]}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": "How to\ntrain"}, "title"),
        ({"title": "How to\u2028train"}, "title"),
        ({"description": "line one\r\nline two"}, "description"),
        ({"tagList": ["rock\nroll"]}, "tagList"),
        ({"description": ""}, "description"),
        ({"description": None}, "description"),
        ({"description": {"a": 1}}, "description"),
        ({"description": "x" * 1001}, "description"),
        ({"body": ""}, "body"),
        ({"body": None}, "body"),
        ({"body": 1.5}, "body"),
        ({"tagList": "x"}, "tagList"),
        ({"tagList": [1]}, "tagList"),
        ({"tagList": [None]}, "tagList"),
        ({"tagList": [""]}, "tagList"),
        ({"tagList": ["x" * 65]}, "tagList"),
        ({"tagList": {"a": "b"}}, "tagList"),
        ({"tagList": [f"tag{n}" for n in range(21)]}, "tagList"),
    ],
)
def test_create_article_with_invalid_field_is_422(client, user, headers, fields, field):
    article = {**NEW_ARTICLE, **fields}

    response = client.post("/api/articles", json={"article": article}, headers=headers)

    assert_error(response, 422, field)
    assert _count(Article) == 0


def test_a_title_on_two_lines_is_refused_and_one_with_blanks_around_it_is_trimmed(
    client, user, headers
):
    refused = client.post(
        "/api/articles",
        json={"article": {**NEW_ARTICLE, "title": "How to\ntrain"}},
        headers=headers,
    )
    accepted = client.post(
        "/api/articles",
        json={"article": {**NEW_ARTICLE, "title": "\n How to train \r\n"}},
        headers=headers,
    )

    # A browser drops line breaks from a one-line field: the web editor would change
    # such a title (and its slug) on an unchanged save.
    assert assert_error(refused, 422, "title")["title"] == ["must be a single line"]
    assert accepted.status_code == 201
    assert accepted.json["article"]["title"] == "How to train"


@pytest.mark.parametrize("missing", ["title", "description", "body"])
def test_create_article_without_required_field_is_422(client, user, headers, missing):
    article = {name: value for name, value in NEW_ARTICLE.items() if name != missing}

    response = client.post("/api/articles", json={"article": article}, headers=headers)

    assert assert_error(response, 422, missing)[missing] == ["can't be blank"]
    assert _count(Article) == 0


@pytest.mark.parametrize(
    "payload", [{}, NEW_ARTICLE, {"article": None}, {"article": "text"}, {"article": []}]
)
def test_create_article_without_article_object_is_422(client, user, headers, payload):
    response = client.post("/api/articles", json=payload, headers=headers)

    assert_error(response, 422, "article")
    assert _count(Article) == 0


@pytest.mark.parametrize("content_type", [None, "application/json"])
def test_create_article_with_empty_body_is_422(client, user, headers, content_type):
    response = client.post("/api/articles", data=b"", content_type=content_type, headers=headers)

    assert_error(response, 422)
    assert _count(Article) == 0


# Reading one -------------------------------------------------------------------


def test_get_article_without_token_is_200_with_body(client, user):
    _published(user, 0, slug="dragons", title="Dragons", body="The body")

    response = client.get("/api/articles/dragons")

    assert response.status_code == 200
    article = response.json["article"]
    assert set(article) == ARTICLE_KEYS
    assert article["body"] == "The body"
    assert article["createdAt"] == "2020-01-02T03:04:05.678Z"
    assert article["updatedAt"] == "2020-01-02T03:04:05.678Z"
    assert article["favorited"] is False
    assert article["author"]["following"] is False


def test_get_unknown_article_is_404(client, user):
    assert_error(client.get("/api/articles/no-such-article"), 404, "article")


def test_get_article_shows_favorited_and_following_for_the_viewer(
    client, headers, other_user, third_user
):
    other_headers, third_headers = auth_headers(other_user), auth_headers(third_user)
    _published(other_user, 0, slug="dragons")
    client.post("/api/articles/dragons/favorite", headers=headers)
    client.post("/api/profiles/celeb/follow", headers=headers)

    as_jake = client.get("/api/articles/dragons", headers=headers).json["article"]
    as_third = client.get("/api/articles/dragons", headers=third_headers).json["article"]
    as_author = client.get("/api/articles/dragons", headers=other_headers).json["article"]
    anonymous = client.get("/api/articles/dragons").json["article"]

    assert (as_jake["favorited"], as_jake["author"]["following"]) == (True, True)
    assert (as_third["favorited"], as_third["author"]["following"]) == (False, False)
    assert (as_author["favorited"], as_author["author"]["following"]) == (False, False)
    assert (anonymous["favorited"], anonymous["author"]["following"]) == (False, False)
    assert {a["favoritesCount"] for a in (as_jake, as_third, as_author, anonymous)} == {1}


# Lists -------------------------------------------------------------------------


def test_list_articles_when_there_are_none(client):
    response = client.get("/api/articles")

    assert response.status_code == 200
    assert response.json == {"articles": [], "articlesCount": 0}


def test_list_articles_is_newest_first(client, user, other_user):
    _published(user, 1, slug="second")
    _published(other_user, 2, slug="third")
    _published(user, 0, slug="first")

    assert _slugs(client.get("/api/articles")) == ["third", "second", "first"]


def test_list_articles_created_through_the_api_is_newest_first(client, user, headers):
    slugs = [create_article(client, headers, title=f"Number {n}")["slug"] for n in range(4)]

    assert _slugs(client.get("/api/articles")) == list(reversed(slugs))


def test_list_items_have_no_body(client, user, headers):
    create_article(client, headers, tag_list=["dragons"])

    article = client.get("/api/articles").json["articles"][0]

    assert set(article) == LIST_ITEM_KEYS
    assert set(article["author"]) == PROFILE_KEYS
    assert "body" not in article


def test_list_items_have_sorted_tags_and_iso_timestamps(client, user, headers):
    create_article(client, headers, tag_list=["zebra", "alpha", "mango"])

    article = client.get("/api/articles").json["articles"][0]

    assert article["tagList"] == ["alpha", "mango", "zebra"]
    assert TIMESTAMP.match(article["createdAt"])
    assert TIMESTAMP.match(article["updatedAt"])


def test_articles_count_is_the_total_matching_not_the_page_length(client, user):
    for minutes in range(3):
        _published(user, minutes, slug=f"article-{minutes}")

    response = client.get("/api/articles?limit=1")

    assert response.json["articlesCount"] == 3
    assert _slugs(response) == ["article-2"]


def test_offset_pages_through_the_list(client, user):
    for minutes in range(5):
        _published(user, minutes, slug=f"article-{minutes}")

    first = client.get("/api/articles?limit=2&offset=0")
    second = client.get("/api/articles?limit=2&offset=2")
    last = client.get("/api/articles?limit=2&offset=4")

    assert _slugs(first) == ["article-4", "article-3"]
    assert _slugs(second) == ["article-2", "article-1"]
    assert _slugs(last) == ["article-0"]
    assert {r.json["articlesCount"] for r in (first, second, last)} == {5}


def test_offset_past_the_end_is_an_empty_page_with_the_full_count(client, user):
    _published(user, 0, slug="only")

    response = client.get("/api/articles?offset=10")

    assert response.json == {"articles": [], "articlesCount": 1}


def test_limit_defaults_to_20(client, user):
    for minutes in range(21):
        _published(user, minutes, slug=f"article-{minutes}")

    response = client.get("/api/articles")

    assert len(response.json["articles"]) == 20
    assert response.json["articlesCount"] == 21
    assert len(client.get("/api/articles?limit=100").json["articles"]) == 21


@pytest.fixture
def catalogue(client, headers, other_headers, third_headers):
    """Four articles: jake's a1 (dragons, training) and a2 (training), celeb's a3
    (dragons) and a4; the third user favorites a1 and a3. Published in that order."""
    slugs = {
        "a1": create_article(client, headers, title="A1", tag_list=["dragons", "training"]),
        "a2": create_article(client, headers, title="A2", tag_list=["training"]),
        "a3": create_article(client, other_headers, title="A3", tag_list=["dragons"]),
        "a4": create_article(client, other_headers, title="A4"),
    }
    for name in ("a1", "a3"):
        client.post(f"/api/articles/{slugs[name]['slug']}/favorite", headers=third_headers)
    return {name: article["slug"] for name, article in slugs.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["a4", "a3", "a2", "a1"]),
        ("tag=dragons", ["a3", "a1"]),
        ("tag=training", ["a2", "a1"]),
        ("author=jake", ["a2", "a1"]),
        ("author=celeb", ["a4", "a3"]),
        ("author=JAKE", ["a2", "a1"]),
        ("favorited=third", ["a3", "a1"]),
        ("favorited=jake", []),
        ("tag=dragons&author=jake", ["a1"]),
        ("tag=training&author=celeb", []),
        ("author=celeb&favorited=third", ["a3"]),
        ("tag=training&favorited=third", ["a1"]),
        ("tag=dragons&author=celeb&favorited=third", ["a3"]),
        ("tag=no-such-tag", []),
        ("author=nobody", []),
        ("favorited=nobody", []),
    ],
)
def test_list_articles_filters(client, catalogue, query, expected):
    response = client.get(f"/api/articles?{query}")

    assert _slugs(response) == [catalogue[name] for name in expected]
    assert response.json["articlesCount"] == len(expected)


def test_filtered_count_is_the_total_matching_not_the_page_length(client, catalogue):
    response = client.get("/api/articles?tag=dragons&limit=1&offset=1")

    assert _slugs(response) == [catalogue["a1"]]
    assert response.json["articlesCount"] == 2


def test_list_favorites_count_and_favorited_are_right_for_the_viewer(
    client, user, other_user, headers, other_headers
):
    _published(user, 0, slug="jakes")
    _published(other_user, 1, slug="celebs")
    client.post("/api/articles/jakes/favorite", headers=headers)
    client.post("/api/articles/jakes/favorite", headers=other_headers)
    client.post("/api/articles/celebs/favorite", headers=other_headers)
    client.post("/api/profiles/celeb/follow", headers=headers)

    def by_slug(response) -> dict[str, dict[str, Any]]:
        return {article["slug"]: article for article in response.json["articles"]}

    as_jake = by_slug(client.get("/api/articles", headers=headers))
    as_celeb = by_slug(client.get("/api/articles", headers=other_headers))
    anonymous = by_slug(client.get("/api/articles"))

    for view in (as_jake, as_celeb, anonymous):
        assert view["jakes"]["favoritesCount"] == 2
        assert view["celebs"]["favoritesCount"] == 1
    assert (as_jake["jakes"]["favorited"], as_jake["celebs"]["favorited"]) == (True, False)
    assert (as_celeb["jakes"]["favorited"], as_celeb["celebs"]["favorited"]) == (True, True)
    assert (anonymous["jakes"]["favorited"], anonymous["celebs"]["favorited"]) == (False, False)
    assert as_jake["celebs"]["author"]["following"] is True
    assert as_jake["jakes"]["author"]["following"] is False
    assert as_celeb["jakes"]["author"]["following"] is False
    assert anonymous["celebs"]["author"]["following"] is False


# The feed ----------------------------------------------------------------------


def test_feed_shows_only_followed_authors_newest_first(
    client, user, other_user, third_user, headers
):
    _published(other_user, 0, slug="celeb-old")
    _published(third_user, 1, slug="third-old")
    _published(user, 2, slug="own")
    _published(other_user, 3, slug="celeb-new")
    _published(third_user, 4, slug="third-new")
    client.post("/api/profiles/celeb/follow", headers=headers)

    response = client.get("/api/articles/feed", headers=headers)

    assert _slugs(response) == ["celeb-new", "celeb-old"]
    assert response.json["articlesCount"] == 2
    for article in response.json["articles"]:
        assert set(article) == LIST_ITEM_KEYS
        assert article["author"]["following"] is True


def test_feed_follows_several_authors(client, user, other_user, third_user, headers):
    _published(other_user, 0, slug="celebs")
    _published(third_user, 1, slug="thirds")
    client.post("/api/profiles/celeb/follow", headers=headers)
    client.post("/api/profiles/third/follow", headers=headers)

    assert _slugs(client.get("/api/articles/feed", headers=headers)) == ["thirds", "celebs"]


def test_feed_is_empty_when_following_nobody(client, user, other_user, headers):
    _published(other_user, 0)
    _published(user, 1)

    response = client.get("/api/articles/feed", headers=headers)

    assert response.json == {"articles": [], "articlesCount": 0}


def test_feed_drops_an_author_once_unfollowed(client, user, other_user, headers):
    _published(other_user, 0, slug="celebs")
    client.post("/api/profiles/celeb/follow", headers=headers)
    client.delete("/api/profiles/celeb/follow", headers=headers)

    assert _slugs(client.get("/api/articles/feed", headers=headers)) == []


def test_feed_pages_with_limit_and_offset(client, user, other_user, headers):
    for minutes in range(5):
        _published(other_user, minutes, slug=f"article-{minutes}")
    client.post("/api/profiles/celeb/follow", headers=headers)

    response = client.get("/api/articles/feed?limit=2&offset=1", headers=headers)

    assert _slugs(response) == ["article-3", "article-2"]
    assert response.json["articlesCount"] == 5


def test_feed_shows_favorited_for_the_viewer(client, user, other_user, headers):
    _published(other_user, 0, slug="liked")
    _published(other_user, 1, slug="not-liked")
    client.post("/api/profiles/celeb/follow", headers=headers)
    client.post("/api/articles/liked/favorite", headers=headers)

    articles = client.get("/api/articles/feed", headers=headers).json["articles"]

    assert {a["slug"]: (a["favorited"], a["favoritesCount"]) for a in articles} == {
        "liked": (True, 1),
        "not-liked": (False, 0),
    }


# Updating ----------------------------------------------------------------------


def _update(client, headers, slug: str, /, **fields: Any):
    return client.put(f"/api/articles/{slug}", json={"article": fields}, headers=headers)


def test_update_article_changes_only_the_given_fields(client, user, headers):
    _published(user, 0, slug="dragons", title="Dragons", description="Old", body="Old body")

    response = _update(client, headers, "dragons", body="New body")

    assert response.status_code == 200
    article = response.json["article"]
    assert set(article) == ARTICLE_KEYS
    assert article["slug"] == "dragons"
    assert article["title"] == "Dragons"
    assert article["description"] == "Old"
    assert article["body"] == "New body"
    assert article["createdAt"] == "2020-01-02T03:04:05.678Z"
    assert TIMESTAMP.match(article["updatedAt"])
    assert article["updatedAt"] > article["createdAt"]
    assert client.get("/api/articles/dragons").json["article"]["body"] == "New body"


def test_update_article_with_a_new_title_gives_a_new_slug(client, user, headers):
    created = create_article(client, headers, title="Old title")

    response = _update(client, headers, created["slug"], title="Did you train your dragon?")

    assert response.status_code == 200
    article = response.json["article"]
    assert article["slug"] == "did-you-train-your-dragon"
    assert article["title"] == "Did you train your dragon?"
    assert client.get("/api/articles/did-you-train-your-dragon").status_code == 200
    assert_error(client.get("/api/articles/old-title"), 404, "article")


def test_update_article_with_the_same_title_keeps_the_slug(client, user, headers):
    created = create_article(client, headers, title="Same title")

    response = _update(client, headers, created["slug"], title="Same title", body="Changed")

    assert response.json["article"]["slug"] == "same-title"


def test_update_article_to_a_title_in_use_gets_a_unique_slug(client, user, headers):
    create_article(client, headers, title="Taken")
    mine = create_article(client, headers, title="Mine")

    response = _update(client, headers, mine["slug"], title="Taken")

    slug = response.json["article"]["slug"]
    assert slug != "taken"
    assert slug.startswith("taken")
    assert client.get("/api/articles/taken").json["article"]["title"] == "Taken"
    assert client.get(f"/api/articles/{slug}").status_code == 200


def test_update_article_tag_list_replaces_the_tags(client, user, headers):
    created = create_article(client, headers, tag_list=["old", "kept"])

    response = _update(client, headers, created["slug"], tagList=["new", "kept", "another"])

    assert response.json["article"]["tagList"] == ["another", "kept", "new"]
    assert client.get("/api/articles?tag=old").json["articlesCount"] == 0
    assert client.get("/api/articles?tag=new").json["articlesCount"] == 1


def test_update_article_with_empty_tag_list_removes_every_tag(client, user, headers):
    created = create_article(client, headers, tag_list=["old"])

    response = _update(client, headers, created["slug"], tagList=[])

    assert response.json["article"]["tagList"] == []


def test_update_article_keeps_favorites(client, user, headers, other_headers):
    created = create_article(client, headers)
    client.post(f"/api/articles/{created['slug']}/favorite", headers=other_headers)

    response = _update(client, headers, created["slug"], title="A new title")

    assert response.json["article"]["favoritesCount"] == 1
    assert response.json["article"]["favorited"] is False


def test_update_article_ignores_server_owned_fields(client, user, other_user, headers):
    created = create_article(client, headers, title="Mine")

    response = _update(
        client,
        headers,
        created["slug"],
        slug="forged",
        author={"username": "celeb"},
        favoritesCount=42,
        createdAt="2000-01-01T00:00:00.000Z",
        description="Changed",
    )

    assert response.status_code == 200
    article = response.json["article"]
    assert article["slug"] == "mine"
    assert article["author"]["username"] == "jake"
    assert article["favoritesCount"] == 0
    assert article["createdAt"] == created["createdAt"]
    assert article["description"] == "Changed"
    assert_error(client.get("/api/articles/forged"), 404)


def test_update_article_by_a_non_author_is_403_and_changes_nothing(
    client, user, other_user, headers, other_headers
):
    created = create_article(client, headers, tag_list=["dragons"])

    response = _update(
        client, other_headers, created["slug"], title="Hijacked", body="Hijacked", tagList=[]
    )

    assert_error(response, 403, "article")
    assert client.get(f"/api/articles/{created['slug']}").json["article"] == created
    db.session.expire_all()
    stored = db.session.scalars(select(Article)).one()
    assert stored.title == created["title"]
    assert stored.body == created["body"]
    assert stored.author_id == user.id


def test_update_unknown_article_is_404(client, user, headers):
    assert_error(_update(client, headers, "no-such-article", title="New"), 404, "article")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "  "}, "title"),
        ({"title": None}, "title"),
        ({"title": 123}, "title"),
        ({"description": ""}, "description"),
        ({"description": None}, "description"),
        ({"body": ""}, "body"),
        ({"body": None}, "body"),
        ({"body": []}, "body"),
        ({"tagList": "x"}, "tagList"),
        ({"tagList": [1]}, "tagList"),
        ({"tagList": None}, "tagList"),
    ],
)
def test_update_article_with_invalid_field_is_422(client, user, headers, fields, field):
    created = create_article(client, headers)

    response = _update(client, headers, created["slug"], **fields)

    assert_error(response, 422, field)
    assert client.get(f"/api/articles/{created['slug']}").json["article"] == created


@pytest.mark.parametrize("payload", [{}, {"title": "New"}, {"article": None}, {"article": 1}])
def test_update_article_without_article_object_is_422(client, user, headers, payload):
    created = create_article(client, headers)

    response = client.put(f"/api/articles/{created['slug']}", json=payload, headers=headers)

    assert_error(response, 422, "article")


# Deleting ----------------------------------------------------------------------


def test_delete_article_is_204_with_an_empty_body(client, user, headers):
    created = create_article(client, headers)

    response = client.delete(f"/api/articles/{created['slug']}", headers=headers)

    assert_no_content(response)
    assert_error(client.get(f"/api/articles/{created['slug']}"), 404, "article")
    assert client.get("/api/articles").json == {"articles": [], "articlesCount": 0}


def test_delete_article_by_a_non_author_is_403_and_keeps_it(
    client, user, other_user, headers, other_headers
):
    created = create_article(client, headers)

    response = client.delete(f"/api/articles/{created['slug']}", headers=other_headers)

    assert_error(response, 403, "article")
    assert client.get(f"/api/articles/{created['slug']}").json["article"] == created
    assert _count(Article) == 1


def test_delete_unknown_article_is_404(client, user, headers):
    assert_error(client.delete("/api/articles/no-such-article", headers=headers), 404, "article")


def test_delete_article_removes_its_comments_and_favorites(
    client, user, other_user, headers, other_headers
):
    doomed = create_article(client, headers, title="Doomed")
    kept = create_article(client, headers, title="Kept")
    for slug in (doomed["slug"], kept["slug"]):
        add_comment(client, other_headers, slug)
        client.post(f"/api/articles/{slug}/favorite", headers=other_headers)

    assert_no_content(client.delete(f"/api/articles/{doomed['slug']}", headers=headers))

    assert _count(Comment) == 1
    assert _count(Favorite) == 1
    assert _slugs(client.get("/api/articles?favorited=celeb")) == [kept["slug"]]
    assert len(client.get(f"/api/articles/{kept['slug']}/comments").json["comments"]) == 1


def test_deleted_article_slug_can_be_used_again(client, user, headers):
    created = create_article(client, headers, title="Again")
    client.delete(f"/api/articles/{created['slug']}", headers=headers)

    assert create_article(client, headers, title="Again")["slug"] == "again"


# Favorites ---------------------------------------------------------------------


def test_favorite_article_is_200_favorited_and_counted(client, user, other_user, headers):
    _published(other_user, 0, slug="liked")

    response = client.post("/api/articles/liked/favorite", headers=headers)

    assert response.status_code == 200
    article = response.json["article"]
    assert set(article) == ARTICLE_KEYS
    assert article["favorited"] is True
    assert article["favoritesCount"] == 1


def test_favorite_twice_counts_once(client, user, other_user, headers):
    _published(other_user, 0, slug="liked")

    client.post("/api/articles/liked/favorite", headers=headers)
    response = client.post("/api/articles/liked/favorite", headers=headers)

    assert response.status_code == 200
    assert response.json["article"]["favoritesCount"] == 1
    assert _count(Favorite) == 1


def test_favorites_count_counts_every_user(client, other_user, headers, third_headers):
    _published(other_user, 0, slug="liked")

    client.post("/api/articles/liked/favorite", headers=headers)
    response = client.post("/api/articles/liked/favorite", headers=third_headers)

    assert response.json["article"]["favoritesCount"] == 2
    assert client.get("/api/articles/liked").json["article"]["favoritesCount"] == 2


def test_unfavorite_article_is_200_and_uncounted(client, user, other_user, headers, third_headers):
    _published(other_user, 0, slug="liked")
    client.post("/api/articles/liked/favorite", headers=headers)
    client.post("/api/articles/liked/favorite", headers=third_headers)

    response = client.delete("/api/articles/liked/favorite", headers=headers)

    assert response.status_code == 200
    assert response.json["article"]["favorited"] is False
    assert response.json["article"]["favoritesCount"] == 1
    as_third = client.get("/api/articles/liked", headers=third_headers).json["article"]
    assert as_third["favorited"] is True


def test_unfavorite_twice_is_the_same_as_once(client, user, other_user, headers):
    _published(other_user, 0, slug="liked")
    client.post("/api/articles/liked/favorite", headers=headers)

    first = client.delete("/api/articles/liked/favorite", headers=headers)
    second = client.delete("/api/articles/liked/favorite", headers=headers)

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json["article"]["favorited"] is False
    assert second.json["article"]["favoritesCount"] == 0


def test_unfavorite_an_article_never_favorited_is_200(client, user, other_user, headers):
    _published(other_user, 0, slug="never")

    response = client.delete("/api/articles/never/favorite", headers=headers)

    assert response.status_code == 200
    assert response.json["article"]["favoritesCount"] == 0


def test_favorite_unknown_article_is_404(client, user, headers):
    assert_error(client.post("/api/articles/nope/favorite", headers=headers), 404, "article")


def test_unfavorite_unknown_article_is_404(client, user, headers):
    assert_error(client.delete("/api/articles/nope/favorite", headers=headers), 404, "article")
