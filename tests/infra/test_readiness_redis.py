"""Readiness with Redis configured and answering.

Collected only with TEST_REDIS_URL (see conftest.py).
"""

from __future__ import annotations

from tests.infra.conftest import REDIS_URL
from tests.infra.helpers import configured


def test_ready_when_the_database_and_redis_answer(build):
    app = build(configured({"TEST_REDIS_URL": REDIS_URL or ""}))

    response = app.test_client().get("/health/ready")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
