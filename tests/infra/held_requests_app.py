"""A WSGI app whose requests the test that serves it holds and lets go.

Served by tests/infra/test_serving.py through gunicorn.conf.py, in place of the
real app: what is tested is which worker takes a connection, not the app.

- `GET /health` and `GET /pid` answer at once with the worker's process id.
- `GET /hold?port=N` connects to 127.0.0.1:N, sends the worker's process id, and
  waits for one byte on that connection before answering: until then, it keeps
  one of the worker's threads busy.
"""

from __future__ import annotations

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
