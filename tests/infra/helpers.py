"""What the production-plumbing tests share: configured apps, statement counts, responses."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from app.extensions import db
from config import Config, TestConfig
from tests.conftest import StatementCounter
from tests.web.helpers import Browser

# What RequestIdMiddleware mints when the client sends no usable X-Request-ID.
MINTED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
# A port nothing listens on: connections to it are refused at once.
CLOSED_PORT_REDIS = "redis://127.0.0.1:9/0"
# The one origin `plumbing_app` lets browsers call the API from.
ALLOWED_ORIGIN = "https://app.example.com"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def configured(
    env: Mapping[str, str] | None = None, *, limits: bool = False, **settings: Any
) -> type[TestConfig]:
    """The suite's TestConfig, reading `env` over the real environment, then given `settings`.

    The cache backend follows TEST_REDIS_URL (Redis, else SimpleCache; TestConfig
    ignores a CACHE_TYPE in the shell) unless `env` names a CACHE_TYPE. `limits=True` turns the rate
    limits on as production does (unless the environment's RATELIMIT_ENABLED turns
    them off); TestConfig keeps them off.
    """

    class Configured(TestConfig):
        def __init__(self) -> None:
            environ = {**os.environ, **(env or {})}
            super().__init__(environ)
            if env and env.get("CACHE_TYPE"):
                self.CACHE_TYPE = env["CACHE_TYPE"]
            if limits:
                self.RATELIMIT_ENABLED = Config(environ).RATELIMIT_ENABLED
            for name, value in settings.items():
                setattr(self, name, value)

    return Configured


def _fail() -> str:
    raise RuntimeError("a bug in a view")


def add_failing_views(app: Flask) -> None:
    """Give `app` a view with a bug (an unhandled exception) under /api and on the web."""
    app.add_url_rule("/api/boom", "api_boom", _fail)
    app.add_url_rule("/boom", "boom", _fail)


class _LocalServer:
    """A TCP server on 127.0.0.1 that hands each connection to `_serve`, in a thread of
    its own, until `close`."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            self.connections.append(connection)
            self._serve(connection)

    def _serve(self, connection: socket.socket) -> None:
        """Called with each new connection (which `close` closes)."""

    def close(self) -> None:
        # Unblock accept() (a plain close does not wake it on every platform).
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join()
        for connection in self.connections:
            connection.close()


class HungServer(_LocalServer):
    """A TCP server that accepts connections and never answers: a hung Redis."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class SplittingProxy(_LocalServer):
    """A TCP proxy to a Redis that sends what Redis answers in two packets, the second
    `pause` seconds after the first: a slow network. `first_half_sent` is set each
    time a first half has gone out (clear it before waiting for the next one)."""

    def __init__(self, target_port: int, *, pause: float = 0.05) -> None:
        self.target_port = target_port
        self.pause = pause
        self.first_half_sent = threading.Event()
        super().__init__()

    def url(self, database: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def _serve(self, connection: socket.socket) -> None:
        server = socket.create_connection(("127.0.0.1", self.target_port))
        self.connections.append(server)
        threading.Thread(target=self._pipe, args=(connection, server, False), daemon=True).start()
        threading.Thread(target=self._pipe, args=(server, connection, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, split: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if split and len(chunk) > 1:
                    half = len(chunk) // 2
                    target.sendall(chunk[:half])
                    self.first_half_sent.set()
                    time.sleep(self.pause)  # the network's delay, not the test's
                    target.sendall(chunk[half:])
                else:
                    target.sendall(chunk)
        except OSError:  # either side closed: the test is over
            return


@contextmanager
def counting_statements(app: Flask) -> Iterator[StatementCounter]:
    """Count the SQL statements `app` sends to its database inside the block."""
    counter = StatementCounter()
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, as {directive: [sources]}."""
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy on {response.request.path}"
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def sign_in_body(email: str, password: str = "wrong-password") -> dict[str, Any]:
    return {"user": {"email": email, "password": password}}


def _read(response: TestResponse) -> TestResponse:
    """`response` read to the end and closed (a static file is streamed from an open file)."""
    response.get_data()
    response.close()
    return response


def _twice(send: Callable[[], TestResponse]) -> TestResponse:
    """The second of two identical requests (the first uses up a limit of one)."""
    first = send()
    assert first.status_code != 429, "the limit of one was already used up"
    return send()


def _web_sign_in_refused(browser: Browser) -> TestResponse:
    def sign_in() -> TestResponse:
        return browser.submit("/login", {"email": "nobody@example.com", "password": "x"}).response

    return _twice(sign_in)


# Every kind of response the app gives, each as the request(s) that produce it in
# `plumbing_app`, with the status it must have. 429s use up a limit of one sign-in.
RESPONSE_KINDS: dict[str, tuple[int, Callable[[Browser], TestResponse]]] = {
    "web page": (200, lambda b: b.client.get("/")),
    "web form": (200, lambda b: b.client.get("/login")),
    "web redirect": (302, lambda b: b.client.get("/settings")),
    "web 400 (CSRF)": (400, lambda b: b.client.post("/login", data={"email": "a@b.co"})),
    "web 404 (unknown URL)": (404, lambda b: b.client.get("/no/such/page")),
    "web 404 (missing article)": (404, lambda b: b.client.get("/article/missing")),
    "web 405": (405, lambda b: b.client.delete("/login")),
    "web 429": (429, _web_sign_in_refused),
    "web 500": (500, lambda b: b.client.get("/boom")),
    "static file": (200, lambda b: _read(b.client.get("/static/css/conduit.css"))),
    "API JSON": (200, lambda b: b.client.get("/api/tags")),
    "API 401": (401, lambda b: b.client.get("/api/user")),
    "API 404 (missing article)": (404, lambda b: b.client.get("/api/articles/missing")),
    "API 404 (unknown URL)": (404, lambda b: b.client.get("/api/no/such/thing")),
    "API 405": (405, lambda b: b.client.delete("/api/tags")),
    "API 422": (422, lambda b: b.client.post("/api/users", json={"user": {}})),
    "API 429": (
        429,
        lambda b: _twice(
            lambda: b.client.post("/api/users/login", json=sign_in_body("nobody@example.com"))
        ),
    ),
    "API 500": (500, lambda b: b.client.get("/api/boom")),
    "API docs": (200, lambda b: b.client.get("/api/docs/openapi.json")),
    "liveness": (200, lambda b: b.client.get("/health")),
    "readiness": (200, lambda b: b.client.get("/health/ready")),
}


class StallingSmtpServer(HungServer):
    """An SMTP server that accepts connections and never answers (a hung mail server);
    `connected` is set once a client has connected."""

    def __init__(self) -> None:
        self.connected = threading.Event()
        super().__init__()

    def _serve(self, connection: socket.socket) -> None:
        self.connected.set()
