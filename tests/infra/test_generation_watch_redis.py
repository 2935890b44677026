"""Announced generations (app/services/generation_watch.py): a process that listens
uses its own copies without asking Redis, and never misses a write that answered
before its request began, whether the announcement arrived or the subscription
was lost meanwhile.

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from redis.client import PubSub

from app.extensions import cache
from app.services import cache as cache_module
from app.services import generation_watch
from app.services.generation_watch import FRESH_SECONDS, PING_SECONDS, GenerationWatch, Ticket
from tests.api.helpers import create_article
from tests.conftest import auth_headers
from tests.factories import ArticleFactory, UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import CLOSED_PORT_REDIS, Clock, SplittingProxy, configured


@pytest.fixture
def channel() -> str:
    return f"conduit-watch-{secrets.token_hex(4)}:announced"


@pytest.fixture
def make_watch(channel: str, clock: Clock) -> Iterator[Callable[..., GenerationWatch]]:
    """Watches of one channel, as app processes have, on the test Redis and the test's clock."""
    made: list[GenerationWatch] = []

    def make(
        url: str = REDIS_URL or "", *, max_trusted: int = 100, socket_timeout: float = 0.5
    ) -> GenerationWatch:
        watch = GenerationWatch(
            url,
            channel=channel,
            socket_timeout=socket_timeout,
            clock=clock,
            max_trusted=max_trusted,
        )
        made.append(watch)
        return watch

    yield make
    for watch in made:
        watch.close()


def _kill_subscription(redis_client: redis.Redis, name: str) -> None:
    """Close the subscribed connection named `name` from the server's side."""
    subscribed = [
        client for client in redis_client.client_list(_type="pubsub") if client["name"] == name
    ]
    assert len(subscribed) == 1
    redis_client.client_kill_filter(_id=subscribed[0]["id"])


def _once_answered(watch: GenerationWatch) -> Ticket | None:
    """The ticket `watch` gives once Redis has answered its ping (a loopback round trip)."""
    deadline = time.monotonic() + 5
    while (ticket := watch.open()) is None and time.monotonic() < deadline:
        continue
    return ticket


def test_a_generation_read_while_subscribed_is_trusted_until_announced(make_watch, channel):
    reader, writer = make_watch(), make_watch()
    ticket = reader.open()
    assert ticket is not None
    reader.learn(ticket, {"lists": 7, "tags": 3})

    writer.announce(f"{channel}:counter", "lists")
    reader.open()

    assert reader.trusted(("lists",)) is None
    assert reader.trusted(("tags",)) == (3,)
    assert reader.trusted(("tags", "lists")) is None


def test_a_generation_read_while_an_announcement_came_in_is_not_trusted(make_watch, channel):
    # The read may have reached Redis before the write it announces.
    reader, writer = make_watch(), make_watch()
    before = reader.open()
    assert before is not None
    writer.announce(f"{channel}:counter", "lists")
    after = reader.open()
    assert after is not None

    reader.learn(before, {"lists": 7})
    assert reader.trusted(("lists",)) is None

    reader.learn(after, {"lists": 8})
    assert reader.trusted(("lists",)) == (8,)


def test_announcing_starts_a_new_generation_at_random_then_counts(make_watch, channel):
    watch = make_watch()
    counter = f"{channel}:counter"
    client = redis.Redis.from_url(REDIS_URL or "")
    try:
        watch.announce(counter, "lists")
        first = int(client.get(counter) or 0)
        watch.announce(counter, "lists")
        second = int(client.get(counter) or 0)
        client.delete(counter)
    finally:
        client.close()

    assert first > 1_000
    assert second == first + 1


def test_a_lost_subscription_forgets_what_was_trusted_until_it_is_back(
    make_watch, channel, redis_client, clock
):
    watch = make_watch()
    ticket = watch.open()
    assert ticket is not None
    watch.learn(ticket, {"lists": 7})

    _kill_subscription(redis_client, channel)

    assert watch.open() is None
    assert watch.trusted(("lists",)) is None
    # A ticket from before the loss teaches nothing.
    watch.learn(ticket, {"lists": 7})
    assert watch.trusted(("lists",)) is None

    clock.now += generation_watch.RETRY_SECONDS
    again = watch.open()
    assert again is not None
    assert again != ticket


def test_a_failed_subscription_is_tried_again_only_after_a_while(make_watch, clock):
    watch = make_watch(CLOSED_PORT_REDIS)

    assert watch.open() is None
    clock.now += generation_watch.RETRY_SECONDS / 2
    assert watch.open() is None
    clock.now += generation_watch.RETRY_SECONDS
    assert watch.open() is None


def test_trust_lapses_while_no_ping_was_answered_lately(make_watch, clock):
    watch = make_watch()
    ticket = watch.open()
    assert ticket is not None
    watch.learn(ticket, {"lists": 7})

    # Idle for longer than FRESH_SECONDS: this read sends a ping and is not trusted...
    clock.now += FRESH_SECONDS + 1
    assert watch.open() is None
    # ...and once the answer has come in, what was trusted still is: nothing was missed.
    assert _once_answered(watch) == ticket
    assert watch.trusted(("lists",)) == (7,)


def test_a_ping_left_unanswered_loses_the_subscription(make_watch, clock, monkeypatch):
    watch = make_watch()
    ticket = watch.open()
    assert ticket is not None
    watch.learn(ticket, {"lists": 7})
    # A ping that never reaches Redis, as over a connection that died silently.
    monkeypatch.setattr(PubSub, "ping", lambda _self, _message=None: None)

    clock.now += PING_SECONDS
    assert watch.open() == ticket, "pinged now, answered a second ago"
    clock.now += FRESH_SECONDS

    assert watch.open() is None
    assert watch.trusted(("lists",)) is None


def test_after_a_backlog_of_announcements_trust_waits_for_a_ping(make_watch, channel):
    # Redis may still hold announcements that did not fit in the connection's
    # buffers: only the answer to a ping sent after them says all have arrived.
    reader, writer = make_watch(), make_watch()
    ticket = reader.open()
    assert ticket is not None
    reader.learn(ticket, {"lists": 7})
    for _ in range(generation_watch.BACKLOG):
        writer.announce(f"{channel}:counter", "tags")

    assert reader.open() is None

    assert _once_answered(reader) is not None
    assert reader.trusted(("lists",)) == (7,)


def test_an_announcement_that_arrives_in_two_packets_is_waited_for(make_watch, channel):
    # Over a network a message may come in pieces: the subscription is not lost for it.
    port = redis.Redis.from_url(REDIS_URL or "").connection_pool.connection_kwargs["port"]
    proxy = SplittingProxy(port)
    try:
        reader = make_watch(proxy.url(database=15))
        writer = make_watch()
        ticket = reader.open()
        assert ticket is not None
        reader.learn(ticket, {"lists": 7})
        proxy.first_half_sent.clear()

        writer.announce(f"{channel}:counter", "lists")
        assert proxy.first_half_sent.wait(timeout=5)

        assert reader.open() == (ticket.subscription, ticket.announcements + 1)
        assert reader.trusted(("lists",)) is None
    finally:
        proxy.close()


def test_an_announcement_that_is_not_text_is_no_error(make_watch, channel, redis_client):
    watch = make_watch()
    ticket = watch.open()
    assert ticket is not None

    redis_client.publish(channel, b"\xff\xfe")

    assert watch.open() == (ticket.subscription, ticket.announcements + 1)


def test_what_a_process_trusts_is_bounded(make_watch):
    watch = make_watch(max_trusted=2)
    ticket = watch.open()
    assert ticket is not None

    watch.learn(ticket, {"a": 1, "b": 2})
    watch.learn(ticket, {"c": 3})

    assert watch.trusted(("c",)) == (3,)
    assert watch.trusted(("a",)) is None


def test_a_hung_redis_gives_no_ticket_within_the_socket_timeout(make_watch, hung_redis):
    watch = make_watch(hung_redis.url, socket_timeout=0.05)
    started = time.monotonic()

    assert watch.open() is None
    assert watch.open() is None, "tried again at once"

    assert time.monotonic() - started < 1
    assert len(hung_redis.connections) == 1


def test_a_redis_that_is_down_gives_no_ticket_and_refuses_announcements(make_watch):
    watch = make_watch(CLOSED_PORT_REDIS)

    assert watch.open() is None
    with pytest.raises(redis.ConnectionError):
        watch.announce("counter", "lists")


# The same through the app: lists cached in Redis, apps sharing one database.


LIST_SECONDS = 300


@pytest.fixture
def make_app(build: Callable[..., Flask], shared_database: dict[str, str]) -> Callable[[], Flask]:
    """Apps that cache lists, announce generations and share a database, Redis and prefix."""
    prefix = f"conduit-watch-{secrets.token_hex(4)}:cache:"
    config = configured(
        {**shared_database, "TEST_REDIS_URL": REDIS_URL or ""},
        CACHE_KEY_PREFIX=prefix,
        LIST_CACHE_SECONDS=LIST_SECONDS,
    )
    return lambda: build(config)


def _count(app: Flask, headers: dict[str, str] | None = None) -> int:
    response = app.test_client().get("/api/articles", headers=headers or {})
    assert response.status_code == 200
    count: int = response.json["articlesCount"]
    return count


def _sneak_in_article(app: Flask) -> None:
    """A row the services never saw: only a list read from the database shows it."""
    with app.app_context():
        ArticleFactory()


def _cache_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls the app makes to its cache backend from now on."""
    trips: list[str] = []
    backend = cache.cache
    for name in ("get", "get_many", "add", "set", "inc"):
        original = getattr(backend, name)
        monkeypatch.setattr(
            backend,
            name,
            lambda *args, _name=name, _original=original, **kwargs: (
                trips.append(_name) or _original(*args, **kwargs)
            ),
        )
    return trips


def test_a_cached_page_or_tag_list_costs_no_round_trip_once_trusted(make_app, monkeypatch):
    app = make_app()
    headers = auth_headers(UserFactory(username="jake"))
    create_article(app.test_client(), headers, tag_list=["dragons"])
    assert _count(app) == 1
    assert _count(app, headers) == 1
    assert app.test_client().get("/api/tags").json == {"tags": ["dragons"]}
    trips = _cache_trips(monkeypatch)

    assert _count(app) == 1
    assert _count(app, headers) == 1
    assert app.test_client().get("/api/tags").json == {"tags": ["dragons"]}

    assert trips == []


def test_a_write_in_another_process_is_seen_by_the_next_read(make_app):
    app, writer = make_app(), make_app()
    headers = auth_headers(UserFactory(username="jake"))
    create_article(writer.test_client(), headers)
    assert _count(app) == 1
    _sneak_in_article(app)
    assert _count(app) == 1, "served from the process's copy"

    create_article(writer.test_client(), headers, title="Another")

    assert _count(app) == 3


def test_a_write_while_the_subscription_was_lost_is_not_missed(make_app, redis_client):
    app, writer = make_app(), make_app()
    # Signed in through the reader (issuing a token reads the cache), so that only
    # the reader subscribes: the writer only announces.
    with app.app_context():
        headers = auth_headers(UserFactory(username="jake"))
    create_article(writer.test_client(), headers)
    assert _count(app) == 1
    _kill_subscription(redis_client, app.config["CACHE_KEY_PREFIX"] + cache_module.ANNOUNCEMENTS)

    create_article(writer.test_client(), headers, title="Another")

    assert _count(app) == 2


def test_without_announcements_every_read_asks_redis(build, shared_database, monkeypatch):
    app = build(
        configured(
            {**shared_database, "TEST_REDIS_URL": REDIS_URL or ""},
            LIST_CACHE_SECONDS=LIST_SECONDS,
            CACHE_ANNOUNCEMENTS=False,
        )
    )
    create_article(app.test_client(), auth_headers(UserFactory(username="jake")))
    assert _count(app) == 1
    trips = _cache_trips(monkeypatch)

    assert _count(app) == 1
    create_article(app.test_client(), auth_headers(UserFactory(username="finn")))

    assert trips[0] == "get_many"
    assert "inc" in trips, "the write started a new generation through the cache"
    assert cache_module.WATCH_EXTENSION not in app.extensions


def test_a_forked_process_starts_a_watch_of_its_own(make_app):
    app = make_app()
    assert _count(app) == 0
    inherited = app.extensions[cache_module.WATCH_EXTENSION]
    inherited.pid = -1  # as seen from a child process

    assert _count(app) == 0

    assert app.extensions[cache_module.WATCH_EXTENSION] is not inherited


@pytest.fixture
def no_pubsub_redis_url(redis_client: redis.Redis) -> Iterator[str]:
    """The test Redis as a user its ACL forbids PUBLISH and SUBSCRIBE (as some hosted
    Redis and proxies do)."""
    user = f"conduit-test-{secrets.token_hex(4)}"
    redis_client.acl_setuser(
        user, enabled=True, nopass=True, keys=["*"], categories=["+@all", "-@pubsub"]
    )
    url = redis.connection.parse_url(REDIS_URL or "")
    yield f"redis://{user}:any@{url['host']}:{url['port']}/{url.get('db', 0)}"
    redis_client.acl_deluser(user)


def test_writes_still_make_lists_stale_where_redis_refuses_announcements(
    build, shared_database, no_pubsub_redis_url, redis_client
):
    prefix = f"conduit-watch-{secrets.token_hex(4)}:cache:"
    config = configured(
        {**shared_database, "TEST_REDIS_URL": no_pubsub_redis_url},
        CACHE_KEY_PREFIX=prefix,
        LIST_CACHE_SECONDS=LIST_SECONDS,
    )
    app, writer = build(config), build(config)
    headers = auth_headers(UserFactory(username="jake"))
    try:
        create_article(writer.test_client(), headers)
        assert _count(app) == 1
        _sneak_in_article(app)

        create_article(writer.test_client(), headers, title="Another")

        assert _count(app) == 3
    finally:
        keys = list(redis_client.scan_iter(match=f"{prefix}*"))
        if keys:
            redis_client.delete(*keys)
