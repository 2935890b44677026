"""The cache: shared data (the tag list, rendered markdown) is computed once, and
forgotten when it changes; nothing personal is ever cached.

Every test runs on each configured backend: the in-process SimpleCache always,
and Redis when TEST_REDIS_URL is set. (What only Redis does, sharing entries and
their invalidation between app processes, is in test_cache_redis.py.)
"""

from __future__ import annotations

import pytest
from flask import Flask

from app.cache import read_through
from app.services.tags import TAGS, TAGS_ENTRY
from app.web import markdown
from tests.api.helpers import assert_no_content, create_article
from tests.conftest import auth_headers
from tests.factories import UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured, counting_statements
from tests.web.helpers import Browser

BACKENDS = [pytest.param("", id="simple-cache")]
if REDIS_URL:
    BACKENDS.append(pytest.param(REDIS_URL, id="redis"))


@pytest.fixture(params=BACKENDS)
def app(request, build) -> Flask:
    """The suite's app (so `client`, `statements`, `user`... use it) on one cache backend."""
    built = build(configured({"TEST_REDIS_URL": request.param}))
    assert built.config["CACHE_TYPE"] == ("RedisCache" if request.param else "SimpleCache")
    return built


def _tag_queries(statements) -> list[str]:
    """The tag list's reads: the tags in use, in the order of their kept counts."""
    return [sql for sql in statements.statements if "WHERE tags.articles_count >" in sql]


def test_two_reads_of_the_tag_list_query_it_once(client, statements, user):
    create_article(client, auth_headers(user), tag_list=["dragons"])
    statements.reset()

    first = client.get("/api/tags")
    after_first = len(_tag_queries(statements))
    second = client.get("/api/tags")

    assert first.json == second.json == {"tags": ["dragons"]}
    assert after_first == 1
    assert len(_tag_queries(statements)) == 1
    # The second read asks the database nothing at all.
    assert statements.count == after_first


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("create with tags", ["dragons", "training", "wyverns"]),
        ("update the tags", ["training", "wyverns"]),
        ("delete the article", ["training"]),
    ],
)
def test_every_write_that_changes_tags_forgets_the_tag_list(
    client, user, statements, change, expected
):
    headers = auth_headers(user)
    slug = create_article(client, headers, title="One", tag_list=["dragons", "training"])["slug"]
    create_article(client, headers, title="Two", tag_list=["training"])
    assert client.get("/api/tags").json == {"tags": ["training", "dragons"]}

    if change == "create with tags":
        create_article(client, headers, title="Three", tag_list=["wyverns"])
    elif change == "update the tags":
        body = {"article": {"tagList": ["wyverns"]}}
        assert client.put(f"/api/articles/{slug}", json=body, headers=headers).status_code == 200
    else:
        assert_no_content(client.delete(f"/api/articles/{slug}", headers=headers))
    statements.reset()

    assert sorted(client.get("/api/tags").json["tags"]) == expected
    assert _tag_queries(statements), "the next read did not ask the database"


def test_writes_that_cannot_change_tags_keep_the_cached_list(client, user, statements):
    headers = auth_headers(user)
    slug = create_article(client, headers, tag_list=["dragons"])["slug"]
    client.get("/api/tags")

    untagged = {"article": {"title": "Untagged", "description": "d", "body": "b"}}
    assert client.post("/api/articles", json=untagged, headers=headers).status_code == 201
    body = {"article": {"body": "A new body"}}
    assert client.put(f"/api/articles/{slug}", json=body, headers=headers).status_code == 200
    statements.reset()

    assert client.get("/api/tags").json == {"tags": ["dragons"]}
    assert statements.count == 0


def test_web_writes_forget_the_tag_list_too(app, client, user):
    browser = Browser(client)
    browser.sign_in(user.email)
    assert client.get("/api/tags").json == {"tags": []}

    published = browser.submit(
        "/editor", {"title": "Web", "description": "d", "body": "b", "tags": "webtag"}
    )

    assert published.status == 302
    assert client.get("/api/tags").json == {"tags": ["webtag"]}


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The markdown texts actually rendered (not served from the cache)."""
    rendered: list[str] = []
    render = markdown._render

    def counting(text: str) -> str:
        rendered.append(text)
        return render(text)

    monkeypatch.setattr(markdown, "_render", counting)
    return rendered


def test_a_markdown_body_is_rendered_once_whoever_shows_it(client, user, other_user, renders):
    headers = auth_headers(user)
    one = create_article(client, headers, title="One", body="Some **bold** text")["slug"]
    two = create_article(client, headers, title="Two", body="Some **bold** text")["slug"]
    browser = Browser(client)
    other = Browser(client.application.test_client())
    other.sign_in(other_user.email)

    pages = [browser.get(f"/article/{one}"), other.get(f"/article/{one}")]
    pages.append(browser.get(f"/article/{two}"))

    # Cached by the text's digest: the same body is the same HTML, whatever the article.
    assert renders == ["Some **bold** text"]
    for page in pages:
        assert page.first(".article-content strong").text == "bold"


def test_an_edited_body_is_rendered_anew(client, user, renders):
    headers = auth_headers(user)
    slug = create_article(client, headers, body="*old*")["slug"]
    browser = Browser(client)
    assert browser.get(f"/article/{slug}").first(".article-content em").text == "old"

    body = {"article": {"body": "*new*"}}
    assert client.put(f"/api/articles/{slug}", json=body, headers=headers).status_code == 200

    assert browser.get(f"/article/{slug}").first(".article-content em").text == "new"
    assert renders == ["*old*", "*new*"]


def test_nothing_personal_is_cached(client, user, other_user):
    jake, celeb = auth_headers(user), auth_headers(other_user)
    slug = create_article(client, celeb, body="**cached body**", tag_list=["dragons"])["slug"]
    assert client.post(f"/api/articles/{slug}/favorite", headers=jake).status_code == 200
    assert client.post("/api/profiles/celeb/follow", headers=jake).status_code == 200
    jake_browser, celeb_browser = Browser(client), Browser(client.application.test_client())
    jake_browser.sign_in(user.email)
    celeb_browser.sign_in(other_user.email)

    # Each viewer reads twice, in turns, so whatever could be cached is warm.
    for _ in range(2):
        for headers, favorited, following in ((jake, True, True), (celeb, False, False)):
            article = client.get(f"/api/articles/{slug}", headers=headers).json["article"]
            listed = client.get("/api/articles", headers=headers).json["articles"][0]
            profile = client.get("/api/profiles/celeb", headers=headers).json["profile"]
            assert article["favorited"] is listed["favorited"] is favorited
            assert article["author"]["following"] is following
            assert profile["following"] is following
            assert client.get("/api/tags", headers=headers).json == {"tags": ["dragons"]}
        anonymous = client.get(f"/api/articles/{slug}").json["article"]
        assert anonymous["favorited"] is False
        assert anonymous["author"]["following"] is False

        jake_page = jake_browser.get(f"/article/{slug}")
        celeb_page = celeb_browser.get(f"/article/{slug}")
        assert jake_page.signed_in_as == "jake"
        assert celeb_page.signed_in_as == "celeb"
        # jake sees unfollow/unfavorite buttons, the author sees edit/delete instead.
        assert jake_page.select("form[action$='/unfavorite']")
        assert not celeb_page.select("form[action$='/unfavorite']")
        assert celeb_page.select("a[href^='/editor/']")
        assert not jake_page.select("a[href^='/editor/']")
        assert jake_page.first(".article-content strong").text == "cached body"


def test_cache_type_nullcache_turns_caching_off(build, renders):
    with pytest.warns(UserWarning, match="caching is effectively disabled"):
        app = build(configured({"CACHE_TYPE": "NullCache"}))
    client = app.test_client()
    user = UserFactory(username="jake", email="jake@example.com")
    slug = create_article(client, auth_headers(user), body="*b*", tag_list=["dragons"])["slug"]
    browser = Browser(client)

    with counting_statements(app) as statements:
        client.get("/api/tags")
        client.get("/api/tags")
    browser.get(f"/article/{slug}")
    browser.get(f"/article/{slug}")

    assert len(_tag_queries(statements)) == 2
    assert renders == ["*b*", "*b*"]


def test_the_tag_list_is_cached_in_its_generation(app, client):
    client.get("/api/tags")

    def not_cached() -> list[str]:
        raise AssertionError("the tag list was not cached")

    assert read_through(TAGS, TAGS_ENTRY, not_cached, timeout=10) == []
