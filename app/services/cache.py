"""A cache for what is the same for every viewer, where an outage is only a miss.

Flask-Caching raises when Redis is down or hung on direct `get`/`set`/`delete`;
every use goes through these wrappers instead, so a broken cache sends requests
to the database rather than failing them. Values are plain data (lists of
strings, HTML text), never ORM objects and never anything personal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import structlog
from redis.exceptions import RedisError

from app.extensions import cache

T = TypeVar("T")

log = structlog.get_logger(__name__)

# What a failing cache backend can raise: redis-py's errors, and socket errors.
CACHE_ERRORS = (RedisError, OSError)


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
    try:
        cache.set(key, value, timeout=timeout)
    except CACHE_ERRORS as error:
        log.warning("cache unavailable", operation="set", error=type(error).__name__)
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
