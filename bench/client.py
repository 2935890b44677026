"""The benchmark's own HTTP client: one kept-alive connection to the app on 127.0.0.1.

For the checks after a run, the sign-ins before it and the writer of the mixed
workload; the load itself comes from wrk.
"""

from __future__ import annotations

import http.client
import json
from email.message import Message
from typing import Any


class Client:
    """One kept-alive connection to the app, reopened when the server closes it."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Message, bytes]:
        """Status, headers and body. A GET is sent again once on a connection the server
        closed; any other method is not (the first may have been applied): it raises."""
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response.status, response.msg, response.read()
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt or method != "GET":
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, Any]:
        """Status and the JSON body (None when empty)."""
        status, _headers, body = self.request("GET", path)
        return status, json.loads(body) if body else None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
