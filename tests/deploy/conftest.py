"""Two app instances, as deployed behind a load balancer: one database, one Redis.

The session creates `<TEST_DATABASE_URL's name>_deploy` on the same PostgreSQL
server, migrates it with `flask db upgrade`, then starts two
`gunicorn -c gunicorn.conf.py wsgi:app` processes (one worker, two threads
each) on free 127.0.0.1 ports with the same SECRET_KEY and REDIS_URL =
TEST_REDIS_URL. The tests talk to them over plain HTTP only (`Instance.request`).

The app's Redis keys have fixed prefixes (`conduit:cache:` and the rate limits'
`conduit-limits`): only keys under those are deleted, before every test (so that
each one starts with no counts and nothing cached) and at the end; the rest of
the Redis database is left alone. Both servers stop at the end, whatever happened,
and the database is dropped.

tests/conftest.py leaves this folder out unless TEST_DATABASE_URL (PostgreSQL) and
TEST_REDIS_URL are both set.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import uuid
from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import redis

from tests.servers import (
    free_port,
    migrate_database,
    scratch_postgres_database,
    spawn_gunicorn,
    stop_server,
    tail,
    wait_until_healthy,
)

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 15
# Every key the app writes to Redis starts with one of these (config.py's
# CACHE_KEY_PREFIX, and the limits library's own "LIMITS:LIMITER/" before
# Flask-Limiter's RATELIMIT_KEY_PREFIX); nothing else is ever deleted.
APP_REDIS_KEY_PATTERNS = ("conduit:cache:*", "LIMITS:LIMITER/conduit-limits/*")
USER_AGENT = "conduit-deploy-tests"
PASSWORD = "correct horse battery staple"


def unique_name(prefix: str) -> str:
    """A name no other test (or earlier run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- HTTP -----------------------------------------------------------------------------


@dataclass
class CookieJar:
    """The cookies of one browser, sent to whichever instance it talks to."""

    values: dict[str, str] = field(default_factory=dict)

    def header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.values.items())

    def update(self, set_cookie_headers: list[str]) -> None:
        for header in set_cookie_headers:
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if expired or morsel.value == "":
                    self.values.pop(name, None)
                else:
                    self.values[name] = morsel.value

    def copy(self) -> CookieJar:
        return CookieJar(dict(self.values))


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def describe(self) -> str:
        """For assertion messages: the status, request id and the start of the body."""
        return f"{self.status} (request {self.header('X-Request-ID')}): {self.text[:300]!r}"


@dataclass(frozen=True)
class Instance:
    """One gunicorn process serving the app, reached over HTTP."""

    name: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        token: str | None = None,
        cookies: CookieJar | None = None,
    ) -> Reply:
        """One request on a connection of its own; redirects are not followed.

        `cookies` is sent, then updated from the response's Set-Cookie headers.
        """
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        if cookies is not None and cookies.values:
            headers["Cookie"] = cookies.header()
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            with connection.getresponse() as response:
                reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        if cookies is not None:
            cookies.update(reply.headers.get_all("Set-Cookie") or [])
        return reply


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*\bvalue="([^"]+)"')


def csrf_token(page: Reply) -> str:
    """The CSRF token of the first form on an HTML page."""
    match = CSRF_INPUT.search(page.text)
    assert match, f"no csrf_token on the page: {page.describe()}"
    return match.group(1)


# --- the database, Redis and the servers ----------------------------------------------


@pytest.fixture(scope="session")
def deploy_database_url() -> Iterator[str]:
    """`<TEST_DATABASE_URL's name>_deploy`, created empty, dropped at the end."""
    with scratch_postgres_database(os.environ["TEST_DATABASE_URL"], "deploy") as url:
        yield url


def forget_app_keys(client: redis.Redis) -> int:
    """Delete the app's cache entries and rate-limit counters, and nothing else."""
    deleted = 0
    for pattern in APP_REDIS_KEY_PATTERNS:
        keys = list(client.scan_iter(match=pattern, count=500))
        if keys:
            deleted += int(client.delete(*keys))
    return deleted


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    """The Redis database TEST_REDIS_URL names, with the app's keys gone before and after."""
    client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"], socket_timeout=5)
    try:
        forget_app_keys(client)
        yield client
        forget_app_keys(client)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _no_counts_nothing_cached(redis_client: redis.Redis) -> None:
    """Each test starts with empty rate-limit buckets and an empty cache."""
    forget_app_keys(redis_client)


def server_environment(database_url: str, secret: str) -> dict[str, str]:
    """The environment both instances share, as a deployment would give it.

    Every setting that matters is given explicitly (blank where the default is
    wanted), so that neither a developer's shell nor a .env file (which
    python-dotenv reads without overriding what is set) can change it.
    """
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "RATELIMIT_STORAGE_URI": "",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_AUTH": "4 per minute",
        "RATELIMIT_AUTH_ACCOUNT": "100 per minute",
        "RATELIMIT_DEFAULT": "100000 per minute",
        "TAGS_CACHE_SECONDS": "",
        "CREDENTIALS_CACHE_SECONDS": "",
        "CACHE_DEFAULT_TIMEOUT": "",
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": secret,
        "SESSION_COOKIE_SECURE": "false",
        "TRUSTED_HOSTS": "",
        "PROXY_FIX_X_FOR": "0",
        "CORS_ORIGINS": "",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "DATABASE_POOL_SIZE": "",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "GUNICORN_ACCESS_LOG": "",
    }
    for name in ("FLASK_DEBUG", "GUNICORN_BIND", "PORT"):
        env.pop(name, None)
    return env


def start_gunicorn(instance: Instance, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on the instance's port, logging to its log."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{instance.port}"}
    return spawn_gunicorn("wsgi:app", env, instance.log, ROOT)


def sign_up(instance: Instance, name: str) -> str:
    """Register `name` through the API of `instance`; its token."""
    reply = instance.request(
        "POST",
        "/api/users",
        json_body={
            "user": {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        },
    )
    assert reply.status == 201, reply.describe()
    token: str = reply.json()["user"]["token"]
    return token


@pytest.fixture(scope="session")
def instances(
    deploy_database_url: str,
    redis_client: redis.Redis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Instance, Instance]]:
    """Instances A and B: two gunicorn processes, one database, one Redis, one secret."""
    work = tmp_path_factory.mktemp("deploy")
    env = server_environment(deploy_database_url, secrets.token_urlsafe(48))
    migrate_database(env, ROOT)

    started: list[tuple[Instance, subprocess.Popen[bytes]]] = []
    try:
        for name in ("A", "B"):
            instance = Instance(name=name, port=free_port(), log=work / f"server-{name}.log")
            started.append((instance, start_gunicorn(instance, env)))
        # Both boot at once; wait for each in turn.
        with ThreadPoolExecutor(max_workers=2) as pool:
            waits = [
                pool.submit(
                    wait_until_healthy,
                    instance.url,
                    server,
                    instance.log,
                    seconds=STARTUP_SECONDS,
                    name=f"instance {instance.name}",
                )
                for instance, server in started
            ]
            for waiting in waits:
                waiting.result()
        a, b = (instance for instance, _ in started)
        yield a, b
    finally:
        for _, server in started:
            stop_server(server)


@pytest.fixture
def a(instances: tuple[Instance, Instance]) -> Instance:
    return instances[0]


@pytest.fixture
def b(instances: tuple[Instance, Instance]) -> Instance:
    return instances[1]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, attach the end of both servers' logs to the report."""
    report = yield
    pair = getattr(item, "funcargs", {}).get("instances")
    if report.failed and isinstance(pair, tuple):
        for instance in pair:
            report.sections.append((f"server {instance.name} log (tail)", tail(instance.log)))
    return report
