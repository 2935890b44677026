"""Where Conduit writes another library's private attributes, for want of a public way.

Every such write is here and nowhere else, and `tests/infra/test_library_seams.py`
pins the library behaviour each relies on: a release of the library that changes
it fails those tests instead of quietly breaking what the write was for.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter


def bind_limiter_afresh(limiter: Limiter, app: Flask) -> None:
    """Bind `limiter` to `app` with `app`'s key prefix and a storage not yet found down.

    Flask-Limiter keeps on its one extension object what it read from the first app
    it was bound to: the key prefix (its `init_app` keeps a prefix it already has),
    and whether the storage was ever found down (it then counts in memory until a
    backoff of up to half a minute lets it check again). A process that builds several
    apps (the test suite) would otherwise count every app's hits under the first
    app's prefix, or in memory long after an earlier app's Redis was down. Its
    constructor takes a prefix, but the extension object is made before any app, and
    neither has a public setter. (Its on/off switch stays shared: the app bound last
    decides for all apps of the process.) One app per process, as in production,
    makes both writes no-ops.
    """
    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    limiter._storage_dead = False
    limiter.init_app(app)
