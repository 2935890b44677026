"""What the app counts for Prometheus, behind a few `record_*` calls.

Under gunicorn each worker counts into prometheus_client's multiprocess files
(the folder PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py sets before the app is
imported), and the master serves their sum on METRICS_PORT (app/metrics/exporter.py),
never on the app's own port. Elsewhere (tests, `flask run`) the counts stay in the
process's default registry.

Labels are bounded whatever clients send: the endpoint is the name of the route
that matched (`unmatched` for none) and an unknown method counts as `OTHER`.
"""

from __future__ import annotations

import time

from flask import Flask, Response, request
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine, event

from app.observability import STARTED_ENVIRON_KEY

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a cached page (a few ms) to the longest wait the database may cost (4 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "conduit_http_requests", "HTTP requests answered.", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "conduit_http_request_duration_seconds",
    "Time from receiving a request to its response.",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
DATABASE_CONNECTIONS_IN_USE = Gauge(
    "conduit_database_connections_in_use",
    "Database connections checked out of the pools of the live workers.",
    multiprocess_mode="livesum",
)
CACHE_LOOKUPS = Counter("conduit_cache_lookups", "Cache reads, by result.", ["result"])
RATE_LIMITED = Counter(
    "conduit_rate_limited", "Requests refused by a rate limit (429).", ["endpoint"]
)
DEPENDENCY_UP = Gauge(
    "conduit_dependency_up",
    "1 if the dependency answered the latest readiness check, else 0.",
    ["dependency"],
    multiprocess_mode="livemostrecent",
)


def _endpoint() -> str:
    return request.url_rule.endpoint if request.url_rule is not None else "unmatched"


def record_response(response: Response) -> Response:
    """Count a response and how long its request took (an `after_request` hook)."""
    endpoint = _endpoint()
    method = request.method if request.method in METHODS else "OTHER"
    status = str(response.status_code)
    REQUESTS.labels(endpoint, method, status).inc()
    started = request.environ.get(STARTED_ENVIRON_KEY)
    if started is not None:
        LATENCY.labels(endpoint, method, status).observe(time.perf_counter() - started)
    return response


def record_cache_lookup(*, hit: bool) -> None:
    CACHE_LOOKUPS.labels("hit" if hit else "miss").inc()


def record_rate_limited() -> None:
    RATE_LIMITED.labels(_endpoint()).inc()


def record_dependency(name: str, *, up: bool) -> None:
    DEPENDENCY_UP.labels(name).set(1 if up else 0)


def watch_pool(engine: Engine) -> None:
    """Keep DATABASE_CONNECTIONS_IN_USE up to date with `engine`'s pool."""
    event.listen(engine, "checkout", lambda *_: DATABASE_CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: DATABASE_CONNECTIONS_IN_USE.dec())


def init_metrics(app: Flask, engine: Engine) -> None:
    app.after_request(record_response)
    watch_pool(engine)
