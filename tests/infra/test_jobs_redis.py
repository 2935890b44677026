"""Jobs on the real Redis, run by real workers (`flask worker` processes): the reset
journey through a worker, a worker killed in the middle of sending, retries and the
dead-letter set, and notification mail sent once however often its job runs.
Collected only with TEST_REDIS_URL (see conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from app import jobs
from app.jobs import Claim
from app.jobs.queue import CLAIM_SECONDS, RedisQueue
from app.services import notifications
from tests.conftest import auth_headers
from tests.factories import UserFactory
from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import StallingSmtpServer, configured
from tests.mailbox import reset_token, smtp_server
from tests.servers import spawn_worker, tail

ROOT = Path(__file__).resolve().parents[2]
RESET = "/api/users/password-reset"
WAIT_SECONDS = 30.0


class Workers:
    """`flask worker` processes sharing an app's database, Redis queue and secret."""

    def __init__(self, app: Flask, database_url: str, log: Path) -> None:
        self.app = app
        self.log = log
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL or "",
            # The worker's jobs prefix is derived from this: the app's (tests/conftest).
            "REDIS_KEY_PREFIX": app.config["JOBS_KEY_PREFIX"].removesuffix(":jobs"),
            "SECRET_KEY": app.config["SECRET_KEY"],
            "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
            "MAIL_SERVER": "127.0.0.1",
            "LOG_FORMAT": "json",
            "JOBS_WORKER_THREADS": "1",
        }
        self.env.pop("FLASK_DEBUG", None)

    def start(self, **settings: str) -> subprocess.Popen[bytes]:
        process = spawn_worker({**self.env, **settings}, self.log, ROOT)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def jobs_app(build, shared_database) -> Flask:
    """An app on the test Redis whose jobs go to the queue, on a database workers share."""
    return build(
        configured(
            {**shared_database, "TEST_REDIS_URL": REDIS_URL or "", "MAIL_SERVER": "127.0.0.1"}
        )
    )


@pytest.fixture
def workers(jobs_app, shared_database, tmp_path) -> Iterator[Workers]:
    url = shared_database["TEST_DATABASE_URL"]
    started = Workers(jobs_app, url, tmp_path / "worker.log")
    yield started
    started.stop()


def _ask(app: Flask, email: str = "jake@example.com") -> None:
    response = app.test_client().post(RESET, json={"user": {"email": email}})
    response.close()
    assert response.status_code == 202


def _queued(app: Flask) -> int:
    client = redis.Redis.from_url(REDIS_URL or "", socket_timeout=5)
    try:
        return int(client.hlen(app.config["JOBS_KEY_PREFIX"] + ":default.msgs"))
    finally:
        client.close()


def test_the_reset_mail_is_sent_by_a_worker_not_the_web_process(jobs_app, workers, smtp):
    port, mailbox = smtp
    UserFactory(username="jake", email="jake@example.com")

    _ask(jobs_app)

    # Queued in Redis, not sent by the web process.
    assert _queued(jobs_app) == 1
    assert mailbox.messages == []
    workers.start(MAIL_PORT=str(port))
    token = reset_token(mailbox.wait_for("jake@example.com", seconds=WAIT_SECONDS)[0])
    confirmed = jobs_app.test_client().post(
        RESET + "/confirm", json={"user": {"token": token, "password": "a new password"}}
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    assert len(mailbox.messages) == 1


def test_a_worker_killed_while_sending_does_not_lose_the_mail(jobs_app, workers, smtp):
    port, mailbox = smtp
    UserFactory(username="jake", email="jake@example.com")
    stalling = StallingSmtpServer()
    try:
        first = workers.start(
            MAIL_PORT=str(stalling.port), MAIL_TIMEOUT="60", JOBS_HEARTBEAT_TIMEOUT_SECONDS="2"
        )
        _ask(jobs_app)
        assert stalling.connected.wait(WAIT_SECONDS), tail(workers.log)

        # Killed in the middle of the SMTP conversation: no chance to give the job back.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        workers.start(MAIL_PORT=str(port), JOBS_HEARTBEAT_TIMEOUT_SECONDS="2")
        (message,) = mailbox.wait_for("jake@example.com", seconds=WAIT_SECONDS)
    finally:
        stalling.close()
    assert reset_token(message)


def test_a_failed_sending_is_retried_by_the_worker(jobs_app, workers):
    UserFactory(username="jake", email="jake@example.com")
    with smtp_server(refuse=2) as (port, mailbox):
        workers.start(MAIL_PORT=str(port), JOBS_RETRY_BACKOFF_SECONDS="0.05")
        _ask(jobs_app)

        (message,) = mailbox.wait_for("jake@example.com", seconds=WAIT_SECONDS)

    assert mailbox.refused == 2
    assert reset_token(message)


def test_a_job_that_keeps_failing_ends_in_the_dead_letter_set(jobs_app, workers):
    UserFactory(username="jake", email="jake@example.com")
    dead_letters = jobs_app.config["JOBS_KEY_PREFIX"] + ":default.XQ"
    client = redis.Redis.from_url(REDIS_URL or "", socket_timeout=5)
    with smtp_server(refuse=100) as (port, mailbox):
        workers.start(MAIL_PORT=str(port), JOBS_RETRY_BACKOFF_SECONDS="0.05", JOBS_MAX_RETRIES="1")
        _ask(jobs_app)

        deadline = time.monotonic() + WAIT_SECONDS
        while not client.zcard(dead_letters):
            assert time.monotonic() < deadline, tail(workers.log)
            time.sleep(0.1)
    client.close()

    # The first try and one retry.
    assert mailbox.refused == 2
    assert mailbox.messages == []
    assert "job failed for good" in workers.log.read_text()


def test_the_worker_refuses_to_start_without_redis(tmp_path):
    env = {**os.environ, "REDIS_URL": "", "SECRET_KEY": "x" * 40}
    env.pop("FLASK_DEBUG", None)
    log = tmp_path / "worker.log"

    process: subprocess.Popen[bytes] = spawn_worker(env, log, ROOT)

    assert process.wait(timeout=60) != 0
    assert "REDIS_URL is not set" in log.read_text()


def _all_done(app: Flask, workers: Workers) -> None:
    """Wait until the queue holds no message, run or not (a message leaves on its ack)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while _queued(app):
        assert time.monotonic() < deadline, tail(workers.log)
        time.sleep(0.1)


def test_a_notification_whose_job_runs_twice_is_mailed_once(jobs_app, workers, smtp):
    port, mailbox = smtp
    jake = UserFactory(username="jake", email="jake@example.com", notify_by_email=True)
    celeb = UserFactory(username="celeb", email="celeb@example.com")
    followed = jobs_app.test_client().post("/api/profiles/jake/follow", headers=auth_headers(celeb))
    assert followed.status_code == 200
    # The same job again, as the queue runs one again after a failure that came after
    # the mail went out (or a worker's job taken back while it was in fact sending).
    jobs.enqueue(notifications.send_follow_mail, follower_id=celeb.id, followed_id=jake.id)
    assert _queued(jobs_app) == 2

    workers.start(MAIL_PORT=str(port))
    _all_done(jobs_app, workers)

    (message,) = mailbox.messages
    assert message["To"] == "jake@example.com"
    assert message["Subject"] == "celeb is now following you on Conduit"
    assert "already taken by another run" in workers.log.read_text()


def test_a_notification_the_mail_server_refused_is_retried_and_mailed_once(jobs_app, workers):
    jake = UserFactory(username="jake", email="jake@example.com", notify_by_email=True)
    celeb = UserFactory(username="celeb", email="celeb@example.com")
    client = jobs_app.test_client()
    article = {"title": "Dragons", "description": "d", "body": "b"}
    written = client.post("/api/articles", json={"article": article}, headers=auth_headers(jake))
    assert written.status_code == 201
    slug = written.json["article"]["slug"]
    with smtp_server(refuse=1) as (port, mailbox):
        workers.start(MAIL_PORT=str(port), JOBS_RETRY_BACKOFF_SECONDS="0.05")
        commented = client.post(
            f"/api/articles/{slug}/comments",
            json={"comment": {"body": "Nice"}},
            headers=auth_headers(celeb),
        )
        assert commented.status_code == 200

        # The refused try gave its claim back: the retry sends the one mail.
        (message,) = mailbox.wait_for("jake@example.com", seconds=WAIT_SECONDS)
        _all_done(jobs_app, workers)

    assert mailbox.refused == 1
    assert len(mailbox.messages) == 1
    assert message["Subject"] == "celeb commented on Dragons"


def test_a_notification_whose_worker_was_killed_while_sending_is_mailed_once(
    jobs_app, workers, smtp
):
    port, mailbox = smtp
    jake = UserFactory(username="jake", email="jake@example.com", notify_by_email=True)
    celeb = UserFactory(username="celeb", email="celeb@example.com")
    quick = {"JOBS_HEARTBEAT_TIMEOUT_SECONDS": "2", "JOBS_RETRY_BACKOFF_SECONDS": "0.5"}
    stalling = StallingSmtpServer()
    try:
        first = workers.start(MAIL_PORT=str(stalling.port), MAIL_TIMEOUT="60", **quick)
        followed = jobs_app.test_client().post(
            "/api/profiles/jake/follow", headers=auth_headers(celeb)
        )
        assert followed.status_code == 200
        assert stalling.connected.wait(WAIT_SECONDS), tail(workers.log)

        # Killed after its claim, in the middle of the SMTP conversation.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        # The job comes back to another worker, which finds the claim pending and
        # retries until it has lapsed; then it sends.
        workers.start(MAIL_PORT=str(port), **quick)
        (message,) = mailbox.wait_for("jake@example.com", seconds=WAIT_SECONDS)
        _all_done(jobs_app, workers)
    finally:
        stalling.close()
    assert message["Subject"] == "celeb is now following you on Conduit"
    assert len(mailbox.messages) == 1
    assert jake.id != celeb.id


def test_a_claim_is_pending_then_done_and_given_back_by_a_failed_action(jobs_app):
    queue = RedisQueue(jobs_app, jobs.registered_jobs())
    claims = queue.claims
    key = f"{jobs_app.config['JOBS_KEY_PREFIX']}:once:notification:test"
    heartbeat = jobs_app.config["JOBS_HEARTBEAT_TIMEOUT_SECONDS"]
    client = redis.Redis.from_url(REDIS_URL or "", socket_timeout=5)
    try:
        assert claims.claim("notification:test") is Claim.TAKEN
        assert claims.claim("notification:test") is Claim.PENDING
        assert heartbeat - 60 < client.ttl(key) <= heartbeat

        claims.release("notification:test")

        assert client.exists(key) == 0
        assert claims.claim("notification:test") is Claim.TAKEN
        claims.settle("notification:test")
        assert claims.claim("notification:test") is Claim.DONE
        assert CLAIM_SECONDS - 60 < client.ttl(key) <= CLAIM_SECONDS
    finally:
        client.close()
        queue.close()
