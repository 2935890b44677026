"""The production worker (serving.py) takes a connection only while a thread is free.

gunicorn, with gunicorn.conf.py, serves tests/infra/held_requests_app.py with two
workers of one thread each. A held request keeps its worker's only thread busy
until the test lets it go, so which worker answers each new connection shows
which workers were accepting. gunicorn's stock threaded worker fails the first
two tests: it accepts whatever arrives, busy or not. Probes (/health,
/health/ready) are answered at once even while every thread of every worker is
held; without their own threads they waited for a held request to end.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from serving import probe_path
from tests.infra.held_requests_app import HeldRequest, connect, held
from tests.servers import child_processes, serving_gunicorn

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 10
STARTUP_SECONDS = 30
WORKERS = 2


def answer_on(connection: http.client.HTTPConnection) -> int:
    """GET /pid on `connection`: the process id of the worker that answered."""
    connection.request("GET", "/pid")
    with connection.getresponse() as response:
        return int(response.read())


def answering_worker(port: int) -> int:
    """GET /pid on a new connection: the process id of the worker that answered."""
    connection = connect(port)
    try:
        return answer_on(connection)
    finally:
        connection.close()


@dataclass(frozen=True)
class Gunicorn:
    port: int
    workers: frozenset[int]


def _all_workers(master: subprocess.Popen[bytes]) -> frozenset[int]:
    """The master's workers, once it has forked them all (the first answers before
    the master has forked the second)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while len(workers := child_processes(master.pid)) < WORKERS:
        if time.monotonic() > deadline:
            pytest.fail(f"gunicorn has {len(workers)} workers, not {WORKERS}")
        with pytest.raises(subprocess.TimeoutExpired):
            master.wait(timeout=0.05)
    return workers


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Gunicorn]:
    """gunicorn with gunicorn.conf.py, two workers of one thread each, both started."""
    env = {
        **os.environ,
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": "1",
        "DATABASE_POOL_SIZE": "",
        "GUNICORN_ACCESS_LOG": "",
    }
    log = tmp_path / "server.log"
    app = "tests.infra.held_requests_app:app"
    with serving_gunicorn(app, env, log, ROOT, seconds=STARTUP_SECONDS) as (port, master):
        yield Gunicorn(port=port, workers=_all_workers(master))


def test_a_busy_worker_leaves_new_connections_to_a_free_one(server: Gunicorn) -> None:
    request, busy = held(server.port)
    try:
        answered_by = {answering_worker(server.port) for _ in range(12)}
    finally:
        assert request.release() == busy

    assert answered_by == server.workers - {busy}


def test_a_worker_accepts_again_once_its_thread_is_free(server: Gunicorn) -> None:
    first, first_worker = held(server.port)
    second, second_worker = held(server.port)
    assert second_worker != first_worker, "the busy worker took the second connection"
    # Both threads are busy: this connection waits in the listen backlog.
    waiting = connect(server.port)
    try:
        waiting.request("GET", "/pid")

        assert first.release() == first_worker
        with waiting.getresponse() as response:
            assert int(response.read()) == first_worker
    finally:
        waiting.close()
        second.release()


def test_a_new_connection_arriving_with_a_kept_alive_request_is_not_queued(
    server: Gunicorn,
) -> None:
    """The worker's loop takes in the two at once: the request takes its only thread,
    and the connection must be left to the other worker, not accepted behind it."""
    kept_alive = connect(server.port)
    busy = answer_on(kept_alive)
    for worker in server.workers:
        os.kill(worker, signal.SIGSTOP)
    try:
        request = HeldRequest(server.port, kept_alive)
        new = connect(server.port)
        new.request("GET", "/pid")
        os.kill(busy, signal.SIGCONT)
        assert request.wait() == busy
    finally:
        for worker in server.workers:
            os.kill(worker, signal.SIGCONT)
    try:
        # Answered while the request is still held (by the busy worker only if
        # it accepted the connection before the request took its thread).
        with new.getresponse() as response:
            assert int(response.read()) in server.workers
    finally:
        new.close()
        assert request.release() == busy


PROBE_BOUND_SECONDS = 1.0


def _timed_get(connection: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    """GET `path` on `connection`: the status and the seconds it took."""
    started = time.monotonic()
    connection.request("GET", path)
    with connection.getresponse() as response:
        response.read()
        return response.status, time.monotonic() - started


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_probes_are_answered_while_every_thread_of_every_worker_is_busy(
    server: Gunicorn, path: str
) -> None:
    kept_alive = connect(server.port)
    answer_on(kept_alive)
    first, first_worker = held(server.port)
    second, second_worker = held(server.port)
    assert {first_worker, second_worker} == server.workers
    waiting = connect(server.port)
    new = connect(server.port)
    try:
        waiting.request("GET", "/pid")

        # Twice on each: the probes' thread keeps the connections alive too.
        for connection in (new, kept_alive, new, kept_alive):
            status, seconds = _timed_get(connection, path)
            assert status == 200
            assert seconds < PROBE_BOUND_SECONDS

        # The request that arrived meanwhile is served once the threads are free
        # (by either worker: a stalled worker may have taken it into its queue).
        assert first.release() == first_worker
        assert second.release() == second_worker
        with waiting.getresponse() as response:
            assert int(response.read()) in server.workers
    finally:
        for connection in (kept_alive, waiting, new):
            connection.close()


@pytest.mark.parametrize(
    ("first_bytes", "path"),
    [
        (b"GET /health HTTP/1.1\r\n", b"/health"),
        (b"HEAD /health?verbose=1 HTTP/1.1", b"/health"),
        (b"GET /health/ready HTTP/1.0\r\n", b"/health/ready"),
        (b"GET /health", None),  # the path may go on: not a probe until a space follows
        (b"GET /healthy HTTP/1.1\r\n", None),
        (b"POST /health HTTP/1.1\r\n", None),
        (b"GET /api/articles HTTP/1.1\r\n", None),
        (b"", None),
    ],
)
def test_probe_path_reads_the_request_line(first_bytes: bytes, path: bytes | None) -> None:
    assert probe_path(first_bytes) == path
