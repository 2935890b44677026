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


# A secret is at least this long outside debug and tests: HS256 wants 256 bits of key.
SECRET_MIN_LENGTH = 32
# What .env.example shows, and showed, in place of the secrets: a deployment that
# kept one would sign its sessions and tokens with a key anyone can read.
PLACEHOLDER_SECRETS = frozenset(
    {
        "replace-me-with-the-output-of-scripts-init_env.py",
        "change-me",
        "change-me-too",
    }
)
HOW_TO_MAKE_A_SECRET = (
    "`python3 scripts/init_env.py .env` writes a .env with fresh ones, or make one with "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
)


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


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be above 0, not {value}")
    return value


def _list(env: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in (env.get(name) or "").split(",") if item.strip()]


def _origins(env: Mapping[str, str]) -> list[str]:
    origins = _list(env, "CORS_ORIGINS")
    for origin in origins:
        # "null" is what sandboxed iframes and file:// pages send: never trust it.
        if origin == "null" or (origin != "*" and "://" not in origin):
            raise ConfigError(
                f"CORS_ORIGINS holds {origin!r}: give full origins like https://app.example.com"
            )
    return origins


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
        self._read_database_settings(env)

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

        # Redis (optional): the cache and the rate limits' counters, shared by every
        # app process. Short timeouts: a hung Redis must not hang requests.
        self.REDIS_URL: str | None = env.get("REDIS_URL") or None
        redis_timeout = _float(env, "REDIS_SOCKET_TIMEOUT", 0.25)
        redis_options = {"socket_timeout": redis_timeout, "socket_connect_timeout": redis_timeout}
        # CACHE_TYPE=NullCache turns caching off (to measure it, or to rule it out).
        self.CACHE_TYPE = env.get("CACHE_TYPE") or (
            "RedisCache" if self.REDIS_URL else "SimpleCache"
        )
        self.CACHE_REDIS_URL = self.REDIS_URL
        self.CACHE_OPTIONS = dict(redis_options) if self.REDIS_URL else {}
        # Deployments sharing one Redis database keep apart by their prefix.
        key_prefix = env.get("REDIS_KEY_PREFIX") or "conduit"
        self.CACHE_KEY_PREFIX = f"{key_prefix}:cache:"
        self.CACHE_DEFAULT_TIMEOUT = _int(env, "CACHE_DEFAULT_TIMEOUT", 300, minimum=1)
        # Without Redis each process caches on its own and cannot tell the others
        # to forget: keep shared data (the tag list) only briefly then.
        self.TAGS_CACHE_SECONDS = _int(
            env, "TAGS_CACHE_SECONDS", 300 if self.REDIS_URL else 10, minimum=1
        )
        # What a list page shows every viewer (articles, authors, counts, the total),
        # kept for this long. Only with a cache that every process shares, since
        # every write must make it stale everywhere at once: 0 (the default without
        # Redis) reads lists from the database on every request. Short: it bounds
        # how long a page stays stale after a write that could not reach Redis.
        self.LIST_CACHE_SECONDS = _int(env, "LIST_CACHE_SECONDS", 60 if self.REDIS_URL else 0)
        if self.LIST_CACHE_SECONDS and self.CACHE_TYPE != "RedisCache":
            raise ConfigError(
                "LIST_CACHE_SECONDS needs a cache every process shares (REDIS_URL, "
                f"CACHE_TYPE=RedisCache), not {self.CACHE_TYPE}: processes could not tell "
                "each other that a list changed"
            )

        # Each account's credentials generation, kept for this long for the routes
        # where signing in is optional (app/services/credentials.py). It bounds how long
        # a token revoked by a password change may still pass there when the change
        # could not reach Redis, or, without Redis, on the processes that did not make
        # it (twice this at most); 0 reads it from the database on each such request.
        shared_cache = self.CACHE_TYPE == "RedisCache"
        self.CREDENTIALS_CACHE_SECONDS = _int(
            env, "CREDENTIALS_CACHE_SECONDS", 60 if shared_cache else 10
        )

        # Writers announce each new generation of cached entries on a Redis channel
        # and every process listens, so that reading a copy costs no round trip
        # (app/services/generation_watch.py). Off: every read asks Redis, as on a
        # Redis that forbids PUBLISH/SUBSCRIBE. The same for every process sharing
        # the cache: a process that does not announce leaves the others stale.
        announcements = _bool(env, "CACHE_ANNOUNCEMENTS")
        if announcements and self.CACHE_TYPE != "RedisCache":
            raise ConfigError(
                f"CACHE_ANNOUNCEMENTS needs Redis (REDIS_URL, CACHE_TYPE=RedisCache), "
                f"not {self.CACHE_TYPE}"
            )
        self.CACHE_ANNOUNCEMENTS = self.CACHE_TYPE == "RedisCache" and announcements is not False

        self.RATELIMIT_ENABLED = _bool(env, "RATELIMIT_ENABLED") is not False
        self.RATELIMIT_DEFAULT = env.get("RATELIMIT_DEFAULT") or "600 per minute"
        self.RATELIMIT_AUTH = env.get("RATELIMIT_AUTH") or "10 per minute"
        self.RATELIMIT_AUTH_ACCOUNT = env.get("RATELIMIT_AUTH_ACCOUNT") or "5 per minute"
        self.RATELIMIT_STORAGE_URI = (
            env.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        )
        self.RATELIMIT_STORAGE_OPTIONS = (
            dict(redis_options) if self.RATELIMIT_STORAGE_URI.startswith("redis") else {}
        )
        self.RATELIMIT_KEY_PREFIX = f"{key_prefix}-limits"
        self.RATELIMIT_HEADERS_ENABLED = True
        # Flask-Limiter would put Retry-After on every response; only a 429 (or a
        # 503) should carry it, so its own copy goes under another name.
        self.RATELIMIT_HEADER_RETRY_AFTER = "X-RateLimit-Retry-After"
        # Redis down: count in each process's memory instead of failing or not counting.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # Only the first request that finds Redis down switches to memory: the others
        # that were waiting on Redis meanwhile (a hung Redis makes them wait) would
        # fail with Redis's error. They pass uncounted instead (and are logged).
        self.RATELIMIT_SWALLOW_ERRORS = True

        # Browsers on these origins may call the API (none unless listed).
        self.CORS_ORIGINS = _origins(env)
        # Host names the app answers to (Flask refuses others with 400); empty: any.
        self.TRUSTED_HOSTS: list[str] | None = _list(env, "TRUSTED_HOSTS") or None
        # How many reverse proxies in front of the app set X-Forwarded-* headers.
        self.PROXY_FIX_X_FOR = _int(env, "PROXY_FIX_X_FOR", 0)

        self.LOG_LEVEL = (env.get("LOG_LEVEL") or "INFO").upper()
        self.LOG_FORMAT: str | None = env.get("LOG_FORMAT") or None

    def _read_database_settings(self, env: Mapping[str, str]) -> None:
        """The pool's size and every bound on a wait for PostgreSQL."""
        self.DATABASE_POOL_SIZE = _int(env, "DATABASE_POOL_SIZE", 10, minimum=1)
        self.DATABASE_POOL_OVERFLOW = _int(env, "DATABASE_POOL_OVERFLOW", 5)
        # Every wait for PostgreSQL is bounded (README, "When PostgreSQL or Redis fails").
        # A free connection is normally at hand (the pool is at least as large as
        # the threads that use it): waiting for one is a fault too.
        self.DATABASE_POOL_TIMEOUT = _int(env, "DATABASE_POOL_TIMEOUT", 2, minimum=1)
        # libpq's connect_timeout, whose minimum is 2 seconds.
        self.DATABASE_CONNECT_TIMEOUT = _int(env, "DATABASE_CONNECT_TIMEOUT", 2, minimum=2)
        # The server cancels a statement that runs longer (0: never)...
        self.DATABASE_STATEMENT_TIMEOUT_MS = _int(env, "DATABASE_STATEMENT_TIMEOUT_MS", 3000)
        # ...and the app waits a little longer than that for any answer: a server that
        # has not answered by then does not answer at all (app/database_guard.py).
        statement_ms = self.DATABASE_STATEMENT_TIMEOUT_MS
        self.DATABASE_REPLY_TIMEOUT_MS = _int(
            env, "DATABASE_REPLY_TIMEOUT_MS", statement_ms + 1000 if statement_ms else 0
        )
        reply_ms = self.DATABASE_REPLY_TIMEOUT_MS
        if reply_ms and (not statement_ms or reply_ms <= statement_ms):
            raise ConfigError(
                f"DATABASE_REPLY_TIMEOUT_MS ({reply_ms}) must be longer "
                f"than DATABASE_STATEMENT_TIMEOUT_MS ({statement_ms}, 0 is no limit): a slow "
                "statement must be cancelled by the server before the app gives up on it"
            )
        # After PostgreSQL did not answer, requests fail at once for this long.
        self.DATABASE_FAIL_FAST_SECONDS = _float(env, "DATABASE_FAIL_FAST_SECONDS", 2.0)
        # A pooled connection idle for longer is pinged before use (app/database.py).
        self.DATABASE_PING_AFTER_IDLE_SECONDS = _int(env, "DATABASE_PING_AFTER_IDLE_SECONDS", 10)

    def engine_options(self) -> dict[str, Any]:
        """SQLAlchemy engine options that fit the configured database."""
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            return {}
        options: dict[str, Any] = {
            "pool_size": self.DATABASE_POOL_SIZE,
            "max_overflow": self.DATABASE_POOL_OVERFLOW,
            "pool_timeout": self.DATABASE_POOL_TIMEOUT,
        }
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            # PostgreSQL connections are pinged after idleness only (app/database.py).
            options["connect_args"] = {
                "connect_timeout": self.DATABASE_CONNECT_TIMEOUT,
                "options": f"-c statement_timeout={self.DATABASE_STATEMENT_TIMEOUT_MS}",
                # A server that vanished (a host down, a network that drops packets)
                # is noticed by the kernel: while idle, after 10 + 3 x 5 s of
                # unanswered keepalives; with a statement sent, once it has gone
                # unacknowledged as long as the app waits for an answer.
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
                "tcp_user_timeout": self.DATABASE_REPLY_TIMEOUT_MS,
            }
        else:
            options["pool_pre_ping"] = True
        return options

    def check(self, *, debug: bool) -> None:
        """Refuse to run in production without strong secrets; invent throwaway ones in debug."""
        if self.SESSION_COOKIE_SECURE is None:
            self.SESSION_COOKIE_SECURE = not (debug or self.TESTING)
        if self.LOG_FORMAT is None:
            self.LOG_FORMAT = "console" if debug else "json"
        if self.LOG_FORMAT not in ("json", "console"):
            raise ConfigError(f"LOG_FORMAT must be json or console, not {self.LOG_FORMAT!r}")
        if debug or self.TESTING:
            self.SECRET_KEY = self.SECRET_KEY or secrets.token_urlsafe(32)
            self.JWT_SECRET_KEY = self.JWT_SECRET_KEY or self.SECRET_KEY
            return
        if not self.SECRET_KEY:
            raise ConfigError(
                "SECRET_KEY is not set. Conduit refuses to start in production without it: "
                "set SECRET_KEY (and optionally JWT_SECRET_KEY) in the environment or in .env; "
                + HOW_TO_MAKE_A_SECRET
                + "."
            )
        _check_secret("SECRET_KEY", self.SECRET_KEY)
        _check_secret("JWT_SECRET_KEY", self.JWT_SECRET_KEY or self.SECRET_KEY)


def _check_secret(name: str, value: str) -> None:
    """Refuse a secret that anyone could know or guess."""
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        problem = "is the placeholder from .env.example"
    elif len(value) < SECRET_MIN_LENGTH:
        problem = f"is {len(value)} characters long"
    else:
        return
    raise ConfigError(
        f"{name} {problem}. Conduit refuses to start in production without a random "
        f"secret of at least {SECRET_MIN_LENGTH} characters: {HOW_TO_MAKE_A_SECRET}."
    )


class TestConfig(Config):
    """Fast, isolated settings for the test suite.

    The suite's own services come from TEST_DATABASE_URL (else in-memory SQLite)
    and TEST_REDIS_URL (else in-process cache and limits), never from the
    variables that configure a real deployment.
    """

    TESTING = True

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        env["DATABASE_URL"] = env.get("TEST_DATABASE_URL") or "sqlite://"
        env["REDIS_URL"] = env.get("TEST_REDIS_URL") or ""
        env.pop("RATELIMIT_STORAGE_URI", None)
        env.pop("CACHE_TYPE", None)
        super().__init__(env)
        self.SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"
        self.JWT_SECRET_KEY = self.SECRET_KEY
        # The cheapest argon2id profile: tests check behaviour, not hashing cost.
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 8
        self.ARGON2_PARALLELISM = 1
        # Tests sign in hundreds of times a minute; the limiter's own tests turn it on.
        self.RATELIMIT_ENABLED = False
        # Factories write rows behind the services' backs: lists are not cached,
        # except by the tests of that cache (tests/infra/test_list_cache_redis.py).
        self.LIST_CACHE_SECONDS = 0
        # A prefix of its own per app: tests sharing one Redis never see each other.
        run = secrets.token_hex(4)
        self.CACHE_KEY_PREFIX = f"conduit-test-{run}:cache:"
        self.RATELIMIT_KEY_PREFIX = f"conduit-test-{run}-limits"
