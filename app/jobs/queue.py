"""The Redis queue of jobs: Dramatiq's Redis broker, with retries and dead letters."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import dramatiq
import redis
import structlog
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, Retries, default_middleware
from flask import Flask

from app.jobs import Claim, run_job

log = structlog.get_logger(__name__)

QUEUE = "default"
# A retry waits at most this long (Dramatiq's backoff doubles from the first wait).
MAX_BACKOFF_MS = 3600 * 1000
# Every broker command (of a million: Dramatiq's scale) also looks for workers silent
# beyond the heartbeat timeout and puts their jobs back in the queue. On a quiet queue
# the only commands are the idle workers' polls, about one a second each, and only a
# poll of the dead worker's own queue gives its jobs back: at Dramatiq's default (one
# in a thousand) a dead worker's job waited for minutes, and at one in ten it still
# waited more than 30 s now and then. The look is one cheap Lua step in Redis (a range
# of the heartbeats; Dramatiq scans the keys only for a worker found dead).
MAINTENANCE_CHANCE = 1_000_000
# How long a done claim of `at_most_once` lasts: a week, as Dramatiq keeps dead
# letters, and longer than every retry of a job can take (see RedisClaims).
CLAIM_SECONDS = 7 * 24 * 3600
PENDING, DONE = b"pending", b"done"


class DeadLetterLog(Middleware):
    """Log a job that failed for good: Dramatiq keeps it in the dead-letter set."""

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.Message[Any],
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is not None and message.failed:
            log.error(
                "job failed for good: kept in the dead-letter set",
                job=message.actor_name,
                message_id=message.message_id,
                retries=message.options.get("retries", 0),
                error=repr(exception),
            )


class RedisClaims:
    """The claims of `app.jobs.at_most_once`, as keys `<JOBS_KEY_PREFIX>:once:<key>`.

    A claim is first pending, for `pending_seconds` (as long as a live run may take:
    the heartbeat timeout), then done, for `done_seconds`.
    """

    def __init__(
        self, client: redis.Redis, prefix: str, *, pending_seconds: int, done_seconds: int
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.pending_seconds = pending_seconds
        self.done_seconds = done_seconds

    def claim(self, key: str) -> Claim:
        name = f"{self.prefix}:once:{key}"
        # SET NX: of runs racing for one key, Redis lets exactly one set it.
        if self.client.set(name, PENDING, nx=True, ex=self.pending_seconds):
            return Claim.TAKEN
        # Gone since (lapsed): pending too; the retry claims it.
        return Claim.DONE if self.client.get(name) == DONE else Claim.PENDING

    def settle(self, key: str) -> None:
        self.client.set(f"{self.prefix}:once:{key}", DONE, ex=self.done_seconds)

    def release(self, key: str) -> None:
        self.client.delete(f"{self.prefix}:once:{key}")


class RedisQueue:
    """The jobs of an app (by name) as Dramatiq actors on Redis (REDIS_URL, JOBS_KEY_PREFIX)."""

    def __init__(
        self,
        app: Flask,
        jobs: list[str],
        *,
        socket_timeout: float | None = None,
    ) -> None:
        config = app.config
        timeout = socket_timeout or config["REDIS_SOCKET_TIMEOUT"]
        client = redis.Redis.from_url(
            config["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout
        )
        retries = Retries(
            max_retries=config["JOBS_MAX_RETRIES"],
            min_backoff=int(config["JOBS_RETRY_BACKOFF_SECONDS"] * 1000),
            max_backoff=MAX_BACKOFF_MS,
        )
        middleware = [kind() for kind in default_middleware if kind is not Retries]
        self.broker = RedisBroker(
            client=client,
            namespace=config["JOBS_KEY_PREFIX"],
            heartbeat_timeout=int(config["JOBS_HEARTBEAT_TIMEOUT_SECONDS"] * 1000),
            maintenance_chance=MAINTENANCE_CHANCE,
            # Dramatiq calls the "after" hooks last to first: the log runs after
            # Retries has decided whether the job failed for good.
            middleware=[*middleware, DeadLetterLog(), retries],
        )
        # Outlast the retries: each waits at most MAX_BACKOFF_MS, and the heartbeat
        # check may put the job back once more.
        retry_span = (config["JOBS_MAX_RETRIES"] + 1) * (
            MAX_BACKOFF_MS // 1000 + int(config["JOBS_HEARTBEAT_TIMEOUT_SECONDS"])
        )
        self.claims = RedisClaims(
            client,
            config["JOBS_KEY_PREFIX"],
            pending_seconds=max(1, math.ceil(config["JOBS_HEARTBEAT_TIMEOUT_SECONDS"])),
            done_seconds=max(CLAIM_SECONDS, retry_span),
        )
        self.actors = {
            name: dramatiq.Actor(
                _runner(app, name, self.claims),
                broker=self.broker,
                actor_name=name,
                queue_name=QUEUE,
                priority=0,
                options={},
            )
            for name in jobs
        }

    def send(self, name: str, arguments: dict[str, Any]) -> None:
        self.actors[name].send_with_options(kwargs=arguments)

    def close(self) -> None:
        self.broker.close()


def _runner(app: Flask, name: str, claims: RedisClaims) -> Callable[..., None]:
    def run(**arguments: Any) -> None:
        run_job(app, name, arguments, claims=claims)

    run.__name__ = name.rpartition(".")[2]
    return run
