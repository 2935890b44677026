"""SIGTERM (a rolling update, a scale-down): gunicorn finishes the requests it is
serving, within GUNICORN_GRACEFUL_TIMEOUT, and answers no new one.

gunicorn.conf.py serves tests/infra/held_requests_app.py with one worker; a held
request stands for a slow one, still running when the signal arrives.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.infra.held_requests_app import connect, held
from tests.servers import free_port, spawn_gunicorn, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
GRACEFUL_TIMEOUT_SECONDS = 10


def _new_request_is_answered(port: int) -> bool:
    """Whether a request on a new connection gets an answer (refused, reset or closed:
    no)."""
    try:
        connection = connect(port)
        try:
            connection.request("GET", "/pid")
            with connection.getresponse() as response:
                response.read()
                return True
        finally:
            connection.close()
    except (ConnectionError, http.client.HTTPException, TimeoutError):
        return False


def test_sigterm_lets_running_requests_finish_and_takes_no_new_one(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": str(GRACEFUL_TIMEOUT_SECONDS),
        "DATABASE_POOL_SIZE": "",
        "GUNICORN_ACCESS_LOG": "",
    }
    log = tmp_path / "server.log"
    master = spawn_gunicorn("tests.infra.held_requests_app:app", env, log, ROOT)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", master, log, seconds=30)
        slow, worker = held(port)
        second_slow, _ = held(port)

        master.send_signal(signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            master.wait(timeout=0.5)  # still draining
        # A client arriving now: its connection is never taken, and is reset when
        # the worker exits.
        with ThreadPoolExecutor(max_workers=1) as pool:
            latecomer = pool.submit(_new_request_is_answered, port)
            assert slow.release() == worker
            assert second_slow.release() == worker
            assert master.wait(timeout=GRACEFUL_TIMEOUT_SECONDS) == 0
            answered_after_sigterm = latecomer.result()
    finally:
        if master.poll() is None:
            master.kill()
            master.wait()

    assert not answered_after_sigterm
