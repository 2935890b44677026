"""A WSGI app whose requests the test that serves it holds and lets go.

Served by tests/infra/test_serving.py through gunicorn.conf.py, in place of the
real app: what is tested is which worker takes a connection, not the app.

- `GET /health` and `GET /pid` answer at once with the worker's process id.
- `GET /hold?port=N` connects to 127.0.0.1:N, sends the worker's process id, and
  waits for one byte on that connection before answering: until then, it keeps
  one of the worker's threads busy.

`HeldRequest` and `held` are the tests' side of `/hold`.
"""

from __future__ import annotations

import http.client
import os
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

HOLD_SECONDS = 30


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    pid = str(os.getpid()).encode()
    if environ["PATH_INFO"] == "/hold":
        port = int(parse_qs(environ["QUERY_STRING"])["port"][0])
        with socket.create_connection(("127.0.0.1", port), timeout=HOLD_SECONDS) as gate:
            gate.sendall(pid)
            gate.recv(1)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(pid)))])
    return [pid]


TIMEOUT_SECONDS = 10


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)


class HeldRequest:
    """A request to /hold: once a worker has it, its thread stays busy until `release`."""

    def __init__(self, port: int, connection: http.client.HTTPConnection | None = None) -> None:
        self._gate = socket.create_server(("127.0.0.1", 0))
        self._gate.settimeout(TIMEOUT_SECONDS)
        self._held: socket.socket | None = None
        self._connection = connection or connect(port)
        self._connection.request("GET", f"/hold?port={self._gate.getsockname()[1]}")

    def wait(self) -> int:
        """Until a worker holds the request; that worker's process id."""
        self._held, _ = self._gate.accept()
        self._held.settimeout(TIMEOUT_SECONDS)
        return int(self._held.recv(32))

    def release(self) -> int:
        """Let the request finish; the process id of the worker that answered it."""
        try:
            if self._held is not None:
                self._held.sendall(b"!")
            with self._connection.getresponse() as response:
                return int(response.read())
        finally:
            if self._held is not None:
                self._held.close()
            self._gate.close()
            self._connection.close()


def held(port: int) -> tuple[HeldRequest, int]:
    """A request a worker now holds, and that worker's process id."""
    request = HeldRequest(port)
    return request, request.wait()
