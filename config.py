"""Configuration, read from the environment when an app is built.

Every variable is listed in README.md ("Configuration"). `Config` holds the
production defaults; `TestConfig` is what the test suite builds apps with.
Nothing here is read at import time: `create_app` instantiates the class, and the
instance reads `os.environ` (which python-dotenv fills from `.env`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Production settings; every value can be overridden from the environment."""

    TESTING = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # A CSRF token lives as long as the session: an article written for hours
    # must not be lost to an expired token when it is finally published.
    WTF_CSRF_TIME_LIMIT = None

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ

        self.SECRET_KEY: str | None = env.get("SECRET_KEY") or None
        self.JWT_SECRET_KEY: str | None = env.get("JWT_SECRET_KEY") or self.SECRET_KEY

        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env.get("DATABASE_URL") or "sqlite:///conduit.db"
        )
        self.DATABASE_POOL_SIZE = _int(env, "DATABASE_POOL_SIZE", 10, minimum=1)
        self.DATABASE_POOL_OVERFLOW = _int(env, "DATABASE_POOL_OVERFLOW", 5)
        self.DATABASE_POOL_TIMEOUT = _int(env, "DATABASE_POOL_TIMEOUT", 10, minimum=1)
        self.DATABASE_STATEMENT_TIMEOUT_MS = _int(env, "DATABASE_STATEMENT_TIMEOUT_MS", 5000)

        # A request body above this size is refused with 413 before it is parsed.
        self.MAX_CONTENT_LENGTH = _int(env, "MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024)

        # Secure cookies unless said otherwise; debug mode (plain http) turns them off.
        self.SESSION_COOKIE_SECURE: bool | None = _bool(env, "SESSION_COOKIE_SECURE")
        self.PERMANENT_SESSION_LIFETIME = timedelta(
            seconds=_int(env, "SESSION_LIFETIME_SECONDS", 14 * 24 * 3600, minimum=60)
        )

        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(
            seconds=_int(env, "JWT_EXPIRES_SECONDS", 14 * 24 * 3600, minimum=60)
        )

        # argon2id cost; the defaults are OWASP's recommended minimum (19 MiB, t=2, p=1).
        self.ARGON2_TIME_COST = _int(env, "ARGON2_TIME_COST", 2, minimum=1)
        self.ARGON2_MEMORY_COST = _int(env, "ARGON2_MEMORY_COST", 19456, minimum=8)
        self.ARGON2_PARALLELISM = _int(env, "ARGON2_PARALLELISM", 1, minimum=1)

    def engine_options(self) -> dict[str, Any]:
        """SQLAlchemy engine options that fit the configured database."""
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            return {}
        options: dict[str, Any] = {
            "pool_pre_ping": True,
            "pool_size": self.DATABASE_POOL_SIZE,
            "max_overflow": self.DATABASE_POOL_OVERFLOW,
            "pool_timeout": self.DATABASE_POOL_TIMEOUT,
        }
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            options["connect_args"] = {
                "connect_timeout": 5,
                "options": f"-c statement_timeout={self.DATABASE_STATEMENT_TIMEOUT_MS}",
            }
        return options

    def check(self, *, debug: bool) -> None:
        """Refuse to run in production without secrets; invent throwaway ones in debug."""
        if self.SESSION_COOKIE_SECURE is None:
            self.SESSION_COOKIE_SECURE = not (debug or self.TESTING)
        if self.SECRET_KEY and self.JWT_SECRET_KEY:
            return
        if debug or self.TESTING:
            self.SECRET_KEY = self.SECRET_KEY or secrets.token_urlsafe(32)
            self.JWT_SECRET_KEY = self.JWT_SECRET_KEY or self.SECRET_KEY
            return
        raise ConfigError(
            "SECRET_KEY is not set. Conduit refuses to start in production without it: "
            "set SECRET_KEY (and optionally JWT_SECRET_KEY) in the environment or in .env."
        )


class TestConfig(Config):
    """Fast, isolated settings for the test suite."""

    TESTING = True

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        super().__init__(env)
        self.SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"
        self.JWT_SECRET_KEY = self.SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env.get("TEST_DATABASE_URL") or "sqlite://"
        )
        # The cheapest argon2id profile: tests check behaviour, not hashing cost.
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 8
        self.ARGON2_PARALLELISM = 1
