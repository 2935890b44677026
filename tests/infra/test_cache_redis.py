"""With Redis, the cache is shared: entries live under the app's prefix, and what one
app process forgets, every other process sharing the prefix forgets too.

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from concurrent.futures import Future

import pytest
from flask import Flask

import app.cache as cache_module
from app.queries import search as search_queries
from app.services.tags import TAGS
from app.web.markdown import MARKDOWN_CACHE_SECONDS
from tests.api.helpers import assert_no_content, create_article
from tests.conftest import auth_headers
from tests.factories import UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured, counting_statements
from tests.web.helpers import Browser


@pytest.fixture
def redis_app(build) -> Flask:
    app = build(configured({"TEST_REDIS_URL": REDIS_URL or ""}))
    assert app.config["CACHE_TYPE"] == "RedisCache"
    return app


def _tag_lists(app: Flask, redis_client) -> list[str]:
    """The keys of the tag lists the app cached in Redis, one per generation."""
    return sorted(redis_client.scan_iter(f"{app.config['CACHE_KEY_PREFIX']}{TAGS}:*"))


def _tags_generation(app: Flask, redis_client) -> str | None:
    generation: str | None = redis_client.get(f"{app.config['CACHE_KEY_PREFIX']}generation:{TAGS}")
    return generation


def test_the_tag_list_is_stored_in_redis_under_the_apps_prefix(redis_app, redis_client):
    assert _tag_lists(redis_app, redis_client) == []

    assert redis_app.test_client().get("/api/tags").status_code == 200

    (key,) = _tag_lists(redis_app, redis_client)
    assert key.endswith(f":{_tags_generation(redis_app, redis_client)}:popular")
    # With Redis the list may be kept long, since every write makes it stale everywhere.
    assert redis_app.config["TAGS_CACHE_SECONDS"] == 300
    assert 0 < redis_client.ttl(key) <= 300


def test_a_write_starts_a_new_generation_of_the_tag_list(redis_app, redis_client):
    client = redis_app.test_client()
    user = UserFactory(username="jake", email="jake@example.com")
    assert client.get("/api/tags").json == {"tags": []}
    before = _tags_generation(redis_app, redis_client)

    create_article(client, auth_headers(user), tag_list=["dragons"])

    assert int(_tags_generation(redis_app, redis_client)) == int(before) + 1
    assert client.get("/api/tags").json == {"tags": ["dragons"]}
    assert len(_tag_lists(redis_app, redis_client)) == 2, "one list per generation"


def test_rendered_markdown_is_stored_in_redis_by_digest(redis_app, redis_client):
    client = redis_app.test_client()
    user = UserFactory(username="jake", email="jake@example.com")
    body = "Some **bold** text"
    slug = create_article(client, auth_headers(user), body=body)["slug"]
    digest = hashlib.sha256(body.encode()).hexdigest()
    key = f"{redis_app.config['CACHE_KEY_PREFIX']}markdown-v2:{digest}"

    Browser(client).get(f"/article/{slug}")

    assert redis_client.exists(key) == 1
    assert 0 < redis_client.ttl(key) <= MARKDOWN_CACHE_SECONDS


def test_a_bodys_words_for_search_snippets_are_read_once_and_kept_by_digest(
    redis_app, redis_client, monkeypatch
):
    body = "Some **bold** words " + "![" * 10
    read: list[str] = []

    def plain_text(text: str) -> str:
        read.append(text)
        return f"words of {len(text)}"

    monkeypatch.setattr(search_queries, "plain_text", plain_text)
    digest = hashlib.sha256(body.encode()).hexdigest()
    key = f"{redis_app.config['CACHE_KEY_PREFIX']}words:{digest}"

    with redis_app.app_context():
        first = search_queries._words_of(body)
        second = search_queries._words_of(body)

    assert first == second == f"words of {len(body)}"
    assert read == [body]
    assert 0 < redis_client.ttl(key) <= search_queries.WORDS_CACHE_SECONDS


def test_a_second_app_shares_the_cache_and_its_invalidation(build, shared_database):
    # Two app processes: the same Redis and prefix, the same database.
    prefix = f"conduit-infra-{secrets.token_hex(4)}:cache:"
    config = configured(
        {**shared_database, "TEST_REDIS_URL": REDIS_URL or ""}, CACHE_KEY_PREFIX=prefix
    )
    first, second = build(config), build(config)
    headers = auth_headers(UserFactory(username="jake", email="jake@example.com"))
    first_client, second_client = first.test_client(), second.test_client()

    assert first_client.get("/api/tags").json == {"tags": []}
    with counting_statements(second) as statements:
        assert second_client.get("/api/tags").json == {"tags": []}
    assert statements.count == 0, "the second app did not read the first one's entry"

    slug = create_article(first_client, headers, tag_list=["dragons"])["slug"]
    with counting_statements(second) as statements:
        assert second_client.get("/api/tags").json == {"tags": ["dragons"]}
    assert statements.count > 0

    assert first_client.get("/api/tags").json == {"tags": ["dragons"]}
    assert_no_content(second_client.delete(f"/api/articles/{slug}", headers=headers))
    assert first_client.get("/api/tags").json == {"tags": []}


def test_apps_with_other_prefixes_do_not_share_entries(build, shared_database, redis_client):
    env = {**shared_database, "TEST_REDIS_URL": REDIS_URL or ""}
    first, second = build(configured(env)), build(configured(env))
    assert first.config["CACHE_KEY_PREFIX"] != second.config["CACHE_KEY_PREFIX"]

    first.test_client().get("/api/tags")

    assert len(_tag_lists(first, redis_client)) == 1
    assert _tag_lists(second, redis_client) == []


class _CountedFuture(Future):
    """A load in flight, which tells the test each time a thread waits for it."""

    waits = threading.Semaphore(0)

    def exception(self, timeout=None):
        type(self).waits.release()
        return super().exception(timeout)


def _miss_together(
    app: Flask, monkeypatch, family: str, load, *, others: int
) -> tuple[list[object], int]:
    """What `read_through` gives a thread that misses an entry and loads it with
    `load`, and `others` threads that miss the same entry while it loads; and how
    many times those others ran a load of their own.

    `load` runs once all the others wait for it."""
    monkeypatch.setattr(cache_module, "Future", _CountedFuture)
    monkeypatch.setattr(_CountedFuture, "waits", threading.Semaphore(0))
    loading = threading.Event()
    own_loads = []
    results: dict[int, object] = {}

    def first_load() -> object:
        loading.set()
        for _ in range(others):
            assert _CountedFuture.waits.acquire(timeout=10), "a thread did not wait"
        return load()

    def own_load() -> object:
        own_loads.append(1)
        return "loaded by another thread"

    def read(index: int, loader) -> None:
        with app.app_context():
            try:
                results[index] = cache_module.read_through(family, "entry", loader, timeout=60)
            except ConnectionError as error:
                results[index] = error

    threads = [threading.Thread(target=read, args=(0, first_load))]
    threads[0].start()
    assert loading.wait(timeout=10)
    threads += [threading.Thread(target=read, args=(i, own_load)) for i in range(1, others + 1)]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return [results.get(i) for i in range(others + 1)], len(own_loads)


def test_threads_that_miss_an_entry_together_wait_for_one_load(redis_app, monkeypatch):
    loads = []

    def load() -> list[str]:
        loads.append(1)
        return ["dragons", "training"]

    family = f"together-{secrets.token_hex(4)}"

    values, own_loads = _miss_together(redis_app, monkeypatch, family, load, others=4)

    assert values == [["dragons", "training"]] * 5
    assert len(loads) == 1
    assert own_loads == 0
    with redis_app.app_context():
        stored = cache_module.read_through(family, "entry", lambda: ["not stored"], timeout=60)
    assert stored == ["dragons", "training"]


def test_when_the_shared_load_fails_the_waiting_threads_load_themselves(redis_app, monkeypatch):
    def failing() -> list[str]:
        raise ConnectionError("the database went away")

    family = f"failing-{secrets.token_hex(4)}"

    values, own_loads = _miss_together(redis_app, monkeypatch, family, failing, others=3)

    assert isinstance(values[0], ConnectionError)
    assert values[1:] == ["loaded by another thread"] * 3
    assert own_loads == 3
