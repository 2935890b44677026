"""The load benchmark: seed, serve with the production settings, drive with wrk, report.

    .venv/bin/python -m bench.run --scale small              # make bench SCALE=small
    .venv/bin/python -m bench.run --scale large --reuse      # keep an already seeded database
    .venv/bin/python -m bench.run --scenario mixed           # the realistic mix: bench/mixed.py

1. Seeds `conduit_bench_<scale>` afresh with bench/seed.py (or, with --reuse,
   keeps it when it already holds articles).
2. Starts the app as production does, `gunicorn -c gunicorn.conf.py wsgi:app`
   (`--no-control-socket`, as the project's own tests start it) on a free
   127.0.0.1 port with the default worker and thread counts unless --workers and
   --threads say otherwise, and log level (INFO,
   one JSON access line per request, to a file; `--log-level WARNING` drops them),
   Redis on a database of its own under its own key prefix, and rate limiting
   OFF: wrk sends everything from one address, which the default limit (600 a
   minute) would otherwise turn away after a few hundred requests.
3. Starts bench/baseline.py the same way, with the same workers and threads, on
   another port: a bare Flask app that serves the real `/api/articles?limit=20`
   document without a database.
4. Runs `wrk -t2 -c16 -d<seconds>s --latency` once per scenario, in its own
   process and bounded in time, and prints requests/s, p50, p99, errors
   (non-2xx answers plus socket errors) and the ratio to the baseline.
5. After the write mix, checks that every touched article's favoritesCount,
   comment list and stored number of comments equal its rows in the database,
   that articlesCount equals the row count, and that the counts kept in rows (the
   number of articles, each author's, each tag's) equal the rows they count;
   prints "counts exact: yes/no".
6. Reports each gunicorn worker's peak resident memory (VmHWM), sampled from
   /proc twice a second, so that workers recycled by max_requests are counted too.

The table is also written as JSON (--out, default /tmp/conduit-bench/results/).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import seed as seeding
from bench.client import Client
from bench.sampling import Sampler
from config import normalise_database_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
# The container image's malloc setting: freed blocks of 4 MiB or more go back to the system.
GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=4194304"
REDIS_KEY_PREFIX = "conduit-bench"
DEFAULT_OUT_DIR = Path(tempfile.gettempdir()) / "conduit-bench" / "results"
WRK_THREADS = 2
WRK_CONNECTIONS = 16
STARTUP_SECONDS = 60
WRITERS = 8
# What the search scenarios look for: words of the seeded text (bench/seed.py's WORDS).
SEARCH_WORD = "water"
SEARCH_WORDS = "water music"
WRITE_TARGETS = 40
# config.py's DATABASE_POOL_SIZE default.
DEFAULT_POOL_SIZE = 10
# What the write mix adds; kept out of the read scenarios' subjects on a reused database.
WRITE_MIX_TITLE = "Write mix article"
WRITE_MIX_TAGS = ("benchmark", "write-mix")
READ_SCRIPT = BENCH / "read.lua"


@dataclass(frozen=True)
class Scenario:
    key: str
    name: str
    path: str
    signed_in: bool = False
    what: str = ""


@dataclass
class Result:
    key: str
    name: str
    path: str
    signed_in: bool
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    non2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    bytes_per_response: int = 0
    ratio: float | None = None
    first_status: int | None = None
    ops: dict[str, int] = field(default_factory=dict)
    worker_restarts: int = 0


@dataclass
class Subjects:
    viewer: str
    viewer_follows: int
    viewer_favorites: int
    tag: str
    tag_articles: int
    author: str
    author_articles: int
    slug: str
    slug_comments: int
    writers: list[str]
    targets: list[str]


# --- machine ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text()
    found_total = re.search(r"MemTotal:\s+(\d+)", meminfo)
    total_kib = int(found_total.group(1)) if found_total else 0
    cpu = "?"
    with contextlib.suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else "?"
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(total_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": os.uname().release,
        "python": sys.version.split()[0],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the database and the subjects of the scenarios -----------------------------------


def database_has_articles(database_url: str) -> bool:
    from app.models import Article

    engine = sa.create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(sa.select(sa.exists().select_from(Article))))
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def run_seed(scale: str, database_url: str, seed: int, work: Path) -> dict[str, Any]:
    out = work / "seed.json"
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            *("-m", "bench.seed"),
            *("--scale", scale, "--database-url", database_url),
            *("--seed", str(seed), "--json-out", str(out)),
        ],
        cwd=ROOT,
        check=True,
        timeout=3 * 3600,
    )
    result: dict[str, Any] = json.loads(out.read_text())
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    return result


def local_app(database_url: str, secret: str) -> Any:
    """An app in this process, on the benchmark's database: for queries and tokens only."""
    # The seeding app's settings (no Redis, no limits), with the server's secret.
    os.environ.update(
        seeding.app_environment(database_url, SECRET_KEY=secret, JWT_SECRET_KEY=secret)
    )
    os.environ.pop("FLASK_DEBUG", None)
    from app import create_app

    return create_app()


def pick_subjects() -> Subjects:
    """Who and what the scenarios ask for, read from the seeded data (app context)."""
    from app.extensions import db
    from app.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User

    session = db.session
    follows = (
        sa.select(Follow.follower_id.label("user_id"), sa.func.count().label("n"))
        .group_by(Follow.follower_id)
        .subquery()
    )
    favorites = (
        sa.select(Favorite.user_id.label("user_id"), sa.func.count().label("n"))
        .group_by(Favorite.user_id)
        .subquery()
    )
    viewer = session.execute(
        sa.select(User.id, User.username, follows.c.n.label("follows"), favorites.c.n.label("favs"))
        .join(follows, follows.c.user_id == User.id)
        .join(favorites, favorites.c.user_id == User.id)
        .order_by(follows.c.n.desc(), User.id)
        .limit(1)
    ).one()
    seeded = ~Article.title.startswith(WRITE_MIX_TITLE)
    tag = session.execute(
        sa.select(Tag.name, sa.func.count().label("n"))
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(Tag.name.not_in(WRITE_MIX_TAGS))
        .group_by(Tag.id, Tag.name)
        .order_by(sa.desc("n"), Tag.name)
        .limit(1)
    ).one()
    author = session.execute(
        sa.select(User.id, User.username, sa.func.count().label("n"))
        .join(Article, Article.author_id == User.id)
        .where(seeded)
        .group_by(User.id, User.username)
        .order_by(sa.desc("n"), User.id)
        .limit(1)
    ).one()
    # The write mix's targets: the newest seeded articles. The read scenarios' article is
    # another one, so that a reused database still reads the same article as before.
    targets = session.scalars(
        sa.select(Article.slug)
        .where(seeded)
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(WRITE_TARGETS)
    ).all()
    article = session.execute(
        sa.select(Article.slug, sa.func.count(Comment.id).label("n"))
        .join(Comment, Comment.article_id == Article.id)
        .where(seeded, Article.slug.not_in(targets))
        .group_by(Article.id, Article.slug)
        .order_by(sa.desc("n"), Article.id.desc())
        .limit(1)
    ).one()
    writers = session.scalars(
        sa.select(User.username)
        .where(User.id.not_in((viewer.id, author.id)))
        .order_by(User.id)
        .limit(WRITERS)
    ).all()
    return Subjects(
        viewer=viewer.username,
        viewer_follows=viewer.follows,
        viewer_favorites=viewer.favs,
        tag=tag.name,
        tag_articles=tag.n,
        author=author.username,
        author_articles=author.n,
        slug=article.slug,
        slug_comments=article.n,
        writers=list(writers),
        targets=list(targets),
    )


def tokens_for(usernames: Sequence[str]) -> dict[str, str]:
    """API tokens for these users, signed with the servers' secret (app context)."""
    from app.api.auth import issue_token
    from app.extensions import db
    from app.models import User

    users = db.session.scalars(sa.select(User).where(User.username.in_(usernames))).all()
    return {user.username: issue_token(user) for user in users}


def scenarios(subjects: Subjects) -> list[Scenario]:
    slug = subjects.slug
    return [
        Scenario("list", "articles, anonymous", "/api/articles?limit=20", what="the global list"),
        Scenario(
            "list-auth",
            "articles, signed in",
            "/api/articles?limit=20",
            True,
            "plus favorited/following",
        ),
        Scenario("tag", "articles ?tag=", f"/api/articles?tag={subjects.tag}&limit=20"),
        Scenario("author", "articles ?author=", f"/api/articles?author={subjects.author}&limit=20"),
        Scenario(
            "favorited",
            "articles ?favorited=",
            f"/api/articles?favorited={subjects.viewer}&limit=20",
        ),
        Scenario("feed", "feed", "/api/articles/feed?limit=20", True),
        Scenario("article", "article", f"/api/articles/{slug}"),
        Scenario("comments", "comments", f"/api/articles/{slug}/comments"),
        Scenario("tags", "tags", "/api/tags"),
        Scenario("profile", "profile", f"/api/profiles/{subjects.author}"),
        Scenario("web-home", "web: home page", "/"),
        Scenario("web-article", "web: article page", f"/article/{slug}"),
        # Every word of the seeded text is in about half the articles (bench/seed.py):
        # a search for one is the costliest kind, the one the ranking bound is for.
        Scenario("search", "articles ?search=", f"/api/articles?search={SEARCH_WORD}&limit=20"),
        Scenario(
            "search-words",
            "articles ?search= 2 words",
            f"/api/articles?search={SEARCH_WORDS.replace(' ', '%20')}&limit=20",
        ),
        Scenario("web-search", "web: search page", f"/search?q={SEARCH_WORD}"),
    ]


# --- servers ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def default_workers() -> int:
    """gunicorn.conf.py's number of workers when WEB_CONCURRENCY is not set."""
    return (os.cpu_count() or 1) * 2 + 1


def server_environment(
    database_url: str,
    secret: str,
    redis_url: str,
    log_level: str = "INFO",
    *,
    workers: int | None = None,
    threads: int | None = None,
    cache: bool = True,
) -> dict[str, str]:
    """The production settings, explicitly: blank means the default, whatever .env says.

    `workers` and `threads` (None: gunicorn.conf.py's defaults) apply to the app and
    the baseline alike; a pool smaller than the threads is refused, so it grows with them.
    `cache=False` turns the app's cache off (`CACHE_TYPE=NullCache`): what a miss costs.
    """
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": secret,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "",
        "CACHE_TYPE": "" if cache else "NullCache",
        "CACHE_DEFAULT_TIMEOUT": "",
        "TAGS_CACHE_SECONDS": "",
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "json",
        "SESSION_COOKIE_SECURE": "",
        "TRUSTED_HOSTS": "",
        "PROXY_FIX_X_FOR": "",
        "CORS_ORIGINS": "",
        "ARGON2_TIME_COST": "",
        "ARGON2_MEMORY_COST": "",
        "ARGON2_PARALLELISM": "",
        "GUNICORN_THREADS": str(threads or ""),
        "DATABASE_POOL_SIZE": str(threads) if threads and threads > DEFAULT_POOL_SIZE else "",
        "DATABASE_POOL_OVERFLOW": "",
        "DATABASE_POOL_TIMEOUT": "",
        "DATABASE_STATEMENT_TIMEOUT_MS": "",
        "GUNICORN_TIMEOUT": "",
        "GUNICORN_KEEPALIVE": "",
        "GUNICORN_MAX_REQUESTS": "",
        "GUNICORN_MAX_REQUESTS_JITTER": "",
        "GUNICORN_ACCESS_LOG": "",
        # As the container image starts gunicorn (Dockerfile; README, "Memory").
        "GLIBC_TUNABLES": GLIBC_TUNABLES,
    }
    # gunicorn itself reads WEB_CONCURRENCY and refuses a blank one: leave it unset.
    # gunicorn.conf.py makes each server a metrics folder of its own.
    for name in (
        *("FLASK_DEBUG", "PORT", "GUNICORN_BIND", "BENCH_BASELINE_BODY", "WEB_CONCURRENCY"),
        "PROMETHEUS_MULTIPROC_DIR",
    ):
        env.pop(name, None)
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def start_server(name: str, target: str, env: dict[str, str], work: Path) -> Server:
    port = free_port()
    log = work / f"{name}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"),
                *("--no-control-socket", target),
            ],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{server.url}/health", timeout=2) as response,
        ):
            if response.status == 200:
                return server
        if process.poll() is not None:
            raise SystemExit(f"{name}: gunicorn exited with {process.returncode}:\n{server.tail()}")
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"{name}: no answer on /health within {STARTUP_SECONDS}s:\n{server.tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def forget_redis_keys(redis_url: str) -> int:
    """Delete the benchmark's cache entries and limit counters (its prefix only)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    deleted = 0
    try:
        for pattern in (
            f"{REDIS_KEY_PREFIX}:cache:*",
            f"LIMITS:LIMITER/{REDIS_KEY_PREFIX}-limits/*",
        ):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                deleted += int(client.delete(*keys))
    finally:
        client.close()
    return deleted


# --- peak memory of the workers -------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(stat.parent.name))
        return found


def wait_for_workers(server: Server, expected: int, seconds: float = 15) -> int:
    """How many workers the server has, once it has the `expected` number.

    gunicorn forks its workers one by one, up to a tenth of a second apart, and the
    first answers before the last is forked.
    """
    deadline = time.monotonic() + seconds
    while True:
        workers = len(children(server.process.pid))
        if workers >= expected or time.monotonic() > deadline:
            return workers
        time.sleep(0.05)


def status_kib(pid: int, field_name: str) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return None


class PeakMemory(Sampler):
    """Samples VmHWM of every worker of the given gunicorn masters, twice a second."""

    def __init__(self, masters: dict[str, int], interval: float = 0.5) -> None:
        super().__init__(interval)
        self.masters = masters
        self.peaks: dict[int, dict[str, Any]] = {}

    def sample(self) -> None:
        for role, master in self.masters.items():
            for pid in children(master):
                hwm = status_kib(pid, "VmHWM")
                if hwm is None:
                    continue
                entry = self.peaks.setdefault(
                    pid, {"server": role, "pid": pid, "vm_hwm_kib": 0, "first_seen": time.time()}
                )
                entry["vm_hwm_kib"] = max(entry["vm_hwm_kib"], hwm)
                entry["last_seen"] = time.time()

    def report(self, alive: set[int]) -> list[dict[str, Any]]:
        rows = []
        for entry in sorted(self.peaks.values(), key=lambda e: (e["server"], e["first_seen"])):
            rows.append(
                {
                    "server": entry["server"],
                    "pid": entry["pid"],
                    "vm_hwm_mib": round(entry["vm_hwm_kib"] / 1024, 1),
                    "recycled": entry["pid"] not in alive,
                }
            )
        return rows


# --- wrk -------------------------------------------------------------------------------


def wrk(
    url: str,
    *,
    seconds: int,
    script: Path,
    headers: Sequence[str] = (),
    args: Sequence[str] = (),
    connections: int = WRK_CONNECTIONS,
) -> tuple[dict[str, Any], str]:
    command = [
        "wrk",
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
    ]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    if args:
        command += ["--", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :]), done.stdout
    raise RuntimeError(f"wrk printed no BENCH_JSON line:\n{done.stdout}\n{done.stderr}")


def to_result(scenario: Scenario, raw: dict[str, Any]) -> Result:
    seconds = raw["duration_us"] / 1e6
    socket_errors = raw["socket_errors"]
    requests = raw["requests"]
    return Result(
        key=scenario.key,
        name=scenario.name,
        path=scenario.path,
        signed_in=scenario.signed_in,
        requests=requests,
        seconds=round(seconds, 2),
        rps=round(requests / seconds, 1) if seconds else 0.0,
        p50_ms=round(raw["latency_ms"]["p50"], 2),
        p99_ms=round(raw["latency_ms"]["p99"], 2),
        errors=raw["non2xx"] + sum(socket_errors.values()),
        non2xx=raw["non2xx"],
        socket_errors=socket_errors,
        bytes_per_response=int(raw["bytes"] / requests) if requests else 0,
        ops=raw.get("ops") or {},
    )


def first_status(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


# --- the counts check after the write mix ---------------------------------------------


def check_counts(
    port: int, *, targets: Sequence[str], writers: Sequence[str], max_id_before: int
) -> dict[str, Any]:
    """API counts against the rows (app context): of every target article and every
    article created since `max_id_before`, and of the lists of each writer."""
    from urllib.parse import quote

    from app.extensions import db
    from app.models import Article, ArticleTag, Comment, Favorite, Tag, User

    session = db.session
    session.rollback()
    touched = dict(
        session.execute(
            sa.select(Article.slug, Article.id).where(
                sa.or_(Article.id > max_id_before, Article.slug.in_(targets))
            )
        ).all()
    )
    ids = list(touched.values())
    favorite_rows = dict(
        session.execute(
            sa.select(Favorite.article_id, sa.func.count())
            .where(Favorite.article_id.in_(ids))
            .group_by(Favorite.article_id)
        ).all()
    )
    comment_rows = dict(
        session.execute(
            sa.select(Comment.article_id, sa.func.count())
            .where(Comment.article_id.in_(ids))
            .group_by(Comment.article_id)
        ).all()
    )
    stored_comments = dict(
        session.execute(
            sa.select(Article.id, Article.comments_count).where(Article.id.in_(ids))
        ).all()
    )
    client = Client(port)
    mismatches: list[str] = []
    checked = 0
    for slug, article_id in touched.items():
        status, body = client.get(f"/api/articles/{quote(slug)}")
        checked += 1
        api = body["article"]["favoritesCount"] if status == 200 else f"status {status}"
        if api != favorite_rows.get(article_id, 0):
            mismatches.append(
                f"{slug}: favoritesCount {api}, rows {favorite_rows.get(article_id, 0)}"
            )
        status, body = client.get(f"/api/articles/{quote(slug)}/comments")
        checked += 1
        api = len(body["comments"]) if status == 200 else f"status {status}"
        if api != comment_rows.get(article_id, 0):
            mismatches.append(f"{slug}: {api} comments, rows {comment_rows.get(article_id, 0)}")
        # What the web page's pager shows (app/counts.py).
        if stored_comments[article_id] != comment_rows.get(article_id, 0):
            mismatches.append(
                f"{slug}: comments_count {stored_comments[article_id]}, "
                f"rows {comment_rows.get(article_id, 0)}"
            )

    def rows(*where: Any) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(Article).where(*where)) or 0

    def user_id(name: str) -> Any:
        return sa.select(User.id).where(User.username == name).scalar_subquery()

    lists: list[tuple[str, int]] = [("/api/articles?limit=1", rows())]
    lists.append(
        (
            "/api/articles?tag=write-mix&limit=1",
            rows(
                Article.id.in_(
                    sa.select(ArticleTag.article_id)
                    .join(Tag, Tag.id == ArticleTag.tag_id)
                    .where(Tag.name == "write-mix")
                )
            ),
        )
    )
    for writer in writers:
        lists.append(
            (f"/api/articles?author={writer}&limit=1", rows(Article.author_id == user_id(writer)))
        )
        lists.append(
            (
                f"/api/articles?favorited={writer}&limit=1",
                rows(
                    Article.id.in_(
                        sa.select(Favorite.article_id).where(Favorite.user_id == user_id(writer))
                    )
                ),
            )
        )
    for path, expected in lists:
        status, body = client.get(path)
        checked += 1
        api = body["articlesCount"] if status == 200 else f"status {status}"
        if api != expected:
            mismatches.append(f"{path}: articlesCount {api}, rows {expected}")
    kept = kept_counts_off(session)
    checked += kept["checks"]
    mismatches += kept["mismatches"]
    return {
        "exact": not mismatches,
        "articles_touched": len(touched),
        "articles_created": sum(1 for article_id in ids if article_id > max_id_before),
        "checks": checked,
        "mismatches": mismatches[:20],
    }


def kept_counts_off(session: Any) -> dict[str, Any]:
    """The counts the writes keep in rows (app/counts.py) against the rows they count:
    the number of articles, every author's and every tag's (articlesCount of the
    unfiltered list, of an author's, the feed and a tag's, and the tag list's order
    come from them)."""
    from app import counts
    from app.models import Article, ArticleTag, Counter, Tag, User

    uses = (
        sa.select(ArticleTag.tag_id, sa.func.count().label("uses"))
        .group_by(ArticleTag.tag_id)
        .subquery()
    )
    counted = sa.func.coalesce(uses.c.uses, 0)
    wrong = session.execute(
        sa.select(Tag.name, Tag.articles_count, counted)
        .outerjoin(uses, uses.c.tag_id == Tag.id)
        .where(Tag.articles_count != counted)
    ).all()
    mismatches = [f"tag {name}: {kept} kept, {rows} rows" for name, kept, rows in wrong]
    written = (
        sa.select(Article.author_id, sa.func.count().label("written"))
        .group_by(Article.author_id)
        .subquery()
    )
    by_author = sa.func.coalesce(written.c.written, 0)
    wrong_authors = session.execute(
        sa.select(User.username, User.articles_count, by_author)
        .outerjoin(written, written.c.author_id == User.id)
        .where(User.articles_count != by_author)
    ).all()
    mismatches += [f"author {name}: {kept} kept, {rows} rows" for name, kept, rows in wrong_authors]
    kept_total = session.scalar(sa.select(Counter.value).where(Counter.name == counts.ARTICLES))
    total = session.scalar(sa.select(sa.func.count()).select_from(Article))
    if kept_total != total:
        mismatches.append(f"articles: {kept_total} kept, {total} rows")
    tags = session.scalar(sa.select(sa.func.count()).select_from(Tag)) or 0
    users = session.scalar(sa.select(sa.func.count()).select_from(User)) or 0
    return {"checks": tags + users + 1, "mismatches": mismatches}


# --- the run ---------------------------------------------------------------------------


@dataclass
class Bench:
    """What one run works with: its settings, the in-process app, the subjects, the servers."""

    args: argparse.Namespace
    work: Path
    local: Any
    subjects: Subjects
    tokens: dict[str, str]
    app_server: Server
    baseline: Server
    base_rps: float = 0.0

    def measure(self, scenario: Scenario, url: str, **wrk_options: Any) -> Result:
        server = self.baseline if scenario.key == "baseline" else self.app_server
        before = set(children(server.process.pid))
        raw, _ = wrk(
            url, seconds=self.args.seconds, connections=self.args.connections, **wrk_options
        )
        result = to_result(scenario, raw)
        # Workers gunicorn started during the run (max_requests recycling): a latency spike.
        result.worker_restarts = len(set(children(server.process.pid)) - before)
        if scenario.key == "baseline":
            self.base_rps = result.rps
        result.ratio = round(result.rps / self.base_rps, 3) if self.base_rps else None
        print_row(result, flush=True)
        return result

    def read_scenario(self, scenario: Scenario) -> Result:
        headers = {}
        if scenario.signed_in:
            headers["Authorization"] = f"Token {self.tokens[self.subjects.viewer]}"
        url = self.app_server.url + scenario.path
        status = first_status(url, headers)
        if not 200 <= status < 300:
            print(f"  WARNING: {scenario.path} answers {status} before the run", flush=True)
        result = self.measure(
            scenario,
            url,
            script=READ_SCRIPT,
            headers=[f"{name}: {value}" for name, value in headers.items()],
        )
        result.first_status = status
        return result

    def write_mix(self) -> tuple[Result, dict[str, Any]]:
        from app.extensions import db
        from app.models import Article

        with self.local.app_context():
            max_id_before = db.session.scalar(sa.select(sa.func.max(Article.id))) or 0
            db.session.remove()
        config = self.work / "write_mix.txt"
        config.write_text(
            "".join(f"token {self.tokens[name]}\n" for name in self.subjects.writers)
            + "".join(f"slug {slug}\n" for slug in self.subjects.targets)
        )
        scenario = Scenario(
            "write", "write mix", "POST article/comment/favorite, DELETE favorite", True
        )
        result = self.measure(
            scenario, self.app_server.url, script=BENCH / "write_mix.lua", args=[str(config)]
        )
        # Requests wrk gave up on at its deadline may still be finishing on the server.
        time.sleep(2)
        with self.local.app_context():
            counts = check_counts(
                self.app_server.port,
                targets=self.subjects.targets,
                writers=self.subjects.writers,
                max_id_before=max_id_before,
            )
            db.session.remove()
        return result, counts


@dataclass
class Setup:
    """What a run starts from, whatever its scenario: the seeded database, the secret,
    the folder of the logs."""

    work: Path
    started_at: datetime
    machine: dict[str, Any]
    secret: str
    seeding: dict[str, Any] | None


def set_up(args: argparse.Namespace) -> Setup:
    """Check for wrk, print the machine, seed (unless --reuse finds a seeded database)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    args.database_url = args.database_url or seeding.default_database_url(args.scale)
    work = Path(tempfile.mkdtemp(prefix="conduit-bench-"))
    started_at = datetime.now(UTC)
    info = machine()
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB; logs in {work}",
        flush=True,
    )
    seed_result: dict[str, Any] | None = None
    if args.reuse and database_has_articles(args.database_url):
        name = sa.make_url(args.database_url).database
        print(f"reusing {name} (--reuse): not seeded again", flush=True)
    else:
        seed_result = run_seed(args.scale, args.database_url, args.seed, work)
    return Setup(work, started_at, info, secrets.token_urlsafe(48), seed_result)


def prepare(args: argparse.Namespace, setup: Setup) -> tuple[Any, Subjects, dict[str, str]]:
    """The in-process app, the scenarios' subjects and tokens."""
    local = local_app(args.database_url, setup.secret)
    with local.app_context():
        subjects = pick_subjects()
        tokens = tokens_for([subjects.viewer, *subjects.writers])
    print(
        f"viewer {subjects.viewer} (follows {subjects.viewer_follows}, "
        f"{subjects.viewer_favorites} favorites); tag {subjects.tag!r} "
        f"({subjects.tag_articles} articles); author {subjects.author} "
        f"({subjects.author_articles} articles); article {subjects.slug} "
        f"({subjects.slug_comments} comments)",
        flush=True,
    )
    return local, subjects, tokens


def start_servers(env: dict[str, str], work: Path) -> tuple[Server, Server, dict[str, int]]:
    """The app, then the baseline serving the app's own first list page; both sizes."""
    started: list[Server] = []
    try:
        # The app serves its metrics as in production, on a port of its own.
        metrics = {"METRICS_PORT": str(free_port())}
        app_server = start_server("app", "wsgi:app", {**env, **metrics}, work)
        started.append(app_server)
        with urllib.request.urlopen(f"{app_server.url}/api/articles?limit=20", timeout=30) as got:
            real = got.read()
        body_file = work / "articles-limit-20.json"
        body_file.write_bytes(real)
        baseline = start_server(
            "baseline",
            "bench.baseline:app",
            {**env, "BENCH_BASELINE_BODY": str(body_file), "METRICS_PORT": "0"},
            work,
        )
        started.append(baseline)
        with urllib.request.urlopen(f"{baseline.url}/api/articles", timeout=30) as got:
            baseline_bytes = len(got.read())
    except BaseException:
        for server in started:
            stop_server(server)
        raise
    print(
        f"baseline body {baseline_bytes} bytes, real /api/articles?limit=20 {len(real)} bytes",
        flush=True,
    )
    return (
        app_server,
        baseline,
        {"list_body_bytes": len(real), "baseline_body_bytes": baseline_bytes},
    )


@dataclass
class Serving:
    """The app and the baseline, as a run's scenarios find them."""

    app: Server
    baseline: Server
    settings: dict[str, Any]
    memory: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def serving(args: argparse.Namespace, setup: Setup) -> Iterator[Serving]:
    """Start the app and the baseline with the same settings, warm them up and watch
    their workers' memory; stop them and forget the cache entries afterwards."""
    forget_redis_keys(args.redis_url)
    workers = args.workers or default_workers()
    threads = f"{args.threads} threads" if args.threads else "default threads"
    print(
        f"servers: gunicorn -c gunicorn.conf.py, app (wsgi:app) and baseline alike: {workers} "
        f"workers, {threads}; LOG_LEVEL={args.log_level}, "
        f"Redis {args.redis_url} (prefix {REDIS_KEY_PREFIX}), cache {args.cache}\n"
        "NOTE: rate limiting is OFF for this run (RATELIMIT_ENABLED=false): wrk sends every "
        "request from one address, which the production limit would throttle.",
        flush=True,
    )
    env = server_environment(
        args.database_url,
        setup.secret,
        args.redis_url,
        args.log_level,
        workers=args.workers,
        threads=args.threads,
        cache=args.cache == "on",
    )
    app_server, baseline, body_sizes = start_servers(env, setup.work)
    try:
        started = wait_for_workers(app_server, workers)
        wait_for_workers(baseline, workers)
        print(f"app workers: {started}; wrk -c{args.connections}", flush=True)
        if args.warmup:
            # Not measured: every worker opens its database connections and fills its caches.
            print(f"warming up for {args.warmup}s per server\n", flush=True)
            wrk(f"{baseline.url}/api/articles", seconds=args.warmup, script=READ_SCRIPT)
            wrk(f"{app_server.url}/api/articles?limit=20", seconds=args.warmup, script=READ_SCRIPT)
        settings = {
            "wrk": f"wrk -c{args.connections} -d{args.seconds}s --latency",
            "server": "gunicorn -c gunicorn.conf.py --no-control-socket wsgi:app",
            "app_workers": started,
            "threads": args.threads or "default",
            "rate_limiting": False,
            "log_level": args.log_level,
            "cache": args.cache,
            "redis": f"{args.redis_url} prefix {REDIS_KEY_PREFIX}",
            **body_sizes,
        }
        masters = {"app": app_server.process.pid, "baseline": baseline.process.pid}
        with PeakMemory(masters) as memory:
            served = Serving(app_server, baseline, settings)
            yield served
            alive = {pid for master in masters.values() for pid in children(master)}
        served.memory = memory.report(alive)
    finally:
        for server in (app_server, baseline):
            stop_server(server)
        with contextlib.suppress(Exception):
            forget_redis_keys(args.redis_url)


def report_basics(args: argparse.Namespace, setup: Setup, served: Serving) -> dict[str, Any]:
    """The parts of the JSON results that every scenario has."""
    return {
        "scale": args.scale,
        "started_at": setup.started_at.isoformat(timespec="seconds"),
        "machine": setup.machine,
        "database": sa.make_url(args.database_url).database,
        "seeding": setup.seeding,
        "reused": setup.seeding is None,
        "settings": served.settings,
        "memory": served.memory,
        "logs": str(setup.work),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The per-URL scenarios, one after another, then the write mix."""
    setup = set_up(args)
    local, subjects, tokens = prepare(args, setup)
    results: list[Result] = []
    counts: dict[str, Any] | None = None
    with serving(args, setup) as served:
        bench = Bench(args, setup.work, local, subjects, tokens, served.app, served.baseline)
        print(HEADER, flush=True)
        base = Scenario("baseline", "baseline (bare Flask)", "/api/articles")
        results.append(
            bench.measure(base, f"{served.baseline.url}/api/articles", script=READ_SCRIPT)
        )
        for scenario in scenarios(subjects):
            if not args.only or scenario.key in args.only:
                results.append(bench.read_scenario(scenario))
        if not args.only or "write" in args.only:
            result, counts = bench.write_mix()
            results.append(result)
    return report_basics(args, setup, served) | {
        "scenario": "urls",
        "subjects": asdict(subjects) | {"targets": len(subjects.targets)},
        "scenarios": [asdict(result) for result in results],
        "counts": counts,
    }


HEADER = (
    f"{'scenario':<24} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'errors':>7} {'vs baseline':>11}"
)


def print_row(result: Result, *, flush: bool = False) -> None:
    ratio = f"{result.ratio:.3f}" if result.ratio is not None else "-"
    print(
        f"{result.name:<24} {result.rps:>10.1f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
        f"{result.errors:>7} {ratio:>11}",
        flush=flush,
    )


def print_heading(report: dict[str, Any]) -> None:
    """The run's first lines: scale, machine, settings, seeding."""
    info, settings = report["machine"], report["settings"]
    print(
        f"\n== {report['scale']} scale, {report['started_at']}: {info['nproc']} CPUs, "
        f"{info['memory_gib']} GiB; {settings['wrk']}; {settings['app_workers']} workers, "
        f"{settings['threads']} threads (app and baseline); cache {settings.get('cache', 'on')}; "
        "rate limiting OFF"
    )
    if report["seeding"]:
        seconds = report["seeding"]["seconds"]
        print(
            f"seeded in {seconds['total']}s ({report['seeding']['method']}): "
            + ", ".join(f"{k} {v:,}" for k, v in report["seeding"]["counts"].items())
        )


def print_counts(counts: dict[str, Any]) -> None:
    print(
        f"counts exact: {'yes' if counts['exact'] else 'no'} "
        f"({counts['articles_touched']} articles touched, "
        f"{counts['articles_created']} created, "
        f"{counts['checks']} API answers compared with the rows)"
    )
    for line in counts["mismatches"]:
        print(f"  {line}")


def print_memory(report: dict[str, Any]) -> None:
    print("peak resident memory (VmHWM) per gunicorn worker:")
    for row in report["memory"]:
        note = " (recycled by max_requests)" if row["recycled"] else ""
        print(f"  {row['server']:<9} pid {row['pid']:<8} {row['vm_hwm_mib']:>7.1f} MiB{note}")


def print_report(report: dict[str, Any]) -> None:
    print_heading(report)
    print(HEADER)
    for row in report["scenarios"]:
        print_row(Result(**row))
    restarts = [
        f"{row['name']} ({row['worker_restarts']})"
        for row in report["scenarios"]
        if row["worker_restarts"]
    ]
    if restarts:
        print("workers recycled (max_requests) during: " + ", ".join(restarts))
    if report["counts"] is not None:
        print_counts(report["counts"])
    print_memory(report)


def counts_exact(report: dict[str, Any]) -> bool:
    return report["counts"] is None or report["counts"]["exact"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(seeding.SCALES), default="small")
    parser.add_argument(
        "--scenario",
        choices=("urls", "mixed"),
        default="urls",
        help="urls: one URL at a time (default); mixed: the realistic mix (bench/mixed.py)",
    )
    parser.add_argument(
        "--seconds", type=int, help="per scenario (default 10; 30 for the mixed scenario)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=2,
        help="unmeasured seconds of load per server first (default 2)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers of the app and the baseline (default: gunicorn.conf.py's, "
        "2 x cores + 1)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="threads per worker of the app and the baseline (default: gunicorn.conf.py's, 4)",
    )
    parser.add_argument(
        "--cache",
        choices=("on", "off"),
        default="on",
        help="the app's cache (default on; off: CACHE_TYPE=NullCache, what a miss costs)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=WRK_CONNECTIONS,
        help=f"urls: wrk's open connections, each sending its next request once answered "
        f"(default {WRK_CONNECTIONS}; 2, one per core, to measure latency without queueing)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the database if it is seeded")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="default: conduit_bench_<scale> on 127.0.0.1:5432")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--out", type=Path, help="the JSON results file")
    parser.add_argument(
        "--log-level",
        choices=["INFO", "WARNING"],
        default="INFO",
        help="the servers' LOG_LEVEL (default INFO, production's: a JSON line per request)",
    )
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        help="urls: comma-separated scenario keys: list, list-auth, tag, author, favorited, "
        "feed, article, comments, tags, profile, web-home, web-article, search, "
        "search-words, web-search, write",
    )
    from bench import mixed

    mixed.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.scenario == "mixed":
        args.seconds = args.seconds or mixed.DEFAULT_SECONDS
        report = mixed.run(args)
        mixed.print_report(report)
        exact = mixed.exact(report)
    else:
        args.seconds = args.seconds or 10
        report = run(args)
        print_report(report)
        exact = counts_exact(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = (
        f"{args.scale}-{stamp}.json"
        if args.scenario == "urls"
        else f"mixed-{args.scale}-{stamp}.json"
    )
    out = args.out or DEFAULT_OUT_DIR / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {out}")
    if not exact:
        sys.exit(1)


if __name__ == "__main__":
    main()
