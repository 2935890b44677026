"""Configuration, read from the environment when an app is built.

Every variable is listed in README.md ("Configuration"). `Config` holds the
production defaults; `TestConfig` is what the test suite builds apps with.
Nothing here is read at import time: `create_app` instantiates the class, and the
instance reads `os.environ` (which python-dotenv fills from `.env`), or the mapping
it is given. A setting's name is its variable's unless `alias` names the variable;
a variable that is unset, empty or blank takes the default.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


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
# Marks a setting worked out from others: no variable sets it.
DERIVED = object()
REDIS = "RedisCache"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _comma_list(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return [item.strip() for item in value.split(",") if item.strip()]


def _base_url(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) URL, not {url!r}")
    return url.rstrip("/")


def _full_origins(origins: list[str]) -> list[str]:
    for origin in origins:
        # "null" is what sandboxed iframes and file:// pages send: never trust it.
        if origin == "null" or (origin != "*" and "://" not in origin):
            raise ConfigError(
                f"CORS_ORIGINS holds {origin!r}: give full origins like https://app.example.com"
            )
    return origins


# PostgreSQL's built-in text search configurations (`\dF` in psql).
SEARCH_LANGUAGES = frozenset(
    [
        "arabic",
        "armenian",
        "basque",
        "catalan",
        "danish",
        "dutch",
        "english",
        "finnish",
        "french",
        "german",
        "greek",
        "hindi",
        "hungarian",
        "indonesian",
        "irish",
        "italian",
        "lithuanian",
        "nepali",
        "norwegian",
        "portuguese",
        "romanian",
        "russian",
        "serbian",
        "simple",
        "spanish",
        "swedish",
        "tamil",
        "turkish",
        "yiddish",
    ]
)


def _search_language(name: str) -> str:
    name = name.strip().lower()
    if name not in SEARCH_LANGUAGES:
        raise ConfigError(
            f"SEARCH_LANGUAGE must be one of {', '.join(sorted(SEARCH_LANGUAGES))}, not {name!r}"
        )
    return name


Flag = Annotated[bool, BeforeValidator(_strip)]
Seconds = Annotated[float, Field(gt=0)]
Names = Annotated[list[str], BeforeValidator(_comma_list)]


class Config(BaseSettings):
    """Production settings; every value can be overridden from the environment."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", validate_default=True)

    TESTING: ClassVar[bool] = False
    SESSION_COOKIE_HTTPONLY: ClassVar[bool] = True
    SESSION_COOKIE_SAMESITE: ClassVar[str] = "Lax"
    # A web session ends when its row says, SESSION_LIFETIME_SECONDS after sign-in
    # (app/services/sessions.py): the cookie is set then, with that lifetime, and
    # again only when the session changes. Flask would sign and send it again on
    # every page, for an expiry that moving would not extend.
    SESSION_REFRESH_EACH_REQUEST: ClassVar[bool] = False
    # A CSRF token lives as long as the session: an article written for hours
    # must not be lost to an expired token when it is finally published.
    WTF_CSRF_TIME_LIMIT: ClassVar[int | None] = None
    JWT_TOKEN_LOCATION: ClassVar[list[str]] = ["headers"]
    JWT_HEADER_TYPE: ClassVar[str] = "Token"

    SECRET_KEY: str | None = None
    JWT_SECRET_KEY: str | None = Field(default_factory=lambda s: s["SECRET_KEY"])

    SQLALCHEMY_DATABASE_URI: Annotated[str, AfterValidator(normalise_database_url)] = Field(
        "sqlite:///conduit.db", alias="DATABASE_URL"
    )
    DATABASE_POOL_SIZE: int = Field(10, ge=1)
    DATABASE_POOL_OVERFLOW: int = Field(5, ge=0)
    # Every wait for PostgreSQL is bounded (README, "When PostgreSQL or Redis fails").
    # A free connection is normally at hand (the pool is at least as large as
    # the threads that use it): waiting for one is a fault too.
    DATABASE_POOL_TIMEOUT: int = Field(2, ge=1)
    # libpq's connect_timeout, whose minimum is 2 seconds.
    DATABASE_CONNECT_TIMEOUT: int = Field(2, ge=2)
    # The server cancels a statement that runs longer (0: never)...
    DATABASE_STATEMENT_TIMEOUT_MS: int = Field(3000, ge=0)
    # ...and the app waits a little longer than that for any answer: a server that
    # has not answered by then does not answer at all (app/database_guard.py).
    DATABASE_REPLY_TIMEOUT_MS: int = Field(
        ge=0,
        default_factory=lambda s: (
            s["DATABASE_STATEMENT_TIMEOUT_MS"] + 1000 if s["DATABASE_STATEMENT_TIMEOUT_MS"] else 0
        ),
    )
    # How PostgreSQL plans the app's prepared statements. Generic: a statement is planned
    # once per connection, which halves what a list costs the server (planning it each
    # time was most of that); searches plan with their words whatever this says.
    DATABASE_PLAN_CACHE_MODE: Literal["auto", "force_generic_plan", "force_custom_plan"] = (
        "force_generic_plan"
    )
    # After PostgreSQL did not answer, requests fail at once for this long.
    DATABASE_FAIL_FAST_SECONDS: Seconds = 2.0
    # A pooled connection idle for longer is pinged before use (app/database.py).
    DATABASE_PING_AFTER_IDLE_SECONDS: int = Field(10, ge=0)

    # A request body above this size is refused with 413 before it is parsed.
    MAX_CONTENT_LENGTH: int = Field(1024 * 1024, ge=1024)

    # Secure cookies unless said otherwise; debug mode (plain http) turns them off.
    SESSION_COOKIE_SECURE: Flag | None = None
    SESSION_LIFETIME_SECONDS: int = Field(14 * 24 * 3600, ge=60)
    JWT_EXPIRES_SECONDS: int = Field(14 * 24 * 3600, ge=60)

    # argon2id cost; the defaults are OWASP's recommended minimum (19 MiB, t=2, p=1).
    ARGON2_TIME_COST: int = Field(2, ge=1)
    ARGON2_MEMORY_COST: int = Field(19456, ge=8)
    ARGON2_PARALLELISM: int = Field(1, ge=1)

    # Redis (optional): the cache and the rate limits' counters, shared by every
    # app process. Short timeouts: a hung Redis must not hang requests.
    REDIS_URL: str | None = None
    REDIS_SOCKET_TIMEOUT: Seconds = 0.25
    # Deployments sharing one Redis database keep apart by their prefix.
    REDIS_KEY_PREFIX: str = "conduit"
    # CACHE_TYPE=NullCache turns caching off (to measure it, or to rule it out).
    CACHE_TYPE: str = Field(default_factory=lambda s: REDIS if s["REDIS_URL"] else "SimpleCache")
    CACHE_REDIS_URL: Annotated[str | None, DERIVED] = Field(
        default_factory=lambda s: s["REDIS_URL"]
    )
    CACHE_OPTIONS: Annotated[dict[str, float], DERIVED] = Field(
        default_factory=lambda s: _redis_options(s) if s["REDIS_URL"] else {}
    )
    CACHE_KEY_PREFIX: Annotated[str, DERIVED] = Field(
        default_factory=lambda s: f"{s['REDIS_KEY_PREFIX']}:cache:"
    )
    CACHE_DEFAULT_TIMEOUT: int = Field(300, ge=1)
    # Without Redis each process caches on its own and cannot tell the others
    # to forget: keep shared data (the tag list) only briefly then.
    TAGS_CACHE_SECONDS: int = Field(ge=1, default_factory=lambda s: 300 if s["REDIS_URL"] else 10)
    # Each account's credentials generation, kept for this long for the routes
    # where signing in is optional (app/services/credentials.py). It bounds how long
    # a token revoked by a password change may still pass there when the change
    # could not reach Redis, or, without Redis, on the processes that did not make
    # it (twice this at most); 0 reads it from the database on each such request.
    CREDENTIALS_CACHE_SECONDS: int = Field(
        ge=0, default_factory=lambda s: 60 if s["CACHE_TYPE"] == REDIS else 10
    )
    # Each article's comments with their authors, as the API lists them, kept in
    # Redis until a comment on it, its deletion or a commenter's new name, bio or
    # image makes them stale (app/queries/comment_lists.py). It also bounds how
    # long a list may miss a comment written while Redis was unreachable. 0 reads
    # them from the database on each request, as it does without Redis: a process
    # of its own cannot tell the others that a comment was added.
    COMMENTS_CACHE_SECONDS: int = Field(
        ge=0, default_factory=lambda s: 60 if s["CACHE_TYPE"] == REDIS else 0
    )

    # Mail (app/mail), sent by the background jobs (app/jobs). Without MAIL_SERVER,
    # mail is written to the log in debug; elsewhere the features that send it
    # answer that they are not available here.
    MAIL_SERVER: str | None = None
    MAIL_PORT: int = Field(25, ge=1, le=65535)
    MAIL_USE_TLS: Flag = False
    MAIL_USE_SSL: Flag = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER: str = "Conduit <no-reply@localhost>"
    # An SMTP server that stops answering fails the sending (which is retried)
    # after this long, instead of holding a worker for good.
    MAIL_TIMEOUT: Seconds = 10.0
    # Flask-Mailman writes to memory in tests unless told: the tests use real SMTP.
    MAIL_BACKEND: ClassVar[str] = "smtp"
    # Where people reach the site: the links in mails start with it (a worker has
    # no request to take a host from, and a request's Host can be forged).
    # Unset: http://127.0.0.1:5000 in debug; required with MAIL_SERVER otherwise.
    PUBLIC_BASE_URL: Annotated[str | None, AfterValidator(_base_url)] = None
    # How long a password reset link works.
    PASSWORD_RESET_SECONDS: int = Field(1800, ge=60)

    # Background jobs (app/jobs): on Redis with REDIS_URL, run by `flask worker`;
    # without it, in the web process after the response.
    JOBS_MAX_RETRIES: int = Field(5, ge=0)
    # The first retry waits this long, each next one twice as long.
    JOBS_RETRY_BACKOFF_SECONDS: Seconds = 15.0
    # A worker silent for this long is taken for dead: the jobs it had taken go to
    # another. Longer than any job runs (MAIL_TIMEOUT), or a slow job runs twice.
    JOBS_HEARTBEAT_TIMEOUT_SECONDS: Seconds = 60.0
    JOBS_WORKER_THREADS: int = Field(2, ge=1)
    JOBS_KEY_PREFIX: Annotated[str, DERIVED] = Field(
        default_factory=lambda s: f"{s['REDIS_KEY_PREFIX']}:jobs"
    )

    RATELIMIT_ENABLED: Flag = True
    RATELIMIT_DEFAULT: str = "600 per minute"
    RATELIMIT_AUTH: str = "10 per minute"
    RATELIMIT_AUTH_ACCOUNT: str = "5 per minute"
    # Password reset requests and new passwords set with a reset link, per client
    # address; reset requests per e-mail address (each sends a mail).
    RATELIMIT_PASSWORD_RESET: str = "10 per hour"
    RATELIMIT_PASSWORD_RESET_ACCOUNT: str = "3 per hour"
    RATELIMIT_STORAGE_URI: str = Field(default_factory=lambda s: s["REDIS_URL"] or "memory://")
    RATELIMIT_STORAGE_OPTIONS: Annotated[dict[str, float], DERIVED] = Field(
        default_factory=lambda s: (
            _redis_options(s) if s["RATELIMIT_STORAGE_URI"].startswith("redis") else {}
        )
    )
    RATELIMIT_KEY_PREFIX: Annotated[str, DERIVED] = Field(
        default_factory=lambda s: f"{s['REDIS_KEY_PREFIX']}-limits"
    )
    RATELIMIT_HEADERS_ENABLED: ClassVar[bool] = True
    # Flask-Limiter would put Retry-After on every response; only a 429 (or a
    # 503) should carry it, so its own copy goes under another name.
    RATELIMIT_HEADER_RETRY_AFTER: ClassVar[str] = "X-RateLimit-Retry-After"
    # Redis down: count in each process's memory instead of failing or not counting.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED: ClassVar[bool] = True
    # Only the first request that finds Redis down switches to memory: the others
    # that were waiting on Redis meanwhile (a hung Redis makes them wait) would
    # fail with Redis's error. They pass uncounted instead (and are logged).
    RATELIMIT_SWALLOW_ERRORS: ClassVar[bool] = True

    # Browsers on these origins may call the API (none unless listed).
    CORS_ORIGINS: Annotated[Names, AfterValidator(_full_origins)] = Field(default_factory=list)
    # Host names the app answers to (Flask refuses others with 400); empty: any.
    TRUSTED_HOSTS: Annotated[Names | None, AfterValidator(lambda hosts: hosts or None)] = None
    # How many reverse proxies in front of the app set X-Forwarded-* headers.
    PROXY_FIX_X_FOR: int = Field(0, ge=0)

    # The language whose word forms search matches (stemming, stop words): one of
    # PostgreSQL's text search configurations. SQLite stems English whatever it says.
    # Stored words keep the language they were written in: after a change, run
    # `flask search reindex`.
    SEARCH_LANGUAGE: Annotated[str, AfterValidator(_search_language)] = "english"
    # PostgreSQL: a search not answered within this long is answered over the newest
    # articles only (app/queries/search.py); 0 for no limit of its own.
    SEARCH_TIME_LIMIT_MS: int = Field(300, ge=0)
    # Searches at work at once in each process; more wait for a place up to
    # SEARCH_QUEUE_WAIT_MS (0: not at all), then are answered 503.
    SEARCH_CONCURRENCY: int = Field(2, ge=1)
    SEARCH_QUEUE_WAIT_MS: int = Field(1000, ge=0)

    LOG_LEVEL: Annotated[str, AfterValidator(str.upper)] = "INFO"
    # json or console; unset: console in debug, json otherwise (see `check`).
    LOG_FORMAT: str | None = None

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        given = {name: env[name] for name in self.variables() if (env.get(name) or "").strip()}
        try:
            super().__init__(**given)
        except ValidationError as error:
            raise ConfigError(_explain(error.errors()[0])) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        **_: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment arrives as the constructor's mapping (os.environ unless the
        # caller, a test or the bench, gives its own), never read behind its back.
        return (init_settings,)

    @classmethod
    def variables(cls) -> list[str]:
        """The environment variables that configure the app."""
        return [
            field.alias or name
            for name, field in cls.model_fields.items()
            if DERIVED not in field.metadata
        ]

    @model_validator(mode="after")
    def _refuse_contradictions(self) -> Self:
        statement_ms, reply_ms = self.DATABASE_STATEMENT_TIMEOUT_MS, self.DATABASE_REPLY_TIMEOUT_MS
        if reply_ms and (not statement_ms or reply_ms <= statement_ms):
            raise ConfigError(
                f"DATABASE_REPLY_TIMEOUT_MS ({reply_ms}) must be longer "
                f"than DATABASE_STATEMENT_TIMEOUT_MS ({statement_ms}, 0 is no limit): a slow "
                "statement must be cancelled by the server before the app gives up on it"
            )
        if self.MAIL_USE_TLS and self.MAIL_USE_SSL:
            raise ConfigError(
                "MAIL_USE_TLS (STARTTLS, usually port 587) and MAIL_USE_SSL (TLS from the "
                "start, usually port 465) exclude each other: set one"
            )
        return self

    # Flask's names for settings read under others, worked out when the app reads them.
    # Flask's from_object copies only upper-case attributes, so these properties carry
    # Flask's upper-case names (hence noqa N802, the lower-case rule for methods).

    @property
    def PERMANENT_SESSION_LIFETIME(self) -> timedelta:  # noqa: N802
        return timedelta(seconds=self.SESSION_LIFETIME_SECONDS)

    @property
    def JWT_ACCESS_TOKEN_EXPIRES(self) -> timedelta:  # noqa: N802
        return timedelta(seconds=self.JWT_EXPIRES_SECONDS)

    @property
    def SQLALCHEMY_ENGINE_OPTIONS(self) -> dict[str, Any]:  # noqa: N802
        return self.engine_options()

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
                # No JIT compilation: the app's statements read a few rows by index,
                # which compiling never sped up, and a generic plan's cost estimate
                # (its LIMIT unknown) passed jit_above_cost at 1,000,000 articles:
                # 340 ms of compiling for a list that runs in 1.
                "options": (
                    f"-c statement_timeout={self.DATABASE_STATEMENT_TIMEOUT_MS} "
                    f"-c plan_cache_mode={self.DATABASE_PLAN_CACHE_MODE} -c jit=off"
                ),
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
        if debug and self.PUBLIC_BASE_URL is None:
            self.PUBLIC_BASE_URL = "http://127.0.0.1:5000"
        if self.MAIL_SERVER and not self.PUBLIC_BASE_URL:
            raise ConfigError(
                "MAIL_SERVER is set but PUBLIC_BASE_URL is not: the links in mails need "
                "the address people reach the site at (https://conduit.example.com)"
            )
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


def _redis_options(settings: dict[str, Any]) -> dict[str, float]:
    timeout = settings["REDIS_SOCKET_TIMEOUT"]
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


# How each of pydantic's refusals reads, in the words of the variable's value.
_EXPLANATIONS = {
    "int_parsing": "must be a whole number, not {raw!r}",
    "int_from_float": "must be a whole number, not {raw!r}",
    "float_parsing": "must be a number, not {raw!r}",
    "bool_parsing": "must be true or false, not {raw!r}",
    "greater_than_equal": "must be at least {ge}, not {raw}",
    "greater_than": "must be above {gt:g}, not {number}",
}


def _explain(error: Mapping[str, Any]) -> str:
    """The ConfigError message for pydantic's first refusal of a variable."""
    name, raw = error["loc"][0], error["input"]
    template = _EXPLANATIONS.get(error["type"])
    if template is None:
        return f"{name}: {error['msg']}"
    number = float(raw) if error["type"] == "greater_than" else None
    return f"{name} " + template.format(raw=raw, number=number, **error.get("ctx", {}))


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

    TESTING: ClassVar[bool] = True

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
        # A prefix of its own per app: tests sharing one Redis never see each other.
        run = secrets.token_hex(4)
        self.CACHE_KEY_PREFIX = f"conduit-test-{run}:cache:"
        self.RATELIMIT_KEY_PREFIX = f"conduit-test-{run}-limits"
        self.JOBS_KEY_PREFIX = f"conduit-test-{run}:jobs"
        # Links in the mails the tests read.
        self.PUBLIC_BASE_URL = self.PUBLIC_BASE_URL or "http://conduit.test"
