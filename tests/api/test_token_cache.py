"""A token verified once is not verified again by the same process until it expires."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import request
from flask_jwt_extended import create_access_token

from app import create_app
from app.api import auth
from app.api.auth import VerifiedTokens
from app.extensions import db
from config import TestConfig as SuiteConfig
from tests.api.helpers import assert_error
from tests.conftest import auth_headers


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    """Each full verification flask-jwt-extended makes, by Authorization header."""
    made: list[str] = []
    verify = auth.verify_jwt_in_request

    def counting() -> Any:
        made.append(request.headers.get("Authorization", ""))
        return verify()

    monkeypatch.setattr(auth, "verify_jwt_in_request", counting)
    return made


def test_the_same_token_is_verified_once(client, user, verifications):
    headers = auth_headers(user)

    for _ in range(3):
        assert client.get("/api/user", headers=headers).status_code == 200
        assert client.get("/api/articles", headers=headers).status_code == 200

    assert verifications == [headers["Authorization"]]


def test_a_changed_token_is_verified_afresh_and_refused(client, user, verifications):
    headers = auth_headers(user)
    assert client.get("/api/user", headers=headers).status_code == 200
    tampered = {"Authorization": headers["Authorization"][:-2] + "xx"}

    response = client.get("/api/user", headers=tampered)

    assert_error(response, 401, "token")
    assert verifications == [headers["Authorization"], tampered["Authorization"]]


def test_a_refused_token_is_never_remembered(client, user, verifications):
    bad = {"Authorization": "Token aaa.bbb.ccc"}

    for _ in range(2):
        assert_error(client.get("/api/user", headers=bad), 401, "token")

    assert verifications == [bad["Authorization"]] * 2


def test_a_remembered_token_of_a_deleted_account_is_still_refused(client, user):
    headers = auth_headers(user)
    assert client.get("/api/user", headers=headers).status_code == 200
    db.session.delete(user)
    db.session.commit()

    assert_error(client.get("/api/user", headers=headers), 401, "token")


def test_claims_are_forgotten_once_expired(monkeypatch):
    tokens = VerifiedTokens()
    tokens.put("Token a", {"sub": "1", "exp": 1_000})
    monkeypatch.setattr(time, "time", lambda: 999.0)
    assert tokens.get("Token a") == {"sub": "1", "exp": 1_000}

    monkeypatch.setattr(time, "time", lambda: 1_000.0)

    assert tokens.get("Token a") is None
    monkeypatch.setattr(time, "time", lambda: 999.0)
    assert tokens.get("Token a") is None, "an expired entry is dropped, not kept"


def test_claims_without_an_expiry_are_not_remembered():
    tokens = VerifiedTokens()

    tokens.put("Token a", {"sub": "1"})

    assert tokens.get("Token a") is None


def test_the_least_recently_used_token_goes_first_beyond_the_size(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 0.0)
    tokens = VerifiedTokens(size=2)
    tokens.put("Token a", {"exp": 10})
    tokens.put("Token b", {"exp": 10})
    assert tokens.get("Token a") is not None

    tokens.put("Token c", {"exp": 10})

    assert tokens.get("Token b") is None
    assert tokens.get("Token a") is not None
    assert tokens.get("Token c") is not None


def test_each_app_remembers_the_tokens_it_verified(app, user):
    headers = {"Authorization": f"Token {create_access_token(identity=str(user.id))}"}
    other = create_app(SuiteConfig)

    assert app.test_client().get("/api/user", headers=headers).status_code == 200

    remembered = app.extensions[auth.VERIFIED_TOKENS_EXTENSION]
    assert remembered.get(headers["Authorization"]) is not None
    assert auth.VERIFIED_TOKENS_EXTENSION not in other.extensions
