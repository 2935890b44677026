"""argon2id password hashing, with its cost taken from the app's config."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask


class PasswordHasher:
    """Hash and verify passwords; bound to an app like any other extension."""

    def __init__(self) -> None:
        self._hasher = Argon2Hasher()
        self._dummy_hash = ""

    def init_app(self, app: Flask) -> None:
        self._hasher = Argon2Hasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_cost=app.config["ARGON2_MEMORY_COST"],
            parallelism=app.config["ARGON2_PARALLELISM"],
        )
        self._dummy_hash = self._hasher.hash("not a real password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Tell whether `password` matches; with no hash, spend the same time and say no."""
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
