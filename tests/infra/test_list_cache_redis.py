"""What a list page shows every viewer is cached in Redis, in a generation that every
write changing what lists show replaces at once, in every app process sharing the
cache: a list is never stale once the write has answered. Each request adds only
its own viewer's `favorited` and `following`, from the viewer's marks, cached the
same way in a generation of the viewer's own.

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import cache
from app.services import cache as cache_module
from app.services import marks
from app.services.cache import ARTICLE_LISTS
from tests.api.helpers import assert_no_content, create_article
from tests.conftest import auth_headers
from tests.factories import ArticleFactory, UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured, counting_statements

LIST_SECONDS = 300


@pytest.fixture
def make_app(build: Callable[..., Flask], shared_database: dict[str, str]) -> Callable[..., Flask]:
    """Apps that cache lists and share one database, one Redis and one key prefix.

    `make_app(announcements=False)` gives one that asks Redis for the generation on
    every read instead of trusting announced ones (tests/infra/test_generation_watch_redis.py).
    """
    prefix = f"conduit-lists-{secrets.token_hex(4)}:cache:"

    def make(*, announcements: bool = True) -> Flask:
        config = configured(
            {**shared_database, "TEST_REDIS_URL": REDIS_URL or ""},
            CACHE_KEY_PREFIX=prefix,
            LIST_CACHE_SECONDS=LIST_SECONDS,
            CACHE_ANNOUNCEMENTS=announcements,
        )
        return build(config)

    return make


def _list(app: Flask, query: str = "", headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = app.test_client().get(f"/api/articles?{query}", headers=headers or {})
    assert response.status_code == 200
    body: dict[str, Any] = response.json
    return body


def _count(app: Flask, query: str = "") -> int:
    count: int = _list(app, query)["articlesCount"]
    return count


def _sneak_in_article(app: Flask) -> None:
    """A row the services never saw: only a list read from the database shows it."""
    with app.app_context():
        ArticleFactory()


def test_a_page_is_read_from_the_cache_once_listed(make_app):
    app = make_app()
    headers = auth_headers(UserFactory(username="jake"))
    client = app.test_client()
    create_article(client, headers, tag_list=["dragons"])

    assert _count(app) == 1
    _sneak_in_article(app)

    assert _count(app) == 1, "the second request read the database"
    # A write through the services starts a new generation: the list is exact again.
    create_article(client, headers, title="Another")
    assert _count(app) == 3


def test_a_cached_page_costs_no_statement_once_the_viewers_marks_are_cached(make_app):
    app = make_app()
    headers = auth_headers(UserFactory(username="jake"))
    create_article(app.test_client(), headers, tag_list=["dragons"])
    _list(app)
    _list(app, "tag=dragons")

    with counting_statements(app) as anonymous:
        _list(app)
    with counting_statements(app) as first_signed_in:
        _list(app, headers=headers)
    with counting_statements(app) as signed_in:
        _list(app, headers=headers)
        _list(app, "tag=dragons", headers=headers)

    # The viewer's marks are read once (one statement), then serve every cached page.
    assert (anonymous.count, first_signed_in.count, signed_in.count) == (0, 1, 0)


def test_every_viewer_gets_their_own_flags_on_a_shared_page(make_app):
    app = make_app()
    celeb, fan, stranger = (UserFactory(username=name) for name in ("celeb", "fan", "stranger"))
    client = app.test_client()
    slug = create_article(client, auth_headers(celeb))["slug"]
    create_article(client, auth_headers(celeb), title="Second")
    client.post(f"/api/articles/{slug}/favorite", headers=auth_headers(fan))
    client.post("/api/profiles/celeb/follow", headers=auth_headers(fan))
    _list(app)

    seen_by_fan = _list(app, headers=auth_headers(fan))["articles"]
    seen_by_stranger = _list(app, headers=auth_headers(stranger))["articles"]
    seen_anonymously = _list(app)["articles"]

    assert [(a["favorited"], a["author"]["following"]) for a in seen_by_fan] == [
        (False, True),
        (True, True),
    ]
    assert {(a["favorited"], a["author"]["following"]) for a in seen_by_stranger} == {
        (False, False)
    }
    assert seen_anonymously == [
        {**article, "favorited": False, "author": {**article["author"], "following": False}}
        for article in seen_by_fan
    ]
    assert [a["favoritesCount"] for a in seen_anonymously] == [0, 1]


def _edit(client: FlaskClient, headers: dict[str, str], slug: str) -> None:
    response = client.put(
        f"/api/articles/{slug}", json={"article": {"description": "New"}}, headers=headers
    )
    assert response.status_code == 200


WRITES: dict[str, Callable[[FlaskClient, dict[str, str], str], object]] = {
    "favorite": lambda client, headers, slug: client.post(
        f"/api/articles/{slug}/favorite", headers=headers
    ),
    "edit": _edit,
    "profile": lambda client, headers, _slug: client.put(
        "/api/user", json={"user": {"bio": "Changed"}}, headers=headers
    ),
    "delete": lambda client, headers, slug: assert_no_content(
        client.delete(f"/api/articles/{slug}", headers=headers)
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_write_that_changes_a_list_makes_cached_pages_stale(make_app, write):
    first, second = make_app(), make_app()
    headers = auth_headers(UserFactory(username="jake"))
    slug = create_article(first.test_client(), headers, tag_list=["dragons"])["slug"]
    before = _list(second), _list(second, "tag=dragons"), _list(second, "author=jake")

    WRITES[write](first.test_client(), headers, slug)

    after = _list(second), _list(second, "tag=dragons"), _list(second, "author=jake")
    for old, new in zip(before, after, strict=True):
        assert old != new
    # Both processes now show the same lists.
    assert after == (_list(first), _list(first, "tag=dragons"), _list(first, "author=jake"))


def test_a_follow_changes_only_the_followers_flags_not_the_cached_page(make_app):
    app = make_app()
    celeb, fan = UserFactory(username="celeb"), UserFactory(username="fan")
    create_article(app.test_client(), auth_headers(celeb))
    assert _list(app, headers=auth_headers(fan))["articles"][0]["author"]["following"] is False

    app.test_client().post("/api/profiles/celeb/follow", headers=auth_headers(fan))

    assert _list(app, headers=auth_headers(fan))["articles"][0]["author"]["following"] is True


def _flags(app: Flask, headers: dict[str, str]) -> list[tuple[bool, bool]]:
    return [
        (article["favorited"], article["author"]["following"])
        for article in _list(app, headers=headers)["articles"]
    ]


MARKS = {
    "favorite": ("post", "/api/articles/{slug}/favorite", (True, False)),
    "unfavorite": ("delete", "/api/articles/{slug}/favorite", (False, False)),
    "follow": ("post", "/api/profiles/celeb/follow", (False, True)),
    "unfollow": ("delete", "/api/profiles/celeb/follow", (False, False)),
}


@pytest.mark.parametrize("mark", sorted(MARKS))
def test_each_change_of_a_viewers_marks_shows_at_once_in_every_process(make_app, mark):
    first, second = make_app(), make_app()
    celeb, fan = UserFactory(username="celeb"), UserFactory(username="fan")
    slug = create_article(first.test_client(), auth_headers(celeb))["slug"]
    if mark.startswith("un"):
        method, path, _ = MARKS[mark.removeprefix("un")]
        getattr(first.test_client(), method)(path.format(slug=slug), headers=auth_headers(fan))
    before = _flags(first, auth_headers(fan)), _flags(second, auth_headers(fan))

    method, path, expected = MARKS[mark]
    response = getattr(first.test_client(), method)(
        path.format(slug=slug), headers=auth_headers(fan)
    )

    assert response.status_code == 200
    assert _flags(first, auth_headers(fan)) == _flags(second, auth_headers(fan)) == [expected]
    assert before[0] == before[1] != [expected]


def test_a_viewer_with_more_marks_than_are_cached_gets_exact_flags(make_app, monkeypatch):
    monkeypatch.setattr(marks, "MAX_CACHED_MARKS", 2)
    app = make_app()
    celeb, fan = UserFactory(username="celeb"), UserFactory(username="fan")
    client = app.test_client()
    slugs = [create_article(client, auth_headers(celeb), title=f"T{n}")["slug"] for n in range(3)]
    for slug in slugs[1:]:
        client.post(f"/api/articles/{slug}/favorite", headers=auth_headers(fan))
    client.post("/api/profiles/celeb/follow", headers=auth_headers(fan))
    _flags(app, auth_headers(fan))

    with counting_statements(app) as statements:
        flags = _flags(app, auth_headers(fan))

    # Newest first: T2 and T1 are favorited, T0 is not; celeb is followed.
    assert flags == [(True, True), (True, True), (False, True)]
    assert statements.count == 1, "the page's flags come from the database"


def _feed(app: Flask, headers: dict[str, str]) -> dict[str, Any]:
    response = app.test_client().get("/api/articles/feed", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json
    return body


def test_the_feeds_page_is_read_live_and_only_its_total_is_cached(make_app):
    app = make_app()
    celeb, fan = UserFactory(username="celeb"), UserFactory(username="fan")
    create_article(app.test_client(), auth_headers(celeb))
    app.test_client().post("/api/profiles/celeb/follow", headers=auth_headers(fan))
    assert _feed(app, auth_headers(fan))["articlesCount"] == 1

    with app.app_context():
        ArticleFactory(author=celeb, title="Behind the services' back")
    feed = _feed(app, auth_headers(fan))

    assert len(feed["articles"]) == 2
    assert feed["articles"][0]["title"] == "Behind the services' back"
    assert feed["articlesCount"] == 1, "the total is the cached one"


FEED_CHANGES: dict[str, Callable[[FlaskClient, dict[str, str], dict[str, str]], object]] = {
    "a followed author writes": lambda client, celeb, _fan: create_article(
        client, celeb, title="New"
    ),
    "a followed author deletes": lambda client, celeb, _fan: assert_no_content(
        client.delete("/api/articles/first", headers=celeb)
    ),
    "the viewer follows another author": lambda client, _celeb, fan: client.post(
        "/api/profiles/other/follow", headers=fan
    ),
    "the viewer unfollows": lambda client, _celeb, fan: client.delete(
        "/api/profiles/celeb/follow", headers=fan
    ),
}


@pytest.mark.parametrize("change", sorted(FEED_CHANGES))
def test_each_change_of_the_feeds_total_shows_at_once_in_every_process(make_app, change):
    first, second = make_app(), make_app()
    celeb, fan, other = (UserFactory(username=name) for name in ("celeb", "fan", "other"))
    client = first.test_client()
    create_article(client, auth_headers(celeb), title="First")
    create_article(client, auth_headers(other), title="By other")
    client.post("/api/profiles/celeb/follow", headers=auth_headers(fan))
    before = _feed(first, auth_headers(fan)), _feed(second, auth_headers(fan))

    FEED_CHANGES[change](client, auth_headers(celeb), auth_headers(fan))

    after = _feed(first, auth_headers(fan)), _feed(second, auth_headers(fan))
    assert before[0] == before[1]
    assert after[0] == after[1]
    assert after[0]["articlesCount"] != before[0]["articlesCount"]
    assert after[0]["articlesCount"] == len(after[0]["articles"])


def test_a_cached_page_past_the_end_costs_no_statement(make_app):
    app = make_app()
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    assert _list(app, "offset=20") == {"articles": [], "articlesCount": 1}

    with counting_statements(app) as statements:
        assert _list(app, "offset=20") == {"articles": [], "articlesCount": 1}

    assert statements.count == 0


def test_a_lost_generation_starts_afresh_and_never_meets_old_entries(make_app):
    # A process that trusts announced generations keeps using its own (nothing was
    # announced); one that asks Redis on every read finds the generation gone.
    app = make_app(announcements=False)
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    assert _count(app) == 1
    _sneak_in_article(app)

    with app.app_context():
        # As if Redis had evicted the generation (not the entries).
        cache.delete(f"generation:{ARTICLE_LISTS}")

    assert _count(app) == 2


def test_a_write_after_a_lost_generation_starts_at_random_not_at_one(make_app, redis_client):
    app = make_app()
    key = app.config["CACHE_KEY_PREFIX"] + f"generation:{ARTICLE_LISTS}"
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    redis_client.delete(key)

    create_article(app.test_client(), auth_headers(UserFactory(username="finn")))

    assert int(redis_client.get(key)) > 1_000


def test_a_cached_page_costs_one_round_trip_to_redis_without_announcements(make_app, monkeypatch):
    app = make_app(announcements=False)
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


def test_lists_whose_filters_read_alike_are_cached_apart(make_app):
    app = make_app()
    headers = auth_headers(UserFactory(username="jake"))
    create_article(app.test_client(), headers, tag_list=["x"])
    create_article(app.test_client(), headers, title="Odd", tag_list=['x", "jake'])

    assert _count(app, "tag=x&author=jake") == 1
    assert _count(app, 'tag=x", "jake') == 1
    assert _count(app, "tag=x") == 1


def test_an_entry_another_release_wrote_is_a_miss_not_an_error(make_app, redis_client):
    # Another release runs in other processes (a process keeps copies of what it read).
    app, other_release = make_app(), make_app()
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    assert _count(app) == 1
    prefix = app.config["CACHE_KEY_PREFIX"]
    pages = list(redis_client.scan_iter(f"{prefix}{ARTICLE_LISTS}:*"))
    assert pages
    # A pickle of a class this release does not have (as after a rename).
    for key in pages:
        redis_client.set(key, "!capp.services.articles\n_NoSuchClass\n.")
    _sneak_in_article(app)

    assert _count(other_release) == 2


def test_a_generation_another_thread_just_saw_never_passes_off_an_older_copy(make_app, monkeypatch):
    """A thread that looked up its generation before another thread of the same
    process noticed a newer one must not take that newer one for its own."""
    app, writer = make_app(), make_app()
    headers = auth_headers(UserFactory(username="jake"))
    create_article(writer.test_client(), headers)
    assert _count(app) == 1, "the process keeps a copy of the page"
    create_article(writer.test_client(), headers, title="Another")
    with app.app_context():
        backend = cache.cache
    read_many = backend.get_many

    def another_thread_catches_up_first(*keys: str) -> list[Any]:
        # What a concurrent request's `generation()` does while this one waits on Redis.
        with app.app_context():
            cache_module.generation(ARTICLE_LISTS)
        return read_many(*keys)

    monkeypatch.setattr(backend, "get_many", another_thread_catches_up_first)

    assert _count(app) == 2


def test_a_counter_that_is_not_a_number_is_a_miss_not_an_error(make_app, redis_client):
    app = make_app(announcements=False)
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    assert _count(app) == 1
    key = app.config["CACHE_KEY_PREFIX"] + f"generation:{ARTICLE_LISTS}"
    redis_client.set(key, "not a number")
    _sneak_in_article(app)

    assert _count(app) == 2
