"""A cache where an outage is only a miss.

Flask-Caching raises when Redis is down or hung on direct `get`/`set`/`delete`;
every use goes through these wrappers instead, so a broken cache sends requests
to the database rather than failing them. Values are plain data (lists of
strings, HTML text, read models), never ORM objects. What is personal (a
viewer's favorites and follows, app/services/marks.py) is kept under a key of
that viewer's own and never shown to anyone else.
"""

from __future__ import annotations

import os
import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import structlog
from flask import Flask, current_app
from redis.exceptions import RedisError

from app.extensions import cache
from app.services.generation_watch import GenerationWatch, Ticket

T = TypeVar("T")
V = TypeVar("V")
# An entry's family, or the families it depends on (current while all of theirs are).
Families = str | tuple[str, ...]

log = structlog.get_logger(__name__)

GENERATIONS_EXTENSION = "conduit_cache_generations"
LOCAL_ENTRIES_EXTENSION = "conduit_cache_local_entries"
WATCH_EXTENSION = "conduit_cache_generation_watch"
# The channel on which new generations are announced (app/services/generation_watch.py),
# after the key prefix; versioned like the families, should what it carries change.
ANNOUNCEMENTS = "announced-generations-v1"
# The family of cached list pages: every write that changes what a list shows
# (an article, its tags or favorites count, its author's profile) starts a new one.
# The version is part of the name: a release that changes what a cached page holds
# raises it, so that it never meets the entries of the release before.
ARTICLE_LISTS = "article-lists-v2"
# How many families' generations a process remembers (one per recent viewer).
MAX_GENERATIONS_SEEN = 65_536

# What a failing cache backend can raise: redis-py's errors and socket errors; and
# what reading an entry written by another release can raise (a class that changed
# shape or moved). Either way the entry is a miss, never a failed request.
CACHE_ERRORS = (
    RedisError,
    OSError,
    pickle.UnpicklingError,
    AttributeError,
    TypeError,
    ValueError,
    ImportError,
    EOFError,
)


def cached(key: str, compute: Callable[[], T], *, timeout: int) -> T:
    """The cached value at `key`, or `compute()` (then stored for `timeout` seconds)."""
    try:
        hit = cache.get(key)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="get", error=type(error).__name__)
        return compute()
    if hit is not None:
        value: T = hit
        return value
    value = compute()
    put(key, value, timeout=timeout)
    return value


COUNTER_PREFIX = "generation:"


def _counter_key(family: str) -> str:
    return f"{COUNTER_PREFIX}{family}"


def generation(family: str) -> int | None:
    """The current generation of a family of entries, or None while the cache is down.

    Entries of a family carry its generation in their keys; a write that makes them
    all stale starts a new generation (`new_generation`) instead of deleting them.
    A reader that computed a value before that write and stores it afterwards
    stores it under the old generation, where nobody looks any more: unlike
    delete-then-recompute, no stale value can outlive the write.
    """
    key = _counter_key(family)
    try:
        current = cache.get(key)
        if current is None:
            # A random start: should the key be evicted, no old entry matches again.
            cache.add(key, secrets.randbits(48), timeout=0)
            current = cache.get(key)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="get", error=type(error).__name__)
        return None
    current = _as_generation(current)
    if current is None:
        return None
    seen = _generations_seen()
    if len(seen) >= MAX_GENERATIONS_SEEN and family not in seen:
        # Forgetting what was seen costs only a round trip per family seen again.
        seen.clear()
    seen[family] = current
    return current


def _as_generation(value: object) -> int | None:
    """A counter's value as read from the cache; None when absent or not a number."""
    if not isinstance(value, int | str | bytes):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _generations_seen() -> dict[str, int]:
    """The generation of each family this app process last found current."""
    seen: dict[str, int] = current_app.extensions.setdefault(GENERATIONS_EXTENSION, {})
    return seen


def _families(families: Families) -> tuple[str, ...]:
    return (families,) if isinstance(families, str) else families


def _entry_key(families: tuple[str, ...], name: str, generations: tuple[int, ...]) -> str:
    where = zip(families, generations, strict=True)
    return ":".join(f"{family}:{number}" for family, number in where) + f":{name}"


def monotonic_clock() -> float:
    """Seconds on the monotonic clock (looked up on each call, so tests can move it)."""
    return time.monotonic()


def wall_clock() -> float:
    """Seconds since the epoch (looked up on each call, so tests can move it)."""
    return time.time()


class ExpiringLRU(Generic[V]):
    """At most `size` values, each until its deadline on `clock`; the least recently
    used go first beyond `size`. Safe to share between threads."""

    def __init__(self, size: int, *, clock: Callable[[], float]) -> None:
        self._size = size
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: V, *, expires_at: float) -> None:
        with self._lock:
            self._entries[key] = (expires_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


class LocalEntries:
    """Entries of a generation this process already holds, for as long as Redis keeps them.

    An entry of a generation never changes: while the generation is current, a
    copy in this process is as good as the one in Redis, without its transfer
    and unpickling (which had cost a cached list page more than serialising it).
    Which generation is current comes from Redis on every read, or from the
    announcements this process trusts (`get_in_generations`). A copy lives
    `timeout` seconds from when this process got it, so at most twice as long as
    the entry in Redis (which only matters after a write that could not reach
    Redis); the least recently used go first beyond `size`.
    """

    def __init__(self, size: int = 128) -> None:
        self._entries: ExpiringLRU[object] = ExpiringLRU(size, clock=monotonic_clock)

    def get(self, key: str) -> object | None:
        return self._entries.get(key)

    def put(self, key: str, value: object, *, timeout: int) -> None:
        self._entries.put(key, value, expires_at=time.monotonic() + timeout)


def _local_entries() -> LocalEntries:
    entries: LocalEntries | None = current_app.extensions.get(LOCAL_ENTRIES_EXTENSION)
    if entries is None:
        entries = current_app.extensions.setdefault(LOCAL_ENTRIES_EXTENSION, LocalEntries())
    return entries


def get_in_generations(
    wanted: Sequence[tuple[Families, str]], *, timeout: int
) -> list[tuple[str | None, object | None]]:
    """For each (families, name) in `wanted`: the key of that entry in the current
    generation of its family (or families: an entry that depends on several is
    current only while all of theirs are) and its value (None if absent);
    (None, None) while the cache is down.

    With announcements (app/services/generation_watch.py), an entry whose
    generations this process trusts and holds a copy of costs no round trip.
    Otherwise the generation this process saw last is usually still current. Each
    entry is then taken from this process's copy (`LocalEntries`), or else read
    from Redis and kept for `timeout` seconds: the generations and the entries
    this process lacks are read together in one round trip (MGET reads them at the
    same instant). Only a family whose generation changed, or that this process
    has not seen yet, costs more round trips.
    """
    families = [_families(item) for item, _name in wanted]
    watch = _watch()
    ticket = watch.open() if watch is not None else None
    found: list[tuple[str | None, object | None] | None] = [None] * len(wanted)
    if watch is not None and ticket is not None:
        found = _trusted_copies(watch, families, [name for _item, name in wanted])
        if all(entry is not None for entry in found):
            return [entry for entry in found if entry is not None]
    # One look at what this process saw: other threads may change it meanwhile, and
    # the keys read and the generations checked must be the same ones.
    seen = _generations_seen()
    expected: dict[int, tuple[int, ...]] = {}
    for index, item in enumerate(families):
        if found[index] is not None:
            continue
        numbers = [seen.get(family) for family in item]
        if all(number is not None for number in numbers):
            expected[index] = tuple(number for number in numbers if number is not None)
    if expected:
        keys = {
            index: _entry_key(families[index], wanted[index][1], numbers)
            for index, numbers in expected.items()
        }
        local = {index: _local_entries().get(key) for index, key in keys.items()}
        counters = list(
            dict.fromkeys(_counter_key(family) for index in expected for family in families[index])
        )
        missing = [key for index, key in keys.items() if local[index] is None]
        try:
            read = dict(
                zip([*counters, *missing], cache.get_many(*counters, *missing), strict=True)
            )
        except CACHE_ERRORS as error:
            log.warning("cache unavailable", operation="get", error=type(error).__name__)
            return [(None, None)] * len(wanted)
        if watch is not None and ticket is not None:
            watch.learn(ticket, _numbers_read(read, counters))
        for index, numbers in expected.items():
            current = tuple(
                _as_generation(read[_counter_key(family)]) for family in families[index]
            )
            if current != numbers:
                continue
            copy = local[index]
            value = copy if copy is not None else read[keys[index]]
            if copy is None and value is not None:
                _local_entries().put(keys[index], value, timeout=timeout)
            found[index] = (keys[index], value)
    return [
        entry
        if entry is not None
        else _get_in_latest_generations(
            families[index], wanted[index][1], timeout=timeout, watch=watch, ticket=ticket
        )
        for index, entry in enumerate(found)
    ]


def _trusted_copies(
    watch: GenerationWatch, families: list[tuple[str, ...]], names: list[str]
) -> list[tuple[str | None, object | None] | None]:
    """This process's copies of the entries whose generations it trusts (None elsewhere)."""
    found: list[tuple[str | None, object | None] | None] = []
    for item, name in zip(families, names, strict=True):
        trusted = watch.trusted(item)
        key = _entry_key(item, name, trusted) if trusted is not None else None
        copy = _local_entries().get(key) if key is not None else None
        found.append((key, copy) if copy is not None else None)
    return found


def _numbers_read(read: dict[str, object], counters: list[str]) -> dict[str, int]:
    """The generations among what was read, by family."""
    numbers = {}
    for counter in counters:
        number = _as_generation(read[counter])
        if number is not None:
            numbers[counter.removeprefix(COUNTER_PREFIX)] = number
    return numbers


def _get_in_latest_generations(
    families: tuple[str, ...],
    name: str,
    *,
    timeout: int,
    watch: GenerationWatch | None,
    ticket: Ticket | None,
) -> tuple[str | None, object | None]:
    latest = []
    for family in families:
        number = generation(family)
        if number is None:
            return None, None
        latest.append(number)
    if watch is not None and ticket is not None:
        watch.learn(ticket, dict(zip(families, latest, strict=True)))
    key = _entry_key(families, name, tuple(latest))
    value = get(key)
    if value is not None:
        _local_entries().put(key, value, timeout=timeout)
    return key, value


def put_in_generation(key: str, value: object, *, timeout: int) -> None:
    """Store `value` at `key` (from `get_in_generations`) for `timeout` seconds, in Redis
    and in this process."""
    put(key, value, timeout=timeout)
    _local_entries().put(key, value, timeout=timeout)


def new_generation(family: str) -> None:
    """Make every entry of `family` stale at once (atomic across processes with Redis),
    and announce it to them when they listen (`CACHE_ANNOUNCEMENTS`)."""
    key = _counter_key(family)
    watch = _watch()
    if watch is not None:
        try:
            watch.announce(current_app.config["CACHE_KEY_PREFIX"] + key, family)
        except CACHE_ERRORS as error:
            # Refused (an ACL without PUBLISH) or failed: start the generation all
            # the same, for the processes that ask Redis on every read.
            log.warning("cache announcement failed", error=type(error).__name__)
        else:
            return
    try:
        # A lost generation restarts at random, never at 1, where old entries may wait.
        cache.add(key, secrets.randbits(48), timeout=0)
        cache.cache.inc(key)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="inc", error=type(error).__name__)


_watch_lock = threading.Lock()


def close_watch(app: Flask) -> None:
    """Close `app`'s subscription to announced generations, if it has one (done with it)."""
    watch: GenerationWatch | None = app.extensions.pop(WATCH_EXTENSION, None)
    if watch is not None:
        watch.close()


def _watch() -> GenerationWatch | None:
    """This process's watch of announced generations; None unless they are on."""
    watch: GenerationWatch | None = current_app.extensions.get(WATCH_EXTENSION)
    if watch is not None and watch.pid == os.getpid():
        return watch
    config = current_app.config
    if not config["CACHE_ANNOUNCEMENTS"]:
        return None
    with _watch_lock:
        watch = current_app.extensions.get(WATCH_EXTENSION)
        # A process forked from one that watched starts a watch of its own.
        if watch is None or watch.pid != os.getpid():
            watch = GenerationWatch(
                config["CACHE_REDIS_URL"],
                channel=config["CACHE_KEY_PREFIX"] + ANNOUNCEMENTS,
                socket_timeout=config["CACHE_OPTIONS"].get("socket_timeout", 0.25),
                clock=time.monotonic,
                max_trusted=MAX_GENERATIONS_SEEN,
            )
            current_app.extensions[WATCH_EXTENSION] = watch
    return watch


def get(key: str) -> object | None:
    """The value at `key`, or None when absent or the cache is down."""
    try:
        return cache.get(key)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="get", error=type(error).__name__)
        return None


def put(key: str, value: object, *, timeout: int) -> None:
    """Store `value` at `key` for `timeout` seconds; a failure only logs."""
    try:
        cache.set(key, value, timeout=timeout)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="set", error=type(error).__name__)
