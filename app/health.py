"""Liveness (/health) and readiness (/health/ready) for probes and load balancers."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from app.database_guard import answers_within
from app.errors import RETRY_AFTER_UNAVAILABLE, error_response
from app.metrics import record_dependency
from app.services.health import database_is_reachable, redis_is_reachable

bp = Blueprint("health", __name__)

# A probe must hear back quickly: the database's answer to a trivial query is
# awaited this long at most (a new connection may add DATABASE_CONNECT_TIMEOUT).
READINESS_REPLY_SECONDS = 1.0


@bp.get("/health")
def check_liveness() -> Response:
    """Answer 200 while the process serves requests; asks no dependency."""
    return current_app.json.response({"status": "ok"})


@bp.get("/health/ready")
def check_readiness() -> Response:
    """Answer 200 when the database (and Redis, if configured) answer; 503 naming what does not."""
    with answers_within(READINESS_REPLY_SECONDS):
        database = database_is_reachable()
    record_dependency("database", up=database)
    checks = {"database": "ok" if database else "unreachable"}
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        timeout = current_app.config["CACHE_OPTIONS"].get("socket_timeout", 0.25)
        redis = redis_is_reachable(redis_url, timeout=timeout)
        record_dependency("redis", up=redis)
        checks["redis"] = "ok" if redis else "unreachable"
    failing = {name: [f"is {state}"] for name, state in checks.items() if state != "ok"}
    if failing:
        return error_response(failing, 503, {"Retry-After": RETRY_AFTER_UNAVAILABLE})
    return current_app.json.response({"status": "ok", "checks": checks})
