"""Concurrent load on a real gunicorn: the server, its database, and requests fired together.

`serving` migrates a database of its own and starts `gunicorn -c gunicorn.conf.py
wsgi:app` on it with several workers of several threads, as deployed, on a free
127.0.0.1 port; `fire_together` sends requests from as many threads, held at a
barrier so that they leave at the same moment. The server is stopped whatever
happens; its log is kept for the failure messages.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.servers import (
    free_port,
    migrate_database,
    spawn_gunicorn,
    stop_server,
    tail,
    wait_until_healthy,
)

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
# Bounds on every wait: a request, the barrier, and a whole burst.
REQUEST_TIMEOUT_SECONDS = 20
BARRIER_TIMEOUT_SECONDS = 20
BURST_TIMEOUT_SECONDS = 60
PASSWORD = "correct horse battery staple"
USER_AGENT = "conduit-fault-tests"


def unique_name(prefix: str) -> str:
    """A name no other round (or earlier run) uses; valid as a username."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Reply:
    """What the server answered (status 0: no answer, the error in `body`)."""

    method: str
    path: str
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.body[:200]!r}"


@dataclass(frozen=True)
class Server:
    """A gunicorn serving the app on 127.0.0.1, and the database it uses."""

    port: int
    log: Path
    database_url: str

    def request(
        self, method: str, path: str, *, body: Any = None, token: str | None = None
    ) -> Reply:
        """One request on a connection of its own."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS
        )
        try:
            connection.request(method, path, body=data, headers=headers)
            with connection.getresponse() as response:
                return Reply(
                    method,
                    path,
                    response.status,
                    response.headers.get("Content-Type", ""),
                    response.read(),
                )
        except OSError as error:
            # A reset or a timeout is a finding like a 500, not a crash of the test.
            return Reply(method, path, 0, "", repr(error).encode())
        finally:
            connection.close()

    def log_tail(self) -> str:
        return tail(self.log)


def fire_together(calls: Sequence[Callable[[], Reply]]) -> list[Reply]:
    """Run every call on a thread of its own, all released at once; their replies, in order."""
    barrier = threading.Barrier(len(calls), timeout=BARRIER_TIMEOUT_SECONDS)

    def run(call: Callable[[], Reply]) -> Reply:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=BURST_TIMEOUT_SECONDS) for future in futures]


def api_faults(replies: Sequence[Reply]) -> list[str]:
    """Every reply that no API client may get: no answer, a 5xx, or an error body not JSON."""
    faults = []
    for reply in replies:
        if reply.status == 0 or reply.status >= 500:
            faults.append(reply.describe())
        elif reply.status != 204 and not reply.content_type.startswith("application/json"):
            faults.append(f"not JSON ({reply.content_type!r}): {reply.describe()}")
    return faults


def server_environment(database_url: str) -> dict[str, str]:
    """A production environment on `database_url`, without Redis, rate limits off.

    Every setting that matters is given, so that neither the shell nor a .env file
    changes it. The races send many sign-ups from one address, which the limits
    would refuse; password hashing is the cheapest argon2id, since the races are
    about the database, not the hash.
    """
    secret = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "",
        "RATELIMIT_ENABLED": "false",
        "CACHE_TYPE": "",
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": secret,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "8",
        "ARGON2_PARALLELISM": "1",
        "SESSION_COOKIE_SECURE": "false",
        "TRUSTED_HOSTS": "",
        "PROXY_FIX_X_FOR": "0",
        "CORS_ORIGINS": "",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "DATABASE_POOL_SIZE": "",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "GUNICORN_ACCESS_LOG": "",
    }
    for name in ("FLASK_DEBUG", "GUNICORN_BIND", "PORT", "TEST_DATABASE_URL", "TEST_REDIS_URL"):
        env.pop(name, None)
    return env


@contextmanager
def serving(database_url: str, work: Path, *, workers: int, threads: int) -> Iterator[Server]:
    """Migrate `database_url` and serve the app on it with `workers` x `threads`."""
    env = server_environment(database_url)
    migrate_database(env, ROOT)
    port = free_port()
    log = work / "gunicorn.log"
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_THREADS=str(threads),
    )
    server = spawn_gunicorn("wsgi:app", env, log, ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, server, log, seconds=STARTUP_SECONDS)
        yield Server(port=port, log=log, database_url=database_url)
    finally:
        stop_server(server)


@contextmanager
def database(url: str) -> Iterator[sa.Engine]:
    """An engine on the server's database for checking what was written (no pool)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
