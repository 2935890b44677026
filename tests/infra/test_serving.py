"""The production worker (serving.py) takes a connection only while a thread is free.

gunicorn, with gunicorn.conf.py, serves tests/infra/held_requests_app.py with two
workers of one thread each. A held request keeps its worker's only thread busy
until the test lets it go, so which worker answers each new connection shows
which workers were accepting. gunicorn's stock threaded worker fails both tests
about half the time each: it accepts whatever arrives, busy or not.
"""

from __future__ import annotations

import http.client
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import free_port, spawn_gunicorn, stop_server, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 10
STARTUP_SECONDS = 30


class HeldRequest:
    """A request to /hold: its worker's thread stays busy until `release`."""

    def __init__(self, port: int) -> None:
        self._gate = socket.create_server(("127.0.0.1", 0))
        self._gate.settimeout(TIMEOUT_SECONDS)
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
        self._connection.request("GET", f"/hold?port={self._gate.getsockname()[1]}")
        self._held, _ = self._gate.accept()
        self._held.settimeout(TIMEOUT_SECONDS)
        self.worker = int(self._held.recv(32))

    def release(self) -> int:
        """Let the request finish; the process id of the worker that answered it."""
        try:
            self._held.sendall(b"!")
            with self._connection.getresponse() as response:
                return int(response.read())
        finally:
            self._held.close()
            self._gate.close()
            self._connection.close()


def answering_worker(port: int) -> int:
    """GET /pid on a new connection: the process id of the worker that answered."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("GET", "/pid")
        with connection.getresponse() as response:
            return int(response.read())
    finally:
        connection.close()


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py, two workers of one thread each; its port."""
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
        "DATABASE_POOL_SIZE": "",
        "GUNICORN_ACCESS_LOG": "",
    }
    log = tmp_path / "server.log"
    server = spawn_gunicorn("tests.infra.held_requests_app:app", env, log, ROOT)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server, log, seconds=STARTUP_SECONDS)
        yield port
    finally:
        stop_server(server)


def test_a_busy_worker_leaves_new_connections_to_a_free_one(port: int) -> None:
    held = HeldRequest(port)

    answered_by = {answering_worker(port) for _ in range(12)}

    assert held.worker not in answered_by
    assert len(answered_by) == 1
    assert held.release() == held.worker


def test_a_worker_accepts_again_once_its_thread_is_free(port: int) -> None:
    first = HeldRequest(port)
    second = HeldRequest(port)
    assert second.worker != first.worker, "the busy worker took the second connection"
    # Both threads are busy: this connection waits in the listen backlog.
    waiting = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    try:
        waiting.request("GET", "/pid")

        assert first.release() == first.worker
        with waiting.getresponse() as response:
            assert int(response.read()) == first.worker
    finally:
        waiting.close()
        second.release()
