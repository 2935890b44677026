"""argon2id hashing: hash, verify, needs_rehash, and the dummy path for unknown users."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher as Argon2Hasher
from flask import Flask

from app.extensions import passwords
from app.services.passwords import PasswordHasher

# The password the hasher hashes for its dummy comparison (see PasswordHasher.init_app).
DUMMY_PASSWORD = "not a real password"


def _bound_hasher(*, time_cost: int, memory_cost: int, parallelism: int = 1) -> PasswordHasher:
    app = Flask(__name__)
    app.config.update(
        ARGON2_TIME_COST=time_cost, ARGON2_MEMORY_COST=memory_cost, ARGON2_PARALLELISM=parallelism
    )
    hasher = PasswordHasher()
    hasher.init_app(app)
    return hasher


def test_hash_is_argon2id_with_the_configured_cost(app):
    password_hash = passwords.hash("correct horse")

    assert password_hash.startswith("$argon2id$")
    assert "m=8,t=1,p=1" in password_hash
    assert passwords.hash("correct horse") != password_hash, "each hash has its own salt"


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [("correct horse", True), ("correct hors", False), ("Correct horse", False), ("", False)],
)
def test_verify_accepts_only_the_exact_password(app, attempt, expected):
    password_hash = passwords.hash("correct horse")

    assert passwords.verify(password_hash, attempt) is expected


@pytest.mark.parametrize("password", ["anything", DUMMY_PASSWORD])
def test_verify_without_a_hash_takes_the_dummy_path_and_says_no(app, password):
    # Even the dummy hash's own password must not open an account that has no hash.
    assert passwords.verify(None, password) is False


def test_verify_without_a_hash_spends_a_real_verification(app, monkeypatch):
    verified: list[str] = []
    real_verify = Argon2Hasher.verify

    def spy(self, password_hash, password):
        verified.append(password_hash)
        return real_verify(self, password_hash, password)

    monkeypatch.setattr(Argon2Hasher, "verify", spy)

    assert passwords.verify(None, DUMMY_PASSWORD) is False
    assert len(verified) == 1
    assert verified[0].startswith("$argon2id$")


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_verify_of_a_malformed_hash_says_no(app, stored):
    assert passwords.verify(stored, "correct horse") is False


def test_needs_rehash_only_when_the_cost_differs(app):
    current = passwords.hash("correct horse")
    weaker = _bound_hasher(time_cost=1, memory_cost=16).hash("correct horse")
    stronger = _bound_hasher(time_cost=2, memory_cost=8).hash("correct horse")

    assert passwords.needs_rehash(current) is False
    assert passwords.needs_rehash(weaker) is True
    assert passwords.needs_rehash(stronger) is True


def test_a_hash_made_with_another_cost_still_verifies(app):
    other = _bound_hasher(time_cost=2, memory_cost=16).hash("correct horse")

    assert passwords.verify(other, "correct horse") is True
    assert passwords.verify(other, "wrong horse") is False


def test_hasher_takes_its_cost_from_the_app_config():
    hasher = _bound_hasher(time_cost=3, memory_cost=32, parallelism=2)

    assert "m=32,t=3,p=2" in hasher.hash("correct horse")
