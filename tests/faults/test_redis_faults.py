"""Redis frozen (SIGSTOP) and stopped under load: every request is still served, every
write carried out, and nothing read afterwards is stale.

The app runs under gunicorn on the fault tests' database with a redis-server of
the test's own (the machine's shared Redis is never touched), rate limits on:
Redis holds the limits' counters, the cache and the announcements of new cache
generations. A hung Redis must behave like a stopped one: the limiter counts in
memory, the cache misses.

Each fault begins with a burst of writes, as many at once as the server has
threads, so that several requests wait on Redis at the same moment.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.faults.harness import (
    Client,
    Load,
    Outcome,
    check_answers,
    server_environment,
    serving,
    statuses,
    unique_name,
)
from tests.faults.redis_server import PrivateRedis
from tests.faults.writes import (
    Writer,
    check_writes,
    is_write,
    sign_up,
    write_and_read,
    writers_and_article,
)

CLIENTS = 6
WORKERS = 2
THREADS = 4
FAULT_SECONDS = 3.0
# Each Redis call gives up after REDIS_SOCKET_TIMEOUT (0.25 s); a write makes a few.
REQUEST_BOUND_SECONDS = 3.0


def _burst(client: Client, writers: list[Writer], slug: str) -> list[Outcome]:
    """A comment from every writer at once (one thread each)."""

    def comment(writer: Writer) -> Outcome:
        writer.attempts += 1
        body = {"comment": {"body": f"{writer.name} bursts in"}}
        reply = client.request(
            "POST", f"/api/articles/{slug}/comments", body=body, token=writer.token
        )
        if reply.status == 200:
            writer.comments.append(reply.json()["comment"]["id"])
        return reply

    with ThreadPoolExecutor(len(writers)) as pool:
        return list(pool.map(comment, writers))


def test_a_frozen_or_stopped_redis_costs_no_request_and_no_write(
    faults_database_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    env = server_environment(
        faults_database_url,
        private_redis.url,
        WEB_CONCURRENCY=str(WORKERS),
        GUNICORN_THREADS=str(THREADS),
    )
    with serving(env, tmp_path / "server.log") as server:
        client = Client(server.port)
        writers, slug = writers_and_article(client, CLIENTS)
        bursters = [sign_up(client, unique_name("burster")) for _ in range(WORKERS * THREADS)]
        load = Load(server.port, CLIENTS, lambda c, i: write_and_read(c, writers[i], slug))
        bursts: list[Outcome] = []
        with load:
            load.wait_for(lambda done: sum(map(is_write, done)) >= 2 * CLIENTS, seconds=20)
            frozen_at = time.monotonic()
            private_redis.freeze()
            bursts += _burst(client, bursters, slug)
            load.run_for(FAULT_SECONDS)
            private_redis.thaw()
            thawed_at = time.monotonic()
            load.run_for(1)
            stopped_at = time.monotonic()
            private_redis.stop()
            bursts += _burst(client, bursters, slug)
            load.run_for(FAULT_SECONDS)
            private_redis.start()
            started_at = time.monotonic()
            load.wait_for(
                lambda done: (
                    sum(is_write(o) and o.started > started_at for o in done) >= 2 * CLIENTS
                ),
                seconds=20,
            )
        frozen = load.between(frozen_at, thawed_at) + bursts[: len(bursters)]
        stopped = load.between(stopped_at, started_at) + bursts[len(bursters) :]
        print(
            f"\nRedis frozen {FAULT_SECONDS:g} s: {statuses(frozen)}, longest "
            f"{max(o.seconds for o in frozen):.2f} s; stopped {FAULT_SECONDS:g} s: "
            f"{statuses(stopped)}, longest {max(o.seconds for o in stopped):.2f} s; "
            f"all requests {statuses(load.outcomes + bursts)}"
        )

        check_answers(load.outcomes + bursts, allow_503=False, server=server)
        assert [o.status for o in bursts] == [200] * len(bursts)
        assert max(o.seconds for o in frozen + stopped) <= REQUEST_BOUND_SECONDS
        checked = check_writes(faults_database_url, writers + bursters, client)
        print(f"writes checked: {checked}")
