"""Readiness (/health/ready) asks the database and Redis; liveness (/health) asks nothing."""

from __future__ import annotations

from flask import Flask

from tests.api.helpers import assert_error
from tests.infra.helpers import CLOSED_PORT_REDIS, configured, counting_statements

# A PostgreSQL server that is not there: nothing listens on port 9 of loopback.
UNREACHABLE_DATABASE = "postgresql+psycopg://conduit@127.0.0.1:9/conduit"
NO_REDIS = {"TEST_REDIS_URL": ""}
REDIS_DOWN = {"TEST_REDIS_URL": CLOSED_PORT_REDIS, "REDIS_SOCKET_TIMEOUT": "0.1"}


def _unreachable_database(build, env: dict[str, str]) -> Flask:
    return build(configured(env, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE), schema=False)


def test_ready_when_the_database_answers_and_no_redis_is_configured(build):
    response = build(configured(NO_REDIS)).test_client().get("/health/ready")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}
    assert "Retry-After" not in response.headers


def test_not_ready_naming_the_database_when_it_is_unreachable(build):
    response = _unreachable_database(build, NO_REDIS).test_client().get("/health/ready")

    errors = assert_error(response, 503)
    assert errors == {"database": ["is unreachable"]}
    assert response.headers["Retry-After"] == "5"
    assert "psycopg" not in response.get_data(as_text=True)


def test_not_ready_naming_redis_when_it_is_unreachable(build):
    response = build(configured(REDIS_DOWN)).test_client().get("/health/ready")

    errors = assert_error(response, 503)
    assert errors == {"redis": ["is unreachable"]}
    assert response.headers["Retry-After"] == "5"


def test_not_ready_naming_both_when_both_are_unreachable(build):
    response = _unreachable_database(build, REDIS_DOWN).test_client().get("/health/ready")

    errors = assert_error(response, 503)
    assert errors == {"database": ["is unreachable"], "redis": ["is unreachable"]}
    assert response.headers["Retry-After"] == "5"


def test_readiness_asks_the_database_each_time(build):
    app = build(configured(NO_REDIS))
    client = app.test_client()

    with counting_statements(app) as statements:
        client.get("/health/ready")
        client.get("/health/ready")

    assert statements.count == 2


def test_liveness_never_touches_the_database(client, statements):
    response = client.get("/health", headers={"Authorization": "Token not-a-jwt"})

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert statements.count == 0


def test_liveness_is_200_while_every_dependency_is_down(build):
    client = _unreachable_database(build, REDIS_DOWN).test_client()

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
