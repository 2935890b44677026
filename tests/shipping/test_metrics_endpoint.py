"""The metrics endpoint: the gunicorn master serves every worker's counts, summed,
on METRICS_PORT and nowhere else.

gunicorn.conf.py serves the app (SQLite, migrated) with three workers that are
recycled every few requests, so that the requests are counted by several
processes, some of which have exited by the time of the scrape.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.servers import free_port, migrate_database, serving_gunicorn

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 60
SECRET = "metrics-test-secret-that-is-long-enough-for-production"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def _requests_counted(metrics_url: str, endpoint: str) -> float:
    with urllib.request.urlopen(metrics_url, timeout=10) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "conduit_http_requests_total" and sample.labels["endpoint"] == endpoint
    )


def test_the_counts_of_every_worker_add_up_on_the_metrics_port(tmp_path: Path) -> None:
    metrics_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'conduit.db'}",
        "REDIS_URL": "",
        "SECRET_KEY": SECRET,
        "FLASK_APP": "wsgi",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "3",
        "GUNICORN_THREADS": "2",
        "GUNICORN_MAX_REQUESTS": "7",
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
        "METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL", "GUNICORN_BIND", "PORT"):
        env.pop(name, None)
    migrate_database(env, ROOT)
    log = tmp_path / "server.log"
    with serving_gunicorn("wsgi:app", env, log, ROOT, seconds=30) as (port, _master):
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(
                pool.map(lambda _: _get(f"http://127.0.0.1:{port}/api/tags"), range(REQUESTS))
            )
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        counted = _requests_counted(metrics_url, "api_tags.list_tags")
        app_port_metrics = _get(f"http://127.0.0.1:{port}/metrics")

    assert statuses == [200] * REQUESTS
    assert counted == REQUESTS
    # Seven requests a worker at most: the count came from at least nine processes.
    counted_by = {
        path.stem.rsplit("_", 1)[1] for path in (tmp_path / "metrics").glob("counter_*.db")
    }
    assert len(counted_by) >= REQUESTS // 7
    assert app_port_metrics == 404
