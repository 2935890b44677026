"""The cache: read through by key with a loader; invalidate what a write changed.

Two kinds of entries:

- `cached(key, compute)`: values that never go stale because the key names the
  content (`content_key`: rendered markdown and a body's words, by the digest of
  its text).
- `read_through(family, name, load)` and `invalidate(family)`: values that a
  write changes (the tag list, an account's credentials generation). Each family
  has a generation counter; its entries carry the generation in their keys, and a
  write starts a new generation after its commit instead of deleting entries. A
  reader that loaded a value before that write and stores it afterwards stores it
  under the old generation, where nobody looks any more: no stale value can
  outlive the write (a delete-then-recompute cache cannot promise that).

A process remembers the generation it saw last of each family, so a read is one
round trip (MGET of the counter and the entry) while the family is unchanged.
Within a process, one thread loads a missing entry and the others that miss it
meanwhile wait for its value (`_LoadsInFlight`): when the comments of a popular
article went stale (4,945 of them, 110 ms to read and render at 1,000,000
articles), every thread that asked for them loaded them at once. A value loaded
once is shared by those threads: values are read-only.
An outage is only a miss: Flask-Caching raises when Redis is down on direct
`get`/`set`, and every use goes through here, so requests go to the database
rather than failing. Values are plain data, never ORM objects.
"""

from __future__ import annotations

import hashlib
import pickle
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar, cast

import structlog
from flask import current_app
from redis.exceptions import RedisError

from app.extensions import cache
from app.metrics import record_cache_lookup

T = TypeVar("T")

log = structlog.get_logger(__name__)

GENERATIONS_EXTENSION = "conduit_cache_generations"
COUNTER_PREFIX = "generation:"
# How many families' generations a process remembers (one per recent account).
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


def _unavailable(operation: str, error: Exception) -> None:
    log.warning("cache unavailable", operation=operation, error=type(error).__name__)


def content_key(kind: str, text: str) -> str:
    """A key for `cached` that names `text` itself: its kind, then its digest."""
    return f"{kind}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


def cached(key: str, compute: Callable[[], T], *, timeout: int) -> T:
    """The value at `key` (which names its content), or `compute()`, then stored."""
    try:
        hit = cache.get(key)
    except CACHE_ERRORS as error:
        _unavailable("get", error)
        record_cache_lookup(hit=False)
        return compute()
    record_cache_lookup(hit=hit is not None)
    if hit is not None:
        value: T = hit
        return value
    value = compute()
    _put(key, value, timeout=timeout)
    return value


def read_through(family: str, name: str, load: Callable[[], T], *, timeout: int) -> T:
    """The entry `name` of `family` in its current generation, or `load()`, then stored
    there for `timeout` seconds (unless it is None)."""
    counter = COUNTER_PREFIX + family
    seen = _generations_seen()
    guess = seen.get(family)
    try:
        if guess is None:
            current, value = _as_generation(cache.get(counter)), None
        else:
            read = cache.get_many(counter, _entry_key(family, guess, name))
            current, value = _as_generation(read[0]), read[1]
        if current is None:
            # A random start: should the counter be evicted, no old entry matches again.
            cache.add(counter, secrets.randbits(48), timeout=0)
            current = _as_generation(cache.get(counter))
        if current is not None and current != guess:
            value = cache.get(_entry_key(family, current, name))
    except CACHE_ERRORS as error:
        _unavailable("get", error)
        record_cache_lookup(hit=False)
        return load()
    if current is None:
        # A backend that keeps nothing (NullCache).
        return load()
    record_cache_lookup(hit=value is not None)
    if len(seen) >= MAX_GENERATIONS_SEEN and family not in seen:
        # Forgetting what was seen costs only a round trip per family seen again.
        seen.clear()
    seen[family] = current
    if value is not None:
        hit: T = value
        return hit
    key = _entry_key(family, current, name)

    def load_and_store() -> T:
        loaded = load()
        if loaded is not None:
            _put(key, loaded, timeout=timeout)
        return loaded

    return _LOADS_IN_FLIGHT.load(key, load_and_store)


class _LoadsInFlight:
    """The entries this process is loading, by key: a thread that misses an entry
    which another thread is loading waits for that load rather than run its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loads: dict[str, Future[object]] = {}

    def load(self, key: str, load: Callable[[], T]) -> T:
        """`load()` run by this thread, or the value of the same load another thread
        is running; should that one fail, this thread runs `load()` itself.

        The wait is as long as the load: its statements are bounded by the
        database's time limits (DATABASE_STATEMENT_TIMEOUT_MS and the reply bound).
        """
        with self._lock:
            running = self._loads.get(key)
            if running is None:
                mine: Future[object] = Future()
                self._loads[key] = mine
        if running is not None:
            # Waits without raising what that load raised: its failure (a lost
            # connection, say) is not this thread's, which loads for itself.
            if running.exception() is not None:
                return load()
            return cast(T, running.result())
        try:
            value = load()
        except BaseException as error:
            mine.set_exception(error)
            raise
        else:
            mine.set_result(value)
            return value
        finally:
            with self._lock:
                del self._loads[key]


_LOADS_IN_FLIGHT = _LoadsInFlight()


def invalidate(family: str) -> bool:
    """Make every entry of `family` stale at once, for every process sharing the cache;
    False if the cache could not be reached.

    Call it after the commit of the write that changed them: a process that read
    between the invalidation and the commit would store the old value in the new
    generation.
    """
    counter = COUNTER_PREFIX + family
    try:
        # A lost generation restarts at random, never at 1, where old entries may wait.
        cache.add(counter, secrets.randbits(48), timeout=0)
        cache.cache.inc(counter)
    except CACHE_ERRORS as error:
        _unavailable("inc", error)
        return False
    return True


def _entry_key(family: str, generation: int, name: str) -> str:
    return f"{family}:{generation}:{name}"


def _as_generation(value: object) -> int | None:
    """A counter's value as read from the cache; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | str | bytes):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _generations_seen() -> dict[str, int]:
    """The generation of each family this app process last found current."""
    seen: dict[str, int] = current_app.extensions.setdefault(GENERATIONS_EXTENSION, {})
    return seen


def _put(key: str, value: object, *, timeout: int) -> None:
    try:
        cache.set(key, value, timeout=timeout)
    except CACHE_ERRORS as error:
        _unavailable("set", error)
