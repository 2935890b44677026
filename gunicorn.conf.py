"""gunicorn settings, read from the environment (see README.md, "Deployment").

gunicorn -c gunicorn.conf.py wsgi:app
"""

import gc
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

load_dotenv()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{_int('PORT', 8000)}"
# gunicorn's gthread worker, taking a connection only while a thread is free to
# serve it (see serving.py).
worker_class = "serving.FreeThreadWorker"
# The brief's (2 x cores) + 1 processes, each with a few threads for requests
# that wait on the database. Keep DATABASE_POOL_SIZE at least `threads`.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 4)
# Every thread may hold a database connection: a smaller pool would make threads
# queue for connections (and time out) under load.
if _int("DATABASE_POOL_SIZE", 10) < threads:
    raise SystemExit(
        f"DATABASE_POOL_SIZE ({os.environ['DATABASE_POOL_SIZE']}) must be at least "
        f"GUNICORN_THREADS ({threads})"
    )
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# The longest request line the API's OpenAPI document allows (three 255-character
# query values of 4-byte characters, percent-encoded) is about 9.3 KB, past the
# largest finite limit gunicorn takes (8190 bytes); 0 lets it read up to 1 MB.
limit_request_line = 0
# Recycle workers now and then, staggered, so that no slow leak grows for ever.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
# Workers are forked from a master that has already built the app, so a recycled
# worker serves again within milliseconds. Booting one from scratch took a second
# of CPU, which the other workers waited for on a small machine: under load every
# recycle showed as a spike of the p99 latency. (A code change needs a restart,
# not a HUP, to be picked up.)
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"

# Prometheus metrics of every worker, served by this master on a port of its own
# (app/metrics). Workers count into files in one folder, chosen before the app is
# imported (prometheus_client reads it then); 0 turns the endpoint off.
metrics_port = _int("METRICS_PORT", 9100)
# A blank value counts as unset (prometheus_client would take it for the current folder).
metrics_folder_made_here = metrics_port and not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if metrics_folder_made_here:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="conduit-metrics-")
if metrics_port:
    # Counts of an earlier run would be added to this one's.
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def when_ready(server: Any) -> None:
    if not metrics_port:
        return
    from app.metrics.exporter import serve

    # The app's own interface: 127.0.0.1 by default, 0.0.0.0 in the image.
    host = bind.rpartition(":")[0].strip("[]") or "0.0.0.0"
    try:
        serve(host, metrics_port)
    except OSError as error:
        # The app serves on without its metrics rather than not at all.
        server.log.error("metrics not served on %s:%s: %s", host, metrics_port, error)


def child_exit(_server: Any, worker: Any) -> None:
    if metrics_port:
        from app.metrics.exporter import forget_worker

        forget_worker(worker.pid)


def on_exit(_server: Any) -> None:
    if metrics_folder_made_here:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def pre_fork(_server: Any, _worker: Any) -> None:
    # What the master built is never collected: frozen, a worker's collector skips
    # it, instead of touching (and so copying) every page the worker shares. Garbage
    # is collected first, so that none is frozen for good.
    gc.collect()
    gc.freeze()


def post_fork(server: Any, _worker: Any) -> None:
    """Give each worker a connection pool of its own.

    The master built the app but holds no connection; should it ever have opened
    one, the worker must not share it (a socket used by two processes mixes their
    conversations). Redis clients check the process id themselves.
    """
    app = server.app.wsgi()
    database = getattr(app, "extensions", {}).get("sqlalchemy")
    if database is None:
        return
    with app.app_context():
        for engine in database.engines.values():
            engine.dispose(close=False)
