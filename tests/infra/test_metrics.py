"""What the app counts for Prometheus (app/metrics), in one process.

Counters are process-wide: each test reads how much a count grew. Summing the
counts of several gunicorn workers is tests/shipping/test_metrics_endpoint.py's.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy import literal, select

from app.extensions import db
from tests.infra.helpers import configured


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _growth(name: str, action: Callable[[], object], **labels: str) -> float:
    before = _value(name, **labels)
    action()
    return _value(name, **labels) - before


def test_each_response_is_counted_by_route_method_and_status(app: Flask) -> None:
    client = app.test_client()
    tags = {"endpoint": "api_tags.list_tags", "method": "GET"}

    assert (
        _growth(
            "conduit_http_requests_total", lambda: client.get("/api/tags"), **tags, status="200"
        )
        == 1
    )
    assert (
        _growth(
            "conduit_http_request_duration_seconds_count",
            lambda: client.get("/api/tags"),
            **tags,
            status="200",
        )
        == 1
    )


def test_labels_stay_bounded_whatever_the_client_sends(app: Flask) -> None:
    client = app.test_client()

    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert (
        _growth("conduit_http_requests_total", lambda: client.get("/no/such/page/x1"), **unmatched)
        == 1
    )
    assert (
        _growth("conduit_http_requests_total", lambda: client.get("/no/such/page/x2"), **unmatched)
        == 1
    )
    # Routing failed (no rule has that method): no endpoint either.
    odd = {"endpoint": "unmatched", "method": "OTHER", "status": "405"}
    assert (
        _growth(
            "conduit_http_requests_total", lambda: client.open("/api/tags", method="BREW"), **odd
        )
        == 1
    )


def test_a_request_refused_by_a_rate_limit_is_counted(build: Callable[..., Flask]) -> None:
    client = build(configured({"RATELIMIT_DEFAULT": "1 per minute"}, limits=True)).test_client()
    client.get("/api/tags")

    refused = _growth(
        "conduit_rate_limited_total", lambda: client.get("/api/tags"), endpoint="api_tags.list_tags"
    )

    assert refused == 1


def test_readiness_records_whether_the_database_answered(app: Flask) -> None:
    app.test_client().get("/health/ready")

    assert _value("conduit_dependency_up", dependency="database") == 1


def test_connections_in_use_follow_the_pool(app: Flask) -> None:
    with app.app_context():
        before = _value("conduit_database_connections_in_use")
        db.session.execute(select(literal(1)))
        during = _value("conduit_database_connections_in_use")
        db.session.close()
        after = _value("conduit_database_connections_in_use")

    assert (during - before, after - before) == (1, 0)


def test_cache_reads_are_counted_as_hits_and_misses(build: Callable[..., Flask]) -> None:
    client = build(configured({})).test_client()  # a cache of its own, empty
    misses = _value("conduit_cache_lookups_total", result="miss")
    hits = _value("conduit_cache_lookups_total", result="hit")

    client.get("/api/tags")  # the tag list: read, missed, loaded and stored
    client.get("/api/tags")  # found

    assert _value("conduit_cache_lookups_total", result="miss") - misses == 1
    assert _value("conduit_cache_lookups_total", result="hit") - hits == 1
