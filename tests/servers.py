"""What the tests that run real servers share: ports, scratch databases, log tails."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import normalise_database_url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = 60) -> str:
    """The last `lines` lines of a log file (empty if there is none)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def scratch_postgres_database(base_url: str, suffix: str) -> Iterator[str]:
    """`<base database>_<suffix>` on the same server, created empty and dropped afterwards."""
    url = sa.make_url(normalise_database_url(base_url))
    name = f"{url.database}_{suffix}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def recreate(*, create: bool) -> None:
        with admin.connect() as conn:
            # A database name cannot be a bound parameter: it is quoted as an identifier.
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            if create:
                conn.execute(sa.text(f"CREATE DATABASE {quoted}"))

    recreate(create=True)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        recreate(create=False)
        admin.dispose()


def migrate_database(env: dict[str, str], root: Path) -> None:
    """`flask db upgrade` with `env` (its DATABASE_URL names the database)."""
    migrate = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if migrate.returncode != 0:
        pytest.fail(f"flask db upgrade failed:\n{migrate.stdout}\n{migrate.stderr}")


def child_processes(parent: int) -> frozenset[int]:
    """The process ids whose parent is `parent`, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return frozenset(found)


def spawn_gunicorn(
    app: str, env: Mapping[str, str], log: Path, root: Path
) -> subprocess.Popen[bytes]:
    """`gunicorn -c gunicorn.conf.py <app>` in `root`, with `env`, its output into `log`.

    Its metrics endpoint is off unless `env` gives METRICS_PORT: servers started side
    by side would all want the default port."""
    with log.open("wb") as log_file:
        return subprocess.Popen(
            # No control socket: it would live in $HOME, shared with any other gunicorn.
            [
                *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"),
                *("--no-control-socket", app),
            ],
            cwd=root,
            env={"METRICS_PORT": "0", **env},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


def wait_until_healthy(
    url: str,
    server: subprocess.Popen[bytes],
    log: Path,
    *,
    seconds: float,
    name: str = "gunicorn",
    path: str = "/health",
    silent_log: Path | None = None,
) -> None:
    """Return once `url` + `path` answers 200; fail the test if the server dies or stays silent
    (with the tail of `log`, or of `silent_log` for silence if given)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            error.close()
        except OSError:
            pass
        # Between two tries, watch for the server giving up (a bad config, a busy port).
        try:
            server.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"{name} exited with {server.returncode}:\n{tail(log)}")
    pytest.fail(f"{name} did not answer {url}{path} within {seconds}s:\n{tail(silent_log or log)}")


@contextmanager
def serving_gunicorn(
    app: str, env: Mapping[str, str], log: Path, root: Path, *, seconds: float
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`app` under gunicorn on a free 127.0.0.1 port, answering /health, until the block
    ends: its port and master process."""
    port = free_port()
    server = spawn_gunicorn(app, {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, log, root)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server, log, seconds=seconds)
        yield port, server
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within 15 seconds."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def spawn_worker(env: Mapping[str, str], log: Path, root: Path) -> subprocess.Popen[bytes]:
    """`flask worker` (the background job runner) in `root`, with `env`, its output into `log`."""
    with log.open("ab") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=root,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
