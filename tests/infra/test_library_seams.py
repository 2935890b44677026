"""The library behaviour `app/library_seams.py` relies on, pinned.

Each seam writes a private attribute of a library because no public API does the
job. These tests fail when a release of the library changes what the write relies
on, or makes the write unneeded: either way the seam is then to be looked at again.
They use a Limiter of their own, never the app's.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask_limiter import Limiter

from app.library_seams import bind_limiter_afresh
from tests.infra.helpers import CLOSED_PORT_REDIS


@pytest.fixture
def limiter() -> Limiter:
    return Limiter(key_func=lambda: "client", default_limits=["100 per minute"])


def _limited_app(limiter: Limiter, prefix: str, storage: str = "memory://") -> Flask:
    """An app counting every request under `prefix`; `/` answers the key it counted under."""
    app = Flask(__name__)
    app.config.update(
        RATELIMIT_KEY_PREFIX=prefix,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    if storage.startswith("redis"):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_connect_timeout": 0.5,
            "socket_timeout": 0.5,
        }

    @app.get("/")
    def counted() -> str:
        current = limiter.current_limit
        assert current is not None
        return current.key

    return app


def _counted(app: Flask) -> str:
    """The key a request to `app` was counted under."""
    response = app.test_client().get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _on_fallback(limiter: Limiter) -> bool:
    """Whether `limiter` counts in its in-memory fallback rather than in its storage.

    Asked outside a request: a request may also try the storage again, after a second.
    """
    return limiter.limiter.storage is not limiter.storage


def _under_prefix(key: str, prefix: str) -> bool:
    return key.startswith(f"LIMITER/{prefix}/client/")


# The key prefix ----------------------------------------------------------------------


def test_a_limiter_bound_again_keeps_the_first_apps_key_prefix(limiter):
    """Why the seam exists: were this to fail, `init_app` takes each app's prefix."""
    limiter.init_app(_limited_app(limiter, "first"))
    second = _limited_app(limiter, "second")
    limiter.init_app(second)

    assert _under_prefix(_counted(second), "first")


def test_bound_afresh_a_limiter_counts_under_each_apps_own_prefix(limiter):
    first = _limited_app(limiter, "first")
    bind_limiter_afresh(limiter, first)
    assert _under_prefix(_counted(first), "first")

    second = _limited_app(limiter, "second")
    bind_limiter_afresh(limiter, second)

    assert _under_prefix(_counted(second), "second")


# A storage found down ------------------------------------------------------------------


def test_a_limiter_bound_again_stays_in_memory_after_a_storage_was_down(limiter):
    """Why the seam exists: were this to fail, `init_app` forgets an earlier app's outage."""
    down = _limited_app(limiter, "down", CLOSED_PORT_REDIS)
    limiter.init_app(down)
    _counted(down)
    assert _on_fallback(limiter)

    limiter.init_app(_limited_app(limiter, "second"))

    assert _on_fallback(limiter)


def test_bound_afresh_a_limiter_uses_the_new_apps_storage_after_a_storage_was_down(limiter):
    down = _limited_app(limiter, "down", CLOSED_PORT_REDIS)
    bind_limiter_afresh(limiter, down)
    _counted(down)
    assert _on_fallback(limiter)

    bind_limiter_afresh(limiter, _limited_app(limiter, "second"))

    assert not _on_fallback(limiter)
