"""What the fault tests and the races share: the app under gunicorn, clients under load.

Every request a test sends is kept as an `Outcome` (what was asked, when, how long
it took, what came back, or which transport error), so that a test can check every
answer against the rules of the issue (`check_answers`, `api_faults`) and every
acknowledged write against the database afterwards. `serving` starts `gunicorn -c
gunicorn.conf.py wsgi:app` on a free 127.0.0.1 port, as deployed, and stops it
whatever happens; `fire_together` sends requests from as many threads, held at a
barrier so that they leave at the same moment.
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.servers import serving_gunicorn, tail

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
# A client gives up on an answer after this long: far beyond any bound the tests
# assert, so that a hung request shows as a slow one rather than a transport error.
CLIENT_TIMEOUT_SECONDS = 40
# Bounds on a burst of `fire_together`: the barrier, and the whole burst.
BARRIER_TIMEOUT_SECONDS = 20
BURST_TIMEOUT_SECONDS = 60
PASSWORD = "correct horse battery staple"
SECRET = "fault-tests-secret-key-that-is-long-enough"
USER_AGENT = "conduit-fault-tests"


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
    """Sends requests to one server, each on a connection of its own, keeping every outcome
    (in `outcomes` if given)."""

    def __init__(
        self,
        port: int,
        outcomes: list[Outcome] | None = None,
        lock: threading.Condition | None = None,
    ) -> None:
        self.port = port
        self._outcomes = [] if outcomes is None else outcomes
        self._lock = threading.Condition() if lock is None else lock

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Outcome:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
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
        # A connection closed mid-answer (IncompleteRead, BadStatusLine) is no answer either.
        except (OSError, http.client.HTTPException) as error:
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
    outcomes: list[Outcome],
    *,
    allow_503: bool,
    allow_no_answer: bool = False,
    server: Server | None = None,
) -> None:
    """The issue's rules: no 5xx but a documented 503 (Retry-After, the JSON error
    body), never an HTML body under /api, an answer to every request. A failure
    quotes what `server` logged about the requests that broke them."""
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
    assert not problems, (
        f"{len(problems)} answers break the rules, e.g.:\n"
        + "\n".join(outcome.describe() for outcome in problems[:10])
        + _logged_about(server, problems[:10])
    )


def _logged_about(server: Server | None, outcomes: list[Outcome]) -> str:
    """The lines of `server`'s log that name one of `outcomes`' request ids."""
    ids = {o.headers["x-request-id"] for o in outcomes if "x-request-id" in o.headers}
    if server is None or not ids:
        return ""
    lines = server.log.read_text(errors="replace").splitlines()
    return "\nthe server logged about them:\n" + "\n".join(
        line for line in lines if any(request_id in line for request_id in ids)
    )


def _documented_503(outcome: Outcome, *, api: bool) -> bool:
    """Retry-After, and under /api the JSON error body."""
    if not outcome.headers.get("retry-after", "").isdigit():
        return False
    return not api or list(outcome.json()) == ["errors"]


def api_faults(outcomes: Sequence[Outcome]) -> list[str]:
    """Every answer that no API client may get: no answer, a 5xx, or an error body not JSON."""
    faults = []
    for outcome in outcomes:
        if outcome.status is None or outcome.status >= 500:
            faults.append(outcome.describe())
            continue
        content_type = outcome.headers.get("content-type", "")
        if outcome.status != 204 and not content_type.startswith("application/json"):
            faults.append(f"not JSON ({content_type!r}): {outcome.describe()}")
    return faults


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

    def request(
        self, method: str, path: str, *, body: Any = None, token: str | None = None
    ) -> Outcome:
        """One request on a connection of its own."""
        return Client(self.port).request(method, path, body=body, token=token)

    def log_tail(self) -> str:
        return tail(self.log)


@contextmanager
def serving(env: Mapping[str, str], log: Path, app: str = "wsgi:app") -> Iterator[Server]:
    """`app` under gunicorn with the project's gunicorn.conf.py, until the block ends."""
    with serving_gunicorn(app, env, log, ROOT, seconds=STARTUP_SECONDS) as (port, process):
        yield Server(port, log, process)


def server_log(server: Server, lines: int = 40) -> str:
    return tail(server.log, lines)


# --- clients under load -----------------------------------------------------------------


def fire_together(calls: Sequence[Callable[[], Outcome]]) -> list[Outcome]:
    """Run every call on a thread of its own, all released at once; their outcomes, in order."""
    barrier = threading.Barrier(len(calls), timeout=BARRIER_TIMEOUT_SECONDS)

    def run(call: Callable[[], Outcome]) -> Outcome:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=BURST_TIMEOUT_SECONDS) for future in futures]


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


@contextmanager
def database(url: str) -> Iterator[sa.Engine]:
    """An engine on the server's database for checking what was written (no pool)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
