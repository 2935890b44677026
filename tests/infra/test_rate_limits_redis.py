"""With Redis, the rate limits' counters are shared by every app process.

Collected only with TEST_REDIS_URL (see conftest.py).

Flask-Limiter has one extension object per process, and binding it to an app gives
it a fresh storage client (and a fresh in-memory fallback). So the second app
below is built only after the first has counted: whatever it then sees of those
counts can only have come from Redis.
"""

from __future__ import annotations

import secrets

from tests.api.helpers import assert_error
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured, sign_in_body


def _config(prefix: str, **env: str):
    return configured(
        {"TEST_REDIS_URL": REDIS_URL or "", **env}, limits=True, RATELIMIT_KEY_PREFIX=prefix
    )


def _sign_in(client, n: int):
    return client.post("/api/users/login", json=sign_in_body(f"user{n}@example.com"))


def test_the_sign_in_counts_are_shared_by_two_apps(build, redis_client):
    prefix = f"conduit-infra-{secrets.token_hex(4)}-limits"
    config = _config(prefix, RATELIMIT_AUTH="3 per minute")
    first = build(config)
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    first_client = first.test_client()

    assert [_sign_in(first_client, n).status_code for n in range(3)] == [401, 401, 401]
    keys = list(redis_client.scan_iter(match=f"LIMITS:LIMITER/{prefix}/*"))
    assert any("auth-address" in key for key in keys), keys

    second_client = build(config).test_client()

    assert_error(_sign_in(second_client, 3), 429, "body")
    assert_error(_sign_in(first_client, 4), 429, "body")


def test_the_default_limit_counts_are_shared_by_two_apps(build):
    prefix = f"conduit-infra-{secrets.token_hex(4)}-limits"
    config = _config(prefix, RATELIMIT_DEFAULT="2 per minute")
    first_client = build(config).test_client()
    assert [first_client.get("/api/tags").status_code for _ in range(2)] == [200, 200]

    second_client = build(config).test_client()

    assert_error(second_client.get("/api/tags"), 429, "body")


def test_apps_with_other_prefixes_count_apart(build, redis_client):
    first_prefix = f"conduit-infra-{secrets.token_hex(4)}-limits"
    first_client = build(_config(first_prefix, RATELIMIT_AUTH="2 per minute")).test_client()
    assert [_sign_in(first_client, n).status_code for n in range(3)] == [401, 401, 429]

    second_prefix = f"conduit-infra-{secrets.token_hex(4)}-limits"
    second_client = build(_config(second_prefix, RATELIMIT_AUTH="2 per minute")).test_client()

    assert _sign_in(second_client, 3).status_code == 401
    assert list(redis_client.scan_iter(match=f"LIMITS:LIMITER/{second_prefix}/*"))
