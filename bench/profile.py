"""What one request costs in Python, and where it goes: no server, no wrk.

    .venv/bin/python -m bench.profile /api/tags                      # time it
    .venv/bin/python -m bench.profile /api/articles?limit=20 --signed-in
    .venv/bin/python -m bench.profile /api/tags --profiler pyinstrument
    .venv/bin/python -m bench.profile / --signed-in                  # with a web session

Builds the app with the benchmark server's settings (bench/run.py) on an already
seeded benchmark database (`make bench` seeds it) and the benchmark's Redis, and
calls it as a WSGI application, in this process, `--requests` times in a row.
The baseline app (bench/baseline.py, serving the app's own first list page) is
timed the same way. It prints microseconds per request for both and their ratio,
which tracks the ratio `make bench` measures through gunicorn and wrk without
their noise; with `--profiler pyinstrument` it prints pyinstrument's call tree of
the app's requests instead (py-spy works too: `py-spy record -- python -m
bench.profile ...`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from app.extensions import db
from app.models import User
from bench import run as bench
from bench import seed as seeding
from bench.mixed import CSRF_FIELD
from bench.seed import BENCH_PASSWORD

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _call(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, bytes]:
    """One request: a fresh copy of `environ` (and its body stream), the whole body read."""
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc_info: Any = None) -> None:
        statuses.append(status)

    request = dict(environ)
    request["wsgi.input"] = io.BytesIO(b"")
    chunks = app(request, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return statuses[0], body


def per_request_us(app: WSGIApp, environ: dict[str, Any], requests: int) -> float:
    """Mean wall time of one request, in microseconds, after a warm-up."""
    for _ in range(min(200, requests)):
        _call(app, environ)
    started = time.perf_counter()
    for _ in range(requests):
        _call(app, environ)
    return (time.perf_counter() - started) / requests * 1e6


# One browser: where it signs in and the requests measured send the same address and
# User-Agent, or Flask-Login's session protection would mark the session changed
# (as not fresh) on every request, and every page would set the cookie again.
BROWSER = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "conduit-bench"}


def _environ(path: str, headers: dict[str, str]) -> dict[str, Any]:
    builder = EnvironBuilder(
        path=path, headers=headers, base_url="http://127.0.0.1:8000", environ_base=BROWSER
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _web_session_cookie(app: Any, email: str) -> str:
    """The `Cookie` of a browser signed in as `email` through the web form."""
    client = app.test_client()
    client.environ_base = dict(BROWSER)
    page = client.get("/login").get_data(as_text=True)
    found = CSRF_FIELD.search(page)
    if found is None:
        raise SystemExit("GET /login answered no form")
    form = {"csrf_token": found.group(1), "email": email, "password": BENCH_PASSWORD}
    signed_in = client.post("/login", data=form)
    if signed_in.status_code != 302:
        raise SystemExit(f"signing in as {email} answered {signed_in.status}")
    # As a browser: the first page puts a CSRF key into the session (bench/mixed.py).
    client.get("/")
    cookie = client.get_cookie("session")
    if cookie is None:
        raise SystemExit(f"signing in as {email} set no session cookie")
    return f"session={cookie.value}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="what to request, e.g. /api/articles?limit=20")
    parser.add_argument("--scale", choices=sorted(seeding.SCALES), default="small")
    parser.add_argument(
        "--signed-in",
        action="store_true",
        help="as the benchmark's viewer (a token for /api, else a web session)",
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument(
        "--cache", choices=("on", "off"), default="on", help="off: CACHE_TYPE=NullCache"
    )
    parser.add_argument("--profiler", choices=("none", "pyinstrument"), default="none")
    parser.add_argument("--body", help="also write the response's body to this file (to compare)")
    parser.add_argument("--database-url", help="default: conduit_bench_<scale> on 127.0.0.1:5432")
    parser.add_argument("--redis-url", default=bench.DEFAULT_REDIS_URL)
    args = parser.parse_args(argv)
    database_url = args.database_url or seeding.default_database_url(args.scale)
    if not bench.database_has_articles(database_url):
        raise SystemExit(f"{database_url} is not seeded: run make bench SCALE={args.scale} first")

    secret = secrets.token_urlsafe(32)
    local = bench.local_app(database_url, secret)
    with local.app_context():
        subjects = bench.pick_subjects()
        token = bench.tokens_for([subjects.viewer])[subjects.viewer]
        email = db.session.scalar(sa.select(User.email).where(User.username == subjects.viewer))

    # The server's settings (Redis, caches), as gunicorn would see them; but no
    # access lines, which would go to this terminal.
    os.environ.update(
        bench.server_environment(
            database_url, secret, args.redis_url, log_level="WARNING", cache=args.cache == "on"
        )
    )
    bench.forget_redis_keys(args.redis_url)
    from app import create_app

    app = create_app()
    headers: dict[str, str] = {}
    if args.signed_in and args.path.startswith("/api"):
        headers = {"Authorization": f"Token {token}"}
    elif args.signed_in:
        headers = {"Cookie": _web_session_cookie(app, email)}
    environ = _environ(args.path, headers)
    status, body = _call(app, environ)
    if not status.startswith("2"):
        raise SystemExit(f"{args.path} answered {status}: {body[:300]!r}")
    if args.body:
        Path(args.body).write_bytes(body)

    os.environ["BENCH_BASELINE_BODY"] = _save(_call(app, _environ("/api/articles?limit=20", {}))[1])
    from bench.baseline import app as baseline

    baseline_environ = _environ("/api/articles", {})
    if args.profiler == "pyinstrument":
        from pyinstrument import Profiler

        per_request_us(app, environ, 200)
        with Profiler(interval=0.0002) as profiler:
            per_request_us(app, environ, args.requests)
        print(profiler.output_text(unicode=True, color=False, show_all=True))
        return
    base_us = per_request_us(baseline, baseline_environ, args.requests)
    app_us = per_request_us(app, environ, args.requests)
    print(
        json.dumps(
            {
                "path": args.path,
                "signed_in": args.signed_in,
                "bytes": len(body),
                "baseline_us": round(base_us, 1),
                "app_us": round(app_us, 1),
                "ratio": round(base_us / app_us, 3),
            }
        )
    )


def _save(body: bytes) -> str:
    directory = bench.DEFAULT_OUT_DIR.parent
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "profile-baseline-body.json"
    path.write_bytes(body)
    return str(path)


if __name__ == "__main__":
    main(sys.argv[1:])
