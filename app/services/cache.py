"""A cache for what is the same for every viewer, where an outage is only a miss.

Flask-Caching raises when Redis is down or hung on direct `get`/`set`/`delete`;
every use goes through these wrappers instead, so a broken cache sends requests
to the database rather than failing them. Values are plain data (lists of
strings, HTML text), never ORM objects and never anything personal.
"""

from __future__ import annotations

import pickle
import secrets
from collections.abc import Callable
from typing import TypeVar

import structlog
from flask import current_app
from redis.exceptions import RedisError

from app.extensions import cache

T = TypeVar("T")

log = structlog.get_logger(__name__)

GENERATIONS_EXTENSION = "conduit_cache_generations"
# The family of cached list pages: every write that changes what a list shows
# (an article, its tags or favorites count, its author's profile) starts a new one.
# The version is part of the name: a release that changes what a cached page holds
# raises it, so that it never meets the entries of the release before.
ARTICLE_LISTS = "article-lists-v1"

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
            cache.add(key, secrets.randbits(48), timeout=0)
            current = cache.get(key)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="get", error=type(error).__name__)
        return None
    if current is None:
        return None
    _generations_seen()[family] = int(current)
    return int(current)


def _generations_seen() -> dict[str, int]:
    """The generation of each family this app process last found current."""
    seen: dict[str, int] = current_app.extensions.setdefault(GENERATIONS_EXTENSION, {})
    return seen


def _entry_key(family: str, name: str, generation: int) -> str:
    return f"{family}:{generation}:{name}"


def get_in_generation(family: str, name: str) -> tuple[str | None, object | None]:
    """The key of entry `name` in the family's current generation and its value (None
    if absent); (None, None) while the cache is down.

    The generation this process saw last is usually still current: the generation
    and the entry are then read together, in one round trip (MGET reads both at
    the same instant), and only a changed generation costs a second one.
    """
    seen = _generations_seen().get(family)
    if seen is not None:
        key = _entry_key(family, name, seen)
        try:
            current, value = cache.get_many(_counter_key(family), key)
        except CACHE_ERRORS as error:
            log.warning("cache unavailable", operation="get", error=type(error).__name__)
            return None, None
        if current is not None and int(current) == seen:
            return key, value
    latest = generation(family)
    if latest is None:
        return None, None
    key = _entry_key(family, name, latest)
    return key, get(key)


def new_generation(family: str) -> None:
    """Make every entry of `family` stale at once (atomic across processes with Redis)."""
    key = _counter_key(family)
    try:
        # A lost generation restarts at random, never at 1, where old entries may wait.
        cache.add(key, secrets.randbits(48), timeout=0)
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
