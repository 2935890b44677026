"""Article counts that grow with the site (all articles, a tag's articles) are cached
in Redis, in a generation that every article write replaces at once, in every app
process sharing the cache: a count is never stale after the write has answered.

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from flask import Flask

from app.extensions import cache
from app.services.articles import ARTICLE_SET
from tests.api.helpers import assert_no_content, create_article
from tests.conftest import auth_headers
from tests.factories import ArticleFactory, UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured, counting_statements

COUNTS_SECONDS = 300


@pytest.fixture
def make_app(build: Callable[..., Flask], shared_database: dict[str, str]) -> Callable[[], Flask]:
    """Apps that cache counts and share one database, one Redis and one key prefix."""
    prefix = f"conduit-counts-{secrets.token_hex(4)}:cache:"
    config = configured(
        {**shared_database, "TEST_REDIS_URL": REDIS_URL or ""},
        CACHE_KEY_PREFIX=prefix,
        LIST_COUNTS_CACHE_SECONDS=COUNTS_SECONDS,
    )
    return lambda: build(config)


def _count(app: Flask, query: str = "") -> int:
    response = app.test_client().get(f"/api/articles?{query}")
    assert response.status_code == 200
    count: int = response.json["articlesCount"]
    return count


def _sneak_in_article(app: Flask) -> None:
    """A row the services never saw: only a count that is recomputed can include it."""
    with app.app_context():
        ArticleFactory()


def test_the_total_is_read_from_the_cache_once_counted(make_app):
    app = make_app()
    author = UserFactory(username="jake")
    headers = auth_headers(author)
    client = app.test_client()
    create_article(client, headers, tag_list=["dragons"])

    assert _count(app) == 1
    _sneak_in_article(app)

    assert _count(app) == 1, "the second request counted again"
    # A write through the services starts a new generation: the count is exact again.
    create_article(client, headers, title="Another")
    assert _count(app) == 3


def test_tag_counts_are_cached_per_tag_and_follow_retagging(make_app):
    app = make_app()
    headers = auth_headers(UserFactory(username="jake"))
    client = app.test_client()
    slug = create_article(client, headers, tag_list=["dragons"])["slug"]
    create_article(client, headers, title="Second", tag_list=["dragons", "fire"])
    assert (_count(app, "tag=dragons"), _count(app, "tag=fire")) == (2, 1)

    response = client.put(
        f"/api/articles/{slug}", json={"article": {"tagList": ["fire"]}}, headers=headers
    )

    assert response.status_code == 200
    assert (_count(app, "tag=dragons"), _count(app, "tag=fire")) == (1, 2)
    assert _count(app) == 2


def test_a_write_in_one_process_refreshes_the_counts_of_another(make_app):
    first, second = make_app(), make_app()
    headers = auth_headers(UserFactory(username="jake"))
    slug = create_article(first.test_client(), headers, tag_list=["dragons"])["slug"]
    assert _count(second) == _count(second, "tag=dragons") == 1

    assert_no_content(first.test_client().delete(f"/api/articles/{slug}", headers=headers))

    assert _count(second) == _count(second, "tag=dragons") == 0


def test_a_cached_total_makes_a_page_past_the_end_free(make_app):
    app = make_app()
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    assert _count(app) == 1

    with counting_statements(app) as statements:
        response = app.test_client().get("/api/articles?offset=20")

    assert response.json == {"articles": [], "articlesCount": 1}
    assert statements.count == 0


def test_counts_by_author_or_favorites_are_never_cached(make_app):
    app = make_app()
    author = UserFactory(username="jake")
    create_article(app.test_client(), auth_headers(author))
    assert _count(app, "author=jake") == 1

    with app.app_context():
        ArticleFactory(author=author)

    assert _count(app, "author=jake") == 2


def test_a_lost_generation_starts_afresh_and_never_meets_old_entries(make_app):
    app = make_app()
    headers = auth_headers(UserFactory(username="jake"))
    create_article(app.test_client(), headers)
    assert _count(app) == 1
    _sneak_in_article(app)

    with app.app_context():
        # As if Redis had evicted the generation (not the entries).
        cache.delete(f"generation:{ARTICLE_SET}")

    assert _count(app) == 2


def test_a_cached_count_costs_one_round_trip_to_redis(make_app, monkeypatch):
    app = make_app()
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    assert _count(app) == 1
    trips: list[str] = []
    backend = cache.cache
    for name in ("get", "get_many", "add", "set"):
        original = getattr(backend, name)
        monkeypatch.setattr(
            backend,
            name,
            lambda *args, _name=name, _original=original: trips.append(_name) or _original(*args),
        )

    assert _count(app) == 1

    assert trips == ["get_many"]


def test_a_write_after_a_lost_generation_starts_at_random_not_at_one(make_app, redis_client):
    app = make_app()
    key = app.config["CACHE_KEY_PREFIX"] + f"generation:{ARTICLE_SET}"
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    redis_client.delete(key)

    create_article(app.test_client(), auth_headers(UserFactory(username="finn")))

    assert int(redis_client.get(key)) > 1_000
