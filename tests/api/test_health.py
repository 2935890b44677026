"""Liveness: /health."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from config import TestConfig as SuiteConfig
from tests.api.helpers import assert_error


def test_health_is_200_ok(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"status": "ok"}


def test_health_needs_no_token_and_ignores_a_bad_one(client):
    response = client.get("/health", headers={"Authorization": "Token not-a-jwt"})

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


class UnreachableDatabaseConfig(SuiteConfig):
    """A PostgreSQL server that is not there: nothing listens on port 9 of loopback."""

    def __init__(self) -> None:
        super().__init__({})
        self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://conduit@127.0.0.1:9/conduit"


@pytest.fixture
def offline_client() -> Iterator[FlaskClient]:
    app = create_app(UnreachableDatabaseConfig)
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_liveness_asks_no_dependency_and_stays_200_when_the_database_is_down(offline_client):
    response = offline_client.get("/health")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_is_200_with_its_checks_when_the_database_answers(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["checks"]["database"] == "ok"


def test_readiness_is_503_with_the_error_body_when_the_database_is_unreachable(offline_client):
    response = offline_client.get("/health/ready")

    assert_error(response, 503, "database")
    assert response.headers["Retry-After"].isdigit()


def test_an_api_request_is_503_with_the_error_body_when_the_database_is_unreachable(
    offline_client,
):
    response = offline_client.get("/api/articles")

    assert_error(response, 503, "body")
    assert response.headers["Retry-After"].isdigit()
    assert "psycopg" not in response.get_data(as_text=True)
