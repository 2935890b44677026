"""Liveness: /health."""

from __future__ import annotations


def test_health_is_200_ok(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"status": "ok"}


def test_health_needs_no_token_and_ignores_a_bad_one(client):
    response = client.get("/health", headers={"Authorization": "Token not-a-jwt"})

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
