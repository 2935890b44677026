"""A cache for what is the same for every viewer, where an outage is only a miss.

Flask-Caching raises when Redis is down or hung on direct `get`/`set`/`delete`;
every use goes through these wrappers instead, so a broken cache sends requests
to the database rather than failing them. Values are plain data (lists of
strings, HTML text), never ORM objects and never anything personal.
"""

from __future__ import annotations

import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TypeVar

import structlog
from flask import current_app
from redis.exceptions import RedisError

from app.extensions import cache

T = TypeVar("T")

log = structlog.get_logger(__name__)

GENERATIONS_EXTENSION = "conduit_cache_generations"
LOCAL_ENTRIES_EXTENSION = "conduit_cache_local_entries"
# The family of cached list pages: every write that changes what a list shows
# (an article, its tags or favorites count, its author's profile) starts a new one.
# The version is part of the name: a release that changes what a cached page holds
# raises it, so that it never meets the entries of the release before.
ARTICLE_LISTS = "article-lists-v1"
# A generation counter lives this long from its creation (writes do not extend it):
# a family's counter that expires restarts at random, which costs only one miss of
# each of its entries, and the counters of families nobody reads any more (a viewer
# gone for good) do not stay in Redis for ever.
GENERATION_SECONDS = 24 * 3600
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


def forget(*keys: str) -> None:
    """Drop `keys` (for every app process sharing the cache); a failure only logs.

    While the cache is down nothing is read from it; entries it could not drop
    expire on their own, so a stale value outlives an outage by at most its timeout.
    """
    try:
        cache.delete_many(*keys)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="delete", error=type(error).__name__)


def _counter_key(family: str) -> str:
    return f"generation:{family}"


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
            cache.add(key, secrets.randbits(48), timeout=GENERATION_SECONDS)
            current = cache.get(key)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="get", error=type(error).__name__)
        return None
    if current is None:
        return None
    seen = _generations_seen()
    if len(seen) >= MAX_GENERATIONS_SEEN and family not in seen:
        # Forgetting what was seen costs only a round trip per family seen again.
        seen.clear()
    seen[family] = int(current)
    return int(current)


def _generations_seen() -> dict[str, int]:
    """The generation of each family this app process last found current."""
    seen: dict[str, int] = current_app.extensions.setdefault(GENERATIONS_EXTENSION, {})
    return seen


def _entry_key(family: str, name: str, generation: int) -> str:
    return f"{family}:{generation}:{name}"


class LocalEntries:
    """Entries of a generation this process already holds, for as long as Redis keeps them.

    An entry of a generation never changes: while the generation is current, a
    copy in this process is as good as the one in Redis, without its transfer
    and unpickling (which had cost a cached list page more than serialising it).
    Redis still says which generation is current, on every read. A copy lives
    `timeout` seconds from when this process got it, as the entry does in Redis;
    the least recently used go first beyond `size`.
    """

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> object | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: object, *, timeout: int) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + timeout, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def _local_entries() -> LocalEntries:
    entries: LocalEntries = current_app.extensions.setdefault(
        LOCAL_ENTRIES_EXTENSION, LocalEntries()
    )
    return entries


def get_in_generations(
    wanted: Sequence[tuple[str, str]], *, timeout: int
) -> list[tuple[str | None, object | None]]:
    """For each (family, name) in `wanted`: the key of that entry in the family's
    current generation and its value (None if absent); (None, None) while the cache
    is down.

    The generation this process saw last is usually still current. Each entry is
    then taken from this process's copy (`LocalEntries`), or else read from Redis
    and kept for `timeout` seconds: the generations and the entries this process
    lacks are read together in one round trip (MGET reads them at the same
    instant). Only a changed or unseen generation costs more round trips.
    """
    found: list[tuple[str | None, object | None] | None] = [None] * len(wanted)
    seen = _generations_seen()
    if all(family in seen for family, _ in wanted):
        keys = [_entry_key(family, name, seen[family]) for family, name in wanted]
        local = [_local_entries().get(key) for key in keys]
        counters = list(dict.fromkeys(_counter_key(family) for family, _ in wanted))
        missing = [key for key, value in zip(keys, local, strict=True) if value is None]
        try:
            read = dict(
                zip([*counters, *missing], cache.get_many(*counters, *missing), strict=True)
            )
        except CACHE_ERRORS as error:
            log.warning("cache unavailable", operation="get", error=type(error).__name__)
            return [(None, None)] * len(wanted)
        for index, ((family, _name), key, copy) in enumerate(zip(wanted, keys, local, strict=True)):
            current = read[_counter_key(family)]
            if current is None or int(current) != seen[family]:
                continue
            value = copy if copy is not None else read[key]
            if copy is None and value is not None:
                _local_entries().put(key, value, timeout=timeout)
            found[index] = (key, value)
    return [
        entry if entry is not None else _get_in_latest_generation(family, name, timeout=timeout)
        for entry, (family, name) in zip(found, wanted, strict=True)
    ]


def _get_in_latest_generation(
    family: str, name: str, *, timeout: int
) -> tuple[str | None, object | None]:
    latest = generation(family)
    if latest is None:
        return None, None
    key = _entry_key(family, name, latest)
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
    """Make every entry of `family` stale at once (atomic across processes with Redis)."""
    key = _counter_key(family)
    try:
        # A lost generation restarts at random, never at 1, where old entries may wait.
        cache.add(key, secrets.randbits(48), timeout=GENERATION_SECONDS)
        cache.cache.inc(key)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="inc", error=type(error).__name__)


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
