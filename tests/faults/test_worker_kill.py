"""A gunicorn worker killed (SIGKILL) under load: only the requests it held are lost,
gunicorn starts another, and every acknowledged write is stored.

A killed worker answers nothing more: its clients see their connection closed,
without an HTTP answer. Every other request is served as usual.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.faults.harness import (
    Client,
    Load,
    check_answers,
    server_environment,
    serving,
    statuses,
)
from tests.faults.redis_server import PrivateRedis
from tests.faults.writes import check_writes, is_write, write_and_read, writers_and_article
from tests.servers import child_processes

CLIENTS = 6
WORKERS = 2
REPLACED_WITHIN_SECONDS = 20


def test_a_worker_killed_under_load_loses_only_its_own_requests(
    faults_database_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    env = server_environment(faults_database_url, private_redis.url, WEB_CONCURRENCY=str(WORKERS))
    with serving(env, tmp_path / "server.log") as server:
        client = Client(server.port)
        writers, slug = writers_and_article(client, CLIENTS)
        workers = child_processes(server.process.pid)
        assert len(workers) == WORKERS
        load = Load(server.port, CLIENTS, lambda c, i: write_and_read(c, writers[i], slug))
        with load:
            load.wait_for(lambda done: sum(map(is_write, done)) >= 2 * CLIENTS, seconds=20)
            killed_at = time.monotonic()
            os.kill(min(workers), signal.SIGKILL)
            load.wait_for(
                lambda done: (
                    sum(is_write(o) and o.started > killed_at for o in done) >= 4 * CLIENTS
                ),
                seconds=20,
            )
            deadline = time.monotonic() + REPLACED_WITHIN_SECONDS
            while len(child_processes(server.process.pid) - workers) < 1:
                assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
                load.run_for(0.1)
        unanswered = [o for o in load.outcomes if o.status is None]
        print(
            f"\nworker killed: requests {statuses(load.outcomes)}; "
            f"{len(unanswered)} unanswered, each in flight when it was killed"
        )
        check_answers(load.outcomes, allow_503=False, allow_no_answer=True, server=server)
        assert all(o.started <= killed_at <= o.ended for o in unanswered), [
            o.describe() for o in unanswered
        ]
        assert len(child_processes(server.process.pid)) == WORKERS
        checked = check_writes(faults_database_url, writers, client)
        print(f"writes checked: {checked}")
