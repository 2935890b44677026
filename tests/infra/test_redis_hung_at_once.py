"""Requests that wait on a hung Redis at the same moment are all served.

Flask-Limiter switches to counting in memory when a request finds Redis down;
the requests that were waiting on Redis meanwhile (a hung Redis makes each wait
REDIS_SOCKET_TIMEOUT) must not fail with Redis's error either.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask.testing import FlaskClient

from tests.infra.helpers import configured

THREADS = 6


def test_requests_waiting_on_a_hung_redis_at_once_are_all_served(
    build, hung_redis, shared_database
):
    app = build(
        configured(
            {**shared_database, "TEST_REDIS_URL": hung_redis.url, "REDIS_SOCKET_TIMEOUT": "0.2"},
            limits=True,
        )
    )
    # Each request in a thread of its own, with a context of its own, as a server does.
    app.test_client_class = FlaskClient
    together = threading.Barrier(THREADS)

    def sign_in(number: int) -> int:
        client = app.test_client()
        together.wait(timeout=10)
        body = {"user": {"email": f"nobody{number}@example.com", "password": "wrong"}}
        return client.post("/api/users/login", json=body).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(sign_in, range(THREADS)))

    assert statuses == [401] * THREADS
    assert hung_redis.connections, "Redis was never asked: the test proves nothing"
