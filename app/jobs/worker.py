"""`flask worker`: run the queued jobs until stopped (SIGTERM or SIGINT)."""

from __future__ import annotations

import signal
import threading

import click
import structlog
from dramatiq import Worker
from flask import current_app
from flask.cli import with_appcontext

from app.jobs import registered_jobs
from app.jobs.queue import RedisQueue

log = structlog.get_logger(__name__)

# The worker waits longer for Redis than a request does: it has no client waiting.
WORKER_SOCKET_TIMEOUT = 5.0
# How long an idle worker waits between looks at an empty queue, in milliseconds.
IDLE_POLL_MS = 1000
# On SIGTERM, running jobs get this long to finish (within Kubernetes' default 30 s
# grace period); one still running after it is run again by another worker.
STOP_TIMEOUT_MS = 25_000


@click.command("worker")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs run at once (default: JOBS_WORKER_THREADS).",
)
@with_appcontext
def worker_command(threads: int | None) -> None:
    """Run background jobs (mail) from the Redis queue until SIGTERM or SIGINT."""
    app = current_app._get_current_object()
    if not app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run in the web process and "
            "no worker is needed"
        )
    queue = RedisQueue(app, registered_jobs(), socket_timeout=WORKER_SOCKET_TIMEOUT)
    worker = Worker(
        queue.broker,
        worker_threads=threads or app.config["JOBS_WORKER_THREADS"],
        worker_timeout=IDLE_POLL_MS,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.start()
    log.info("worker started", jobs=registered_jobs(), threads=worker.worker_threads)
    stop.wait()
    log.info("worker stopping: finishing the jobs it runs")
    worker.stop(timeout=STOP_TIMEOUT_MS)
    queue.close()
