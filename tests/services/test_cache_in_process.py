"""What a process keeps of the shared cache: copies of entries and the generations it saw."""

from __future__ import annotations

import pytest

from app.services import cache
from app.services.cache import LocalEntries


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The monotonic clock LocalEntries reads, moved by the test."""
    now = [1_000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    return now


def test_a_copy_is_kept_for_its_timeout_and_no_longer(clock):
    entries = LocalEntries()
    entries.put("page", ["a"], timeout=60)

    clock[0] += 59.9
    assert entries.get("page") == ["a"]
    clock[0] += 0.1
    assert entries.get("page") is None
    assert entries.get("never-put") is None


def test_the_least_recently_used_copy_goes_first_beyond_the_size(clock):
    entries = LocalEntries(size=2)
    entries.put("a", 1, timeout=60)
    entries.put("b", 2, timeout=60)
    assert entries.get("a") == 1

    entries.put("c", 3, timeout=60)

    assert (entries.get("a"), entries.get("b"), entries.get("c")) == (1, None, 3)


def test_putting_again_replaces_the_copy_and_its_lifetime(clock):
    entries = LocalEntries()
    entries.put("page", "old", timeout=10)
    clock[0] += 5
    entries.put("page", "new", timeout=10)

    clock[0] += 9
    assert entries.get("page") == "new"


def test_a_process_forgets_the_generations_it_saw_beyond_the_bound(app, monkeypatch):
    monkeypatch.setattr(cache, "MAX_GENERATIONS_SEEN", 2)
    first = cache.generation("viewer-a")
    cache.generation("viewer-b")

    cache.generation("viewer-c")

    assert set(cache._generations_seen()) == {"viewer-c"}
    # Forgotten is not lost: the generation is read again, unchanged.
    assert cache.generation("viewer-a") == first
