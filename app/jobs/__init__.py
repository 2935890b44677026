"""Background jobs: work a request hands off (sending mail), on the app's Redis.

The interface: `@job` marks a function (keyword arguments of JSON values only)
as a job; `enqueue(function, **arguments)` runs it later; `flask worker` runs
queued jobs. Callers never meet the queue library.

- With REDIS_URL, a job is a message on a Redis queue of Dramatiq's, and `flask
  worker` (any number of them, on any host) runs it, with the app's settings, in
  an app context. A job that raises is retried JOBS_MAX_RETRIES times, waiting
  JOBS_RETRY_BACKOFF_SECONDS, then twice as long each time; one that keeps failing
  is kept in the queue's dead-letter set (`<prefix>:jobs:default.XQ`, for a week)
  and logged as an error. If Redis cannot take the message, the job runs as
  without Redis rather than being lost.
- Without REDIS_URL, a single-process install: the job runs in the web process
  once the response has been sent (a failure is logged; there is no retry).
  Outside a request (the CLI), it runs at once.

A job that must not act twice (a notification mail: at most one per event) runs
its action in `at_most_once(key)`. A job from the queue may run more than once:
a worker that dies after the mail went out but before it acknowledged the job
has the job put back by the heartbeat check, as has one that was merely silent
for longer than JOBS_HEARTBEAT_TIMEOUT_SECONDS while it sent; the same event may
also be queued twice. So a run claims the key in Redis (SET NX) before it acts:
the claim is pending for JOBS_HEARTBEAT_TIMEOUT_SECONDS (longer than a live run
takes, by that setting's own rule), and done, for longer than any retry can
come, once the action has finished. A run that finds the claim done skips the
action; one that finds it pending raises `ActionInProgress`, so the queue retries
it later: if the claimant was killed before it finished, its claim has lapsed by
then and the retry acts (the mail is not lost). A run whose action raised gives
the claim back, so that its retry acts. Two mails for one event remain possible
only when a run dies, or its SMTP server fails to answer, after the server took
the mail and before the claim was marked done. Jobs run in the web process (no
Redis, or Redis down when queueing) run once and are never retried: they claim
nothing.

Why Dramatiq and not RQ: a worker killed in the middle of a job (SIGKILL, the
out-of-memory killer, a lost node) must not lose it. Dramatiq's Redis broker keeps
a job taken by a worker in that worker's set of unacknowledged messages until it
finishes; every worker sends heartbeats while it lives, and a worker that finds
another silent for JOBS_HEARTBEAT_TIMEOUT_SECONDS puts that one's jobs back in the
queue: the job runs again (at least once, never lost). The timeout is a setting.
RQ (2.x) also retries a job whose worker died, but only once the job's entry in
the started-job registry expires, which it sets to at least 60 seconds plus the
monitoring interval in its own code, and only when a worker's maintenance next
cleans the registries (every ten minutes by default). RQ also forks a process per
job. Dramatiq's retries with backoff and its dead-letter set are built in as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any, Protocol, TypeVar

import structlog
from flask import Flask, after_this_request, current_app, has_request_context
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

log = structlog.get_logger(__name__)

F = TypeVar("F", bound=Callable[..., None])
EXTENSION = "conduit_jobs"

# Every job the app has, by name: a worker must know them all before it runs one.
_JOBS: dict[str, Callable[..., None]] = {}


class Claim(Enum):
    """What a run of a job found when it claimed an action (see `at_most_once`)."""

    TAKEN = "taken"
    PENDING = "pending"
    DONE = "done"


class ActionInProgress(Exception):
    """Another run claimed this action and has not finished it: retry later."""


class Claims(Protocol):
    """Where a queued job's runs claim the actions they take once (see `at_most_once`)."""

    def claim(self, key: str) -> Claim: ...

    def settle(self, key: str) -> None: ...

    def release(self, key: str) -> None: ...


# The claims of the queue whose job this thread runs; None for a run that is never retried.
_claims: ContextVar[Claims | None] = ContextVar("conduit_job_claims", default=None)


def job(function: F) -> F:
    """Mark `function` as a job that `enqueue` can hand off."""
    _JOBS[job_name(function)] = function
    return function


def job_name(function: Callable[..., None]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def registered_jobs() -> list[str]:
    """The names of every job, for a worker to declare."""
    return sorted(_JOBS)


def init_jobs(app: Flask) -> None:
    """Set up the queue of `app` (on Redis with REDIS_URL) and its `flask worker` command."""
    # Imported here: both modules use this one's `run_job` and `registered_jobs`.
    from app.jobs.queue import RedisQueue
    from app.jobs.worker import worker_command

    queue = RedisQueue(app, registered_jobs()) if app.config["REDIS_URL"] else None
    app.extensions[EXTENSION] = queue
    app.cli.add_command(worker_command)


def enqueue(function: Callable[..., None], **arguments: Any) -> None:
    """Run job `function` with `arguments` in the background (see the module's docstring)."""
    name = job_name(function)
    if name not in _JOBS:
        raise LookupError(f"{name} is not a job: mark it with @job")
    queue = current_app.extensions.get(EXTENSION)
    if queue is not None:
        try:
            queue.send(name, arguments)
        except (RedisError, OSError) as error:
            log.warning(
                "job not queued, Redis is unavailable: run here", job=name, error=str(error)
            )
        else:
            return
    if not has_request_context():
        run_job(current_app._get_current_object(), name, arguments)
        return
    # The app itself, not the proxy: the job runs once this request's context is gone.
    app = current_app._get_current_object()

    @after_this_request
    def run_after_response(response: Response) -> Response:
        # Called by the server once the response has been sent, not before.
        response.call_on_close(lambda: _run_logged(app, name, arguments))
        return response


def run_job(
    app: Flask, name: str, arguments: dict[str, Any], *, claims: Claims | None = None
) -> None:
    """Run job `name` with `arguments` in an app context of `app`; what it raises propagates.

    `claims`: the queue's, when this run may be one of several of the same job.
    """
    reset = _claims.set(claims)
    try:
        with app.app_context():
            _JOBS[name](**arguments)
    finally:
        _claims.reset(reset)


@contextmanager
def at_most_once(key: str) -> Iterator[bool]:
    """Whether this run of a job is the one to act on `key` (see the module's docstring).

    The block acts only if it gets True; if it raises, the claim is given back.
    """
    claims = _claims.get()
    if claims is None:
        yield True
        return
    found = claims.claim(key)
    if found is Claim.DONE:
        log.info("job action already taken by another run: skipped", key=key)
        yield False
        return
    if found is Claim.PENDING:
        raise ActionInProgress(key)
    try:
        yield True
    except BaseException:
        _give_back(claims, key)
        raise
    try:
        claims.settle(key)
    except (RedisError, OSError) as error:
        # The action is done; only a second run of this job, within the pending
        # claim's lapse, could act again.
        log.error("job claim not marked done", key=key, error=str(error))


def _give_back(claims: Claims, key: str) -> None:
    try:
        claims.release(key)
    except (RedisError, OSError) as error:
        # The pending claim lapses by itself: a retry after that acts.
        log.error("job claim not given back: it lapses", key=key, error=str(error))


def _run_logged(app: Flask, name: str, arguments: dict[str, Any]) -> None:
    try:
        run_job(app, name, arguments)
    except Exception:
        # Nothing retries a job run in the web process: the log is its dead letter.
        log.exception("job failed", job=name)
