"""Workers are forked from a master that built the app, and recycled without a pause.

One gunicorn of its own (two workers, one thread each), recycling each worker
after a few requests, on the deployment tests' database and Redis.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import (
    ROOT,
    STARTUP_SECONDS,
    Instance,
    server_environment,
    sign_up,
    start_gunicorn,
    unique_name,
)
from tests.servers import (
    child_processes,
    free_port,
    migrate_database,
    stop_server,
    wait_until_healthy,
)

MAX_REQUESTS = 4


@pytest.fixture
def recycling(deploy_database_url: str, tmp_path: Path) -> Iterator[tuple[Instance, int]]:
    """A gunicorn whose workers each serve MAX_REQUESTS requests; its master's pid."""
    env = {
        **server_environment(deploy_database_url, secrets.token_urlsafe(48)),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
        "GUNICORN_MAX_REQUESTS": str(MAX_REQUESTS),
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
    }
    migrate_database(env, ROOT)
    instance = Instance(name="recycling", port=free_port(), log=tmp_path / "server.log")
    server = start_gunicorn(instance, env)
    try:
        wait_until_healthy(instance.url, server, instance.log, seconds=STARTUP_SECONDS)
        yield instance, server.pid
    finally:
        stop_server(server)


def test_recycled_workers_serve_every_request(
    recycling: tuple[Instance, int],
) -> None:
    instance, master = recycling
    first_workers = child_processes(master)
    name = unique_name("recycled")
    token = sign_up(instance, name)

    for number in range(6 * MAX_REQUESTS):
        if number % 3 == 0:
            reply = instance.request(
                "POST",
                "/api/articles",
                json_body={
                    "article": {"title": f"{name} {number}", "description": "d", "body": "b"}
                },
                token=token,
            )
            assert reply.status == 201, f"request {number}: {reply.describe()}"
        else:
            reply = instance.request("GET", "/api/articles?limit=5", token=token)
            assert reply.status == 200, f"request {number}: {reply.describe()}"

    listed = instance.request("GET", f"/api/articles?author={name}&limit=100").json()
    assert listed["articlesCount"] == 2 * MAX_REQUESTS
    assert child_processes(master).isdisjoint(first_workers), "no worker was recycled"
