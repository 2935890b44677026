"""What the fault tests share: the app under gunicorn, a private Redis, clients under load.

Every request a test sends is kept as an `Outcome` (what was asked, when, how long
it took, what came back, or which transport error), so that a test can check every
answer against the rules of the issue (`check_answers`) and every acknowledged
write against the database afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import free_port, spawn_gunicorn, stop_server, tail, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
# A client gives up on an answer after this long: far beyond any bound the tests
# assert, so that a hung request shows as a slow one rather than a transport error.
CLIENT_TIMEOUT_SECONDS = 40
PASSWORD = "correct horse battery staple"
SECRET = "fault-tests-secret-key-that-is-long-enough"


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- requests and what came back -------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One request and its answer (status None: no HTTP answer, `error` says why)."""

    method: str
    path: str
    started: float
    seconds: float
    status: int | None
    headers: dict[str, str]
    body: bytes
    error: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.seconds

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        what = self.error or f"{self.status} {self.body[:200]!r}"
        return f"{self.method} {self.path} after {self.seconds:.2f}s: {what}"


class Client:
    """Sends requests to one server, each on a connection of its own, keeping every outcome."""

    def __init__(self, port: int, outcomes: list[Outcome], lock: threading.Condition) -> None:
        self.port = port
        self._outcomes = outcomes
        self._lock = lock

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Outcome:
        headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        started = time.monotonic()
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=CLIENT_TIMEOUT_SECONDS
        )
        try:
            connection.request(method, path, body=data, headers=headers)
            with connection.getresponse() as response:
                outcome = Outcome(
                    method,
                    path,
                    started,
                    time.monotonic() - started,
                    response.status,
                    {name.lower(): value for name, value in response.getheaders()},
                    response.read(),
                )
        except OSError as error:
            outcome = Outcome(
                method, path, started, time.monotonic() - started, None, {}, b"", repr(error)
            )
        finally:
            connection.close()
        with self._lock:
            self._outcomes.append(outcome)
            self._lock.notify_all()
        return outcome


def check_answers(
    outcomes: list[Outcome], *, allow_503: bool, allow_no_answer: bool = False
) -> None:
    """The issue's rules: no 5xx but a documented 503 (Retry-After, the JSON error
    body), never an HTML body under /api, an answer to every request."""
    problems = []
    for outcome in outcomes:
        if outcome.status is None:
            if not allow_no_answer:
                problems.append(outcome)
            continue
        api = outcome.path.startswith("/api") or outcome.path.startswith("/health")
        if api and not outcome.headers.get("content-type", "").startswith("application/json"):
            problems.append(outcome)
        elif outcome.status == 503:
            if not (allow_503 and _documented_503(outcome, api=api)):
                problems.append(outcome)
        elif outcome.status >= 500:
            problems.append(outcome)
    assert not problems, f"{len(problems)} answers break the rules, e.g.:\n" + "\n".join(
        outcome.describe() for outcome in problems[:10]
    )


def _documented_503(outcome: Outcome, *, api: bool) -> bool:
    """Retry-After, and under /api the JSON error body."""
    if not outcome.headers.get("retry-after", "").isdigit():
        return False
    return not api or list(outcome.json()) == ["errors"]


def statuses(outcomes: list[Outcome]) -> dict[str, int]:
    """How many requests got each status (or no answer), for reports."""
    counts = Counter(str(outcome.status or "no answer") for outcome in outcomes)
    return dict(sorted(counts.items()))


# --- the app under gunicorn -------------------------------------------------------------


def server_environment(database_url: str, redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of a deployment on `database_url` and `redis_url`, every setting
    that matters given explicitly (blank: the default), then `settings`."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": "",
        "RATELIMIT_STORAGE_URI": "",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_AUTH": "1000 per minute",
        "RATELIMIT_AUTH_ACCOUNT": "1000 per minute",
        "RATELIMIT_DEFAULT": "100000 per minute",
        "CACHE_TYPE": "",
        "CACHE_ANNOUNCEMENTS": "",
        "LIST_CACHE_SECONDS": "",
        "TAGS_CACHE_SECONDS": "",
        "SECRET_KEY": SECRET,
        "JWT_SECRET_KEY": "",
        "SESSION_COOKIE_SECURE": "false",
        "TRUSTED_HOSTS": "",
        "PROXY_FIX_X_FOR": "0",
        "CORS_ORIGINS": "",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_GRACEFUL_TIMEOUT": "3",
        "GUNICORN_ACCESS_LOG": "",
        "DATABASE_POOL_SIZE": "",
        "DATABASE_POOL_OVERFLOW": "",
        "DATABASE_POOL_TIMEOUT": "",
        "DATABASE_STATEMENT_TIMEOUT_MS": "",
        "DATABASE_PING_AFTER_IDLE_SECONDS": "",
        "REDIS_SOCKET_TIMEOUT": "",
        **settings,
    }
    for name in ("FLASK_DEBUG", "GUNICORN_BIND", "PORT", "TEST_DATABASE_URL", "TEST_REDIS_URL"):
        env.pop(name, None)
    return env


@dataclass
class Server:
    """A gunicorn master serving the app on `port`."""

    port: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(env: Mapping[str, str], log: Path, app: str = "wsgi:app") -> Iterator[Server]:
    """`app` under gunicorn with the project's gunicorn.conf.py, until the block ends."""
    port = free_port()
    process = spawn_gunicorn(app, {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, log, ROOT)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, log, seconds=STARTUP_SECONDS)
        yield Server(port, log, process)
    finally:
        stop_server(process)


def server_log(server: Server, lines: int = 40) -> str:
    return tail(server.log, lines)


# --- clients under load -----------------------------------------------------------------


@dataclass
class Writer:
    """One signed-up user, and the writes the app acknowledged to it."""

    name: str
    token: str
    articles: list[str] = field(default_factory=list)
    favorites: list[str] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)
    attempts: int = 0
    # Writes answered with an error (not those left without an answer), counted by
    # check_writes: articles by title, favorites by slug, comments by body.
    refused: list[str] = field(default_factory=list)


def sign_up(client: Client, name: str) -> Writer:
    user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    reply = client.request("POST", "/api/users", body={"user": user})
    assert reply.status == 201, reply.describe()
    return Writer(name, reply.json()["user"]["token"])


def write_and_read(client: Client, writer: Writer, shared_slug: str) -> None:
    """One round of what a user does: publish, favorite it, comment, read lists (those
    `check_writes` counts among them)."""
    writer.attempts += 1
    title = f"{writer.name} {writer.attempts}"
    article = {"title": title, "description": "d", "body": "b"}
    created = client.request("POST", "/api/articles", body={"article": article}, token=writer.token)
    if created.status == 201:
        slug = created.json()["article"]["slug"]
        writer.articles.append(slug)
        favored = client.request("POST", f"/api/articles/{slug}/favorite", token=writer.token)
        if favored.status == 200:
            writer.favorites.append(slug)
        elif favored.status is not None:
            writer.refused.append(slug)
    elif created.status is not None:
        writer.refused.append(title)
    text = f"{writer.name} says {writer.attempts}"
    commented = client.request(
        "POST",
        f"/api/articles/{shared_slug}/comments",
        body={"comment": {"body": text}},
        token=writer.token,
    )
    if commented.status == 200:
        writer.comments.append(commented.json()["comment"]["id"])
    elif commented.status is not None:
        writer.refused.append(text)
    client.request("GET", "/api/articles?limit=5", token=writer.token)
    # Cached list pages that each of the writes above must make stale.
    client.request("GET", f"/api/articles?author={writer.name}&limit=1")
    client.request("GET", f"/api/articles?favorited={writer.name}&limit=1", token=writer.token)
    client.request("GET", f"/api/articles/{shared_slug}/comments")


class Load:
    """`clients` threads, each running `work(client, index)` over and over until `stop`
    (or `max_rounds`), every request kept in `outcomes`."""

    def __init__(
        self,
        port: int,
        clients: int,
        work: Callable[[Client, int], None],
        *,
        max_rounds: int = 400,
    ) -> None:
        self.outcomes: list[Outcome] = []
        self.lock = threading.Condition()
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._run, args=(port, index, work, max_rounds), daemon=True)
            for index in range(clients)
        ]

    def client(self, port: int) -> Client:
        return Client(port, self.outcomes, self.lock)

    def _run(self, port: int, index: int, work: Callable[[Client, int], None], rounds: int) -> None:
        client = self.client(port)
        try:
            for _ in range(rounds):
                if self._stop.is_set():
                    return
                work(client, index)
        except BaseException as error:  # reported by stop(), in the test's thread
            self._errors.append(error)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT_SECONDS + 5)
        assert not any(thread.is_alive() for thread in self._threads), "a client never finished"
        if self._errors:
            raise self._errors[0]

    def between(self, start: float, end: float) -> list[Outcome]:
        """The requests that were waiting for an answer at some time in [start, end]."""
        with self.lock:
            return [o for o in self.outcomes if o.started <= end and o.ended >= start]

    def wait_for(self, done: Callable[[list[Outcome]], bool], *, seconds: float) -> float:
        """Until `done(outcomes)` holds (failing after `seconds`); when it did."""
        with self.lock:
            if not self.lock.wait_for(lambda: done(self.outcomes) or bool(self._errors), seconds):
                raise AssertionError(f"not reached within {seconds}s: {statuses(self.outcomes)}")
        return time.monotonic()

    def run_for(self, seconds: float) -> None:
        """Let the clients go on for `seconds` (a fault that lasts that long)."""
        self._stop.wait(seconds)


class Prober:
    """GETs `path` every `every` seconds in a thread of its own, keeping each outcome."""

    def __init__(self, port: int, path: str, *, every: float = 0.2) -> None:
        self.outcomes: list[Outcome] = []
        self._client = Client(port, self.outcomes, threading.Condition())
        self._path = path
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._client.request("GET", self._path)
            self._stop.wait(self._every)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=CLIENT_TIMEOUT_SECONDS + 5)

    def between(self, start: float, end: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.started <= end and o.ended >= start]
