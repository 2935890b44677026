"""Two public RealWorld front ends served by nginx, with /api proxied to the app.

The front ends (`vue3`, `angular`) are production builds made for a same-origin
`/api`, kept beside the repository in `../shared/frontends` (its README says how
they were built). nginx serves each one on a port of its own, as a front end is
deployed: static files, a history fallback to index.html, and `/api/` passed to
the app by the settings every deployment includes, deploy/nginx/conduit-app.conf
(`proxy_pass` with no path of its own: the request's path, trailing slash
included, method, headers and body reach the app as sent, and its status and
body come back as they are), so the journeys also exercise the production
configuration.

nginx rather than a proxy written for the tests: it is what deploy/ configures,
the defect these tests guard against was found behind it, and it adds no code of
our own between the browser and the app that could hide or cause a difference.
It runs in the foreground (`daemon off`, one process), on free 127.0.0.1 ports,
from a configuration written into a scratch folder, and is stopped by its
process id.

Nothing here imports Playwright: tests/conftest.py reads `missing()` to decide
whether to collect the tests, and says why in the report header.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port, stop_server, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")
# What every nginx in front of the app includes: proxy settings and the /api/ locations.
PROXY_SNIPPET = ROOT / "deploy" / "nginx" / "conduit-app.conf"
# The folder CI lays beside the clone; CONDUIT_FRONTENDS points elsewhere (a worktree).
FRONTENDS = Path(os.environ.get("CONDUIT_FRONTENDS") or ROOT.parent / "shared" / "frontends")
NAMES = ("vue3", "angular")
STARTUP_SECONDS = 10
PASSWORD = "correct horse battery staple"


def missing() -> list[str]:
    """What the front-end tests need and this machine lacks (nothing: an empty list)."""
    lacking = [
        f"{FRONTENDS / name / 'index.html'} not found (set CONDUIT_FRONTENDS to the folder)"
        for name in NAMES
        if not (FRONTENDS / name / "index.html").is_file()
    ]
    if not NGINX.exists():
        lacking.append(f"{NGINX} not found (apt-get install nginx)")
    return lacking


def require() -> None:
    """Fail the test, saying what is missing, unless the front ends and nginx are there."""
    if lacking := missing():
        pytest.fail("the front-end browser tests cannot run: " + "; ".join(lacking))


def nginx_config(folder: Path, app_port: int, ports: Mapping[str, int]) -> str:
    """A whole nginx.conf: one server per front end, everything kept inside `folder`."""
    servers = "\n".join(
        f"""
    server {{
        listen 127.0.0.1:{port};
        server_name _;
        root {FRONTENDS / name};
        # The history fallback the front ends' README asks for (angular routes /editor...).
        location / {{
            try_files $uri $uri/ /index.html;
        }}
        include {PROXY_SNIPPET};
    }}"""
        for name, port in ports.items()
    )
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
daemon off;
# One process, which the test starts and stops by its id: no workers to leave behind.
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;

events {{
    worker_connections 256;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp_paths}

    upstream conduit_app {{
        server 127.0.0.1:{app_port};
        keepalive 16;
        keepalive_timeout 4s;
    }}
{servers}
}}
"""


@dataclass(frozen=True)
class ServedFrontends:
    urls: Mapping[str, str]
    error_log: Path


@contextmanager
def serve_frontends(folder: Path, app_url: str) -> Iterator[ServedFrontends]:
    """nginx serving every front end, each on a free port; stopped afterwards."""
    require()
    app_port = int(app_url.rsplit(":", 1)[1])
    ports = {name: free_port() for name in NAMES}
    config = folder / "nginx.conf"
    config.write_text(nginx_config(folder, app_port, ports))
    with (folder / "nginx.log").open("wb") as log:
        nginx = subprocess.Popen(
            [str(NGINX), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        # Through the proxy: once /api/tags answers, the app is up too.
        for url in urls.values():
            wait_until_healthy(
                url,
                nginx,
                folder / "nginx.log",
                seconds=STARTUP_SECONDS,
                name="nginx",
                path="/api/tags",
                silent_log=folder / "error.log",
            )
        yield ServedFrontends(urls=urls, error_log=folder / "error.log")
    finally:
        stop_server(nginx)


def email_of(username: str) -> str:
    return f"{username}@example.com"


@dataclass(frozen=True)
class Api:
    """The app's JSON API, asked directly (not through nginx): what the state is."""

    url: str

    def call(
        self, method: str, path: str, *, token: str | None = None, body: object = None
    ) -> tuple[int, Any]:
        """`method /api<path>`: the status and the decoded JSON body (None if empty)."""
        request = urllib.request.Request(f"{self.url}/api{path}", method=method)
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def ok(self, method: str, path: str, *, token: str | None = None, body: object = None) -> Any:
        """The JSON body of a 2xx answer; anything else fails the test."""
        status, answer = self.call(method, path, token=token, body=body)
        assert 200 <= status < 300, f"{method} /api{path} answered {status}: {answer}"
        return answer

    def sign_up(self, username: str) -> str:
        """Register `username` (email `<username>@example.com`); return its token."""
        user = {"username": username, "email": email_of(username), "password": PASSWORD}
        return str(self.ok("POST", "/users", body={"user": user})["user"]["token"])

    def sign_in(self, username: str) -> str:
        user = {"email": email_of(username), "password": PASSWORD}
        return str(self.ok("POST", "/users/login", body={"user": user})["user"]["token"])

    def publish(self, token: str, title: str, tags: list[str] | None = None) -> str:
        """Publish an article; return its slug."""
        article = {
            "title": title,
            "description": f"What {title} is about",
            "body": f"All about {title}.",
            "tagList": tags or [],
        }
        answer = self.ok("POST", "/articles", token=token, body={"article": article})
        return str(answer["article"]["slug"])
