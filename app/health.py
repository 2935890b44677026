"""Liveness and readiness: /health."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from app.errors import RETRY_AFTER_UNAVAILABLE, error_response
from app.services.health import database_is_reachable

bp = Blueprint("health", __name__)


@bp.get("/health")
def check_health() -> Response:
    """Answer 200 while the app can reach its database, 503 when it cannot."""
    if not database_is_reachable():
        return error_response(
            {"database": ["is unreachable"]}, 503, {"Retry-After": RETRY_AFTER_UNAVAILABLE}
        )
    return current_app.json.response({"status": "ok"})
