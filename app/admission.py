"""Admission control: at most so many requests of one kind at work at once in a process.

An expensive read (a search of common words) that PostgreSQL runs sixteen at a
time on two cores takes eight times as long each: long enough to pass its own
time limit, whose fallback then adds work to a server that has too much already.
Letting only a few in at once keeps each one's time near its cost; the others
wait their turn here, outside the database, for a bounded time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

_EXTENSION_PREFIX = "conduit_admission_"


class Crowded(Exception):
    """No place came free within the wait."""


class Admission:
    """At most `size` callers inside `admitted()` at once; the others wait up to
    `wait_seconds` (0: not at all) for a place, then raise Crowded."""

    def __init__(self, size: int, *, wait_seconds: float) -> None:
        self._places = threading.BoundedSemaphore(size)
        self._wait_seconds = wait_seconds

    @contextmanager
    def admitted(self) -> Iterator[None]:
        if not self._places.acquire(timeout=self._wait_seconds):
            raise Crowded
        try:
            yield
        finally:
            self._places.release()


def admission(kind: str, *, size: int, wait_seconds: float) -> Admission:
    """This app's admission control for requests of `kind`, made on first use."""
    key = _EXTENSION_PREFIX + kind
    found: Admission | None = current_app.extensions.get(key)
    if found is None:
        # setdefault: two threads that both made one share the first stored.
        found = current_app.extensions.setdefault(key, Admission(size, wait_seconds=wait_seconds))
    return found


def install(kind: str, control: Admission) -> None:
    """Use `control` for requests of `kind` in this app (tests: a short wait)."""
    current_app.extensions[_EXTENSION_PREFIX + kind] = control
