"""Configuration from the environment, and what `create_app` does with it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from dotenv import dotenv_values

from app import create_app
from app.extensions import db
from config import PLACEHOLDER_SECRETS, Config, ConfigError, normalise_database_url
from config import TestConfig as SuiteConfig

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-production-secret-that-is-long-enough"

EVERY_VARIABLE = {
    "SECRET_KEY": SECRET,
    "JWT_SECRET_KEY": "a-separate-token-secret-long-enough",
    "DATABASE_URL": "postgres://conduit:pw@db.internal:5432/conduit",
    "DATABASE_POOL_SIZE": "16",
    "DATABASE_POOL_OVERFLOW": "4",
    "DATABASE_POOL_TIMEOUT": "3",
    "DATABASE_STATEMENT_TIMEOUT_MS": "2500",
    "DATABASE_PLAN_CACHE_MODE": "auto",
    "DATABASE_REPLY_TIMEOUT_MS": "3200",
    "DATABASE_CONNECT_TIMEOUT": "4",
    "DATABASE_FAIL_FAST_SECONDS": "1.5",
    "DATABASE_PING_AFTER_IDLE_SECONDS": "30",
    "MAX_CONTENT_LENGTH": "65536",
    "JWT_EXPIRES_SECONDS": "3600",
    "ARGON2_TIME_COST": "3",
    "ARGON2_MEMORY_COST": "1024",
    "ARGON2_PARALLELISM": "2",
}


def _config_class(environ: dict[str, str], *, testing: bool = False) -> type[Config]:
    """A Config that reads `environ` instead of os.environ, as `create_app` builds it."""

    class EnvironConfig(Config):
        TESTING = testing

        def __init__(self) -> None:
            super().__init__(environ)

    return EnvironConfig


# Reading the environment ------------------------------------------------------


def test_config_reads_every_variable_from_the_given_mapping():
    config = Config(EVERY_VARIABLE)

    assert config.SECRET_KEY == SECRET
    assert config.JWT_SECRET_KEY == "a-separate-token-secret-long-enough"
    assert config.SQLALCHEMY_DATABASE_URI == (
        "postgresql+psycopg://conduit:pw@db.internal:5432/conduit"
    )
    assert config.DATABASE_POOL_SIZE == 16
    assert config.DATABASE_POOL_OVERFLOW == 4
    assert config.DATABASE_POOL_TIMEOUT == 3
    assert config.DATABASE_STATEMENT_TIMEOUT_MS == 2500
    assert config.DATABASE_PLAN_CACHE_MODE == "auto"
    assert config.DATABASE_REPLY_TIMEOUT_MS == 3200
    assert config.DATABASE_CONNECT_TIMEOUT == 4
    assert config.DATABASE_FAIL_FAST_SECONDS == 1.5
    assert config.DATABASE_PING_AFTER_IDLE_SECONDS == 30
    assert config.MAX_CONTENT_LENGTH == 65536
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 3600
    assert config.ARGON2_TIME_COST == 3
    assert config.ARGON2_MEMORY_COST == 1024
    assert config.ARGON2_PARALLELISM == 2
    assert config.TESTING is False


@pytest.mark.parametrize(
    "environ", [{}, dict.fromkeys(EVERY_VARIABLE, ""), {"DATABASE_POOL_SIZE": "  "}]
)
def test_config_defaults_apply_to_missing_or_blank_variables(environ):
    config = Config(environ)

    assert config.SECRET_KEY is None
    assert config.JWT_SECRET_KEY is None
    assert config.SQLALCHEMY_DATABASE_URI == "sqlite:///conduit.db"
    assert config.DATABASE_POOL_SIZE == 10
    assert config.DATABASE_POOL_OVERFLOW == 5
    assert config.DATABASE_POOL_TIMEOUT == 2
    assert config.DATABASE_CONNECT_TIMEOUT == 2
    assert config.DATABASE_STATEMENT_TIMEOUT_MS == 3000
    # The app waits a second longer than the server lets a statement run.
    assert config.DATABASE_REPLY_TIMEOUT_MS == 4000
    assert config.DATABASE_FAIL_FAST_SECONDS == 2.0
    assert config.MAX_CONTENT_LENGTH == 1024 * 1024
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 14 * 24 * 3600
    assert (config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST, config.ARGON2_PARALLELISM) == (
        2,
        19456,
        1,
    )


def test_jwt_secret_defaults_to_the_secret_key():
    config = Config({"SECRET_KEY": SECRET})

    assert config.JWT_SECRET_KEY == SECRET


def test_config_reads_os_environ_when_given_no_mapping(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_POOL_SIZE", "12")

    config = Config()

    assert config.SECRET_KEY == SECRET
    assert config.DATABASE_POOL_SIZE == 12


def test_config_is_read_when_instantiated_not_when_imported():
    first = Config({"DATABASE_POOL_SIZE": "3"})
    second = Config({"DATABASE_POOL_SIZE": "4"})

    assert (first.DATABASE_POOL_SIZE, second.DATABASE_POOL_SIZE) == (3, 4)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@host:5432/db", "postgresql+psycopg://u:p@host:5432/db"),
        (
            "postgresql://u@127.0.0.1/db?sslmode=require",
            "postgresql+psycopg://u@127.0.0.1/db?sslmode=require",
        ),
        ("postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db"),
        ("postgresql+psycopg2://u@host/db", "postgresql+psycopg2://u@host/db"),
        ("sqlite:///conduit.db", "sqlite:///conduit.db"),
        ("sqlite://", "sqlite://"),
        ("mysql://u@host/db", "mysql://u@host/db"),
    ],
)
def test_postgres_urls_use_psycopg_3(url, expected):
    assert normalise_database_url(url) == expected
    uri = Config({"DATABASE_URL": url}).SQLALCHEMY_DATABASE_URI

    assert uri == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_POOL_SIZE", "ten", "DATABASE_POOL_SIZE must be a whole number, not 'ten'"),
        ("DATABASE_POOL_SIZE", "1.5", "DATABASE_POOL_SIZE must be a whole number, not '1.5'"),
        ("DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE must be at least 1, not 0"),
        ("DATABASE_POOL_OVERFLOW", "-1", "DATABASE_POOL_OVERFLOW must be at least 0, not -1"),
        ("DATABASE_POOL_TIMEOUT", "0", "DATABASE_POOL_TIMEOUT must be at least 1, not 0"),
        ("DATABASE_STATEMENT_TIMEOUT_MS", "5s", "DATABASE_STATEMENT_TIMEOUT_MS must be a whole"),
        ("DATABASE_CONNECT_TIMEOUT", "1", "DATABASE_CONNECT_TIMEOUT must be at least 2, not 1"),
        ("MAX_CONTENT_LENGTH", "1023", "MAX_CONTENT_LENGTH must be at least 1024, not 1023"),
        ("MAX_CONTENT_LENGTH", "1MB", "MAX_CONTENT_LENGTH must be a whole number, not '1MB'"),
        ("JWT_EXPIRES_SECONDS", "59", "JWT_EXPIRES_SECONDS must be at least 60, not 59"),
        ("ARGON2_TIME_COST", "0", "ARGON2_TIME_COST must be at least 1, not 0"),
        ("ARGON2_MEMORY_COST", "7", "ARGON2_MEMORY_COST must be at least 8, not 7"),
        ("ARGON2_PARALLELISM", "two", "ARGON2_PARALLELISM must be a whole number, not 'two'"),
    ],
)
def test_bad_integers_raise_config_error_naming_the_variable(name, value, message):
    with pytest.raises(ConfigError) as caught:
        Config({**EVERY_VARIABLE, name: value})

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("name", "value"), [("DATABASE_POOL_OVERFLOW", "0"), ("MAX_CONTENT_LENGTH", "1024")]
)
def test_integers_at_their_minimum_are_accepted(name, value):
    assert getattr(Config({name: value}), name) == int(value)


@pytest.mark.parametrize(
    ("statement_ms", "reply_ms"), [("2500", "2500"), ("2500", "1000"), ("0", "4000")]
)
def test_a_reply_timeout_not_beyond_the_statement_timeout_is_refused(statement_ms, reply_ms):
    environ = {"DATABASE_STATEMENT_TIMEOUT_MS": statement_ms, "DATABASE_REPLY_TIMEOUT_MS": reply_ms}

    with pytest.raises(ConfigError, match="must be longer than DATABASE_STATEMENT_TIMEOUT_MS"):
        Config(environ)


def test_without_a_statement_timeout_the_app_waits_as_long_as_it_takes():
    config = Config({"DATABASE_STATEMENT_TIMEOUT_MS": "0"})

    assert config.DATABASE_REPLY_TIMEOUT_MS == 0


def test_test_config_reads_its_own_database_and_keeps_hashing_cheap():
    config = SuiteConfig({"TEST_DATABASE_URL": "postgres://u@h/tests", "DATABASE_URL": "sqlite://"})

    assert config.TESTING is True
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/tests"
    assert (config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST) == (1, 8)
    assert config.SECRET_KEY
    assert config.JWT_SECRET_KEY == config.SECRET_KEY
    assert SuiteConfig({}).SQLALCHEMY_DATABASE_URI == "sqlite://"


# Engine options -----------------------------------------------------------------


def test_engine_options_size_the_pool_for_postgres():
    options = Config(EVERY_VARIABLE).engine_options()

    assert options == {
        "pool_size": 16,
        "max_overflow": 4,
        "pool_timeout": 3,
        "connect_args": {
            "connect_timeout": 4,
            "options": "-c statement_timeout=2500 -c plan_cache_mode=auto -c jit=off",
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": 3200,
        },
    }


def test_a_plan_cache_mode_postgresql_does_not_know_is_refused():
    with pytest.raises(ConfigError) as caught:
        Config({**EVERY_VARIABLE, "DATABASE_PLAN_CACHE_MODE": "generic"})

    message = str(caught.value)
    assert message.startswith("DATABASE_PLAN_CACHE_MODE")
    assert "'auto', 'force_generic_plan' or 'force_custom_plan'" in message


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///conduit.db", "sqlite:////tmp/x.db"])
def test_engine_options_are_empty_for_sqlite(url):
    assert Config({"DATABASE_URL": url, "DATABASE_POOL_SIZE": "50"}).engine_options() == {}


def test_engine_options_of_another_server_database_have_a_pool_but_no_postgres_arguments():
    options = Config({"DATABASE_URL": "mysql://u@host/db"}).engine_options()

    assert options == {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 5,
        "pool_timeout": 2,
    }


# Secrets and create_app ---------------------------------------------------------


@pytest.mark.parametrize(
    "environ",
    [{}, {"SECRET_KEY": ""}, {"JWT_SECRET_KEY": "only-the-token-secret-is-set"}],
)
def test_create_app_refuses_to_start_in_production_without_secret_key(monkeypatch, environ):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    with pytest.raises(ConfigError, match=r"^SECRET_KEY is not set\. .*refuses to start"):
        create_app(_config_class({"DATABASE_URL": "sqlite://", **environ}))


def test_check_refuses_production_without_secrets():
    config = Config({})

    with pytest.raises(ConfigError, match="set SECRET_KEY"):
        config.check(debug=False)
    assert config.SECRET_KEY is None


def _env_example() -> dict[str, str]:
    """The variables .env.example sets, as python-dotenv would read them."""
    return {
        key: value
        for key, value in dotenv_values(ROOT / ".env.example").items()
        if value is not None
    }


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY"])
def test_production_refuses_a_secret_shorter_than_32_characters(monkeypatch, name):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    environ = {**EVERY_VARIABLE, "DATABASE_URL": "sqlite://", name: "x" * 31}

    with pytest.raises(ConfigError) as caught:
        create_app(_config_class(environ))

    message = str(caught.value)
    assert message.startswith(f"{name} is 31 characters long. Conduit refuses to start")
    assert "at least 32 characters" in message
    assert "scripts/init_env.py" in message


def test_a_short_secret_key_is_refused_as_the_token_secret_it_defaults_to():
    with pytest.raises(ConfigError, match=r"^SECRET_KEY is 9 characters long"):
        Config({"SECRET_KEY": "too-short"}).check(debug=False)


def test_env_example_holds_placeholders_that_production_refuses(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    example = _env_example()
    assert {"SECRET_KEY", "JWT_SECRET_KEY"} <= set(example)

    with pytest.raises(ConfigError, match=r"^SECRET_KEY is the placeholder from \.env\.example"):
        create_app(_config_class({**example, "DATABASE_URL": "sqlite://"}))
    with pytest.raises(ConfigError, match=r"^JWT_SECRET_KEY is the placeholder"):
        Config({**example, "SECRET_KEY": SECRET}).check(debug=False)


@pytest.mark.parametrize("placeholder", sorted(PLACEHOLDER_SECRETS))
def test_every_documented_placeholder_is_refused_whatever_its_case(placeholder):
    for value in (placeholder, placeholder.upper()):
        with pytest.raises(ConfigError, match="placeholder"):
            Config({"SECRET_KEY": value}).check(debug=False)


def test_production_accepts_secrets_of_32_characters():
    config = Config({"SECRET_KEY": "s" * 32, "JWT_SECRET_KEY": "j" * 32})

    config.check(debug=False)

    assert (config.SECRET_KEY, config.JWT_SECRET_KEY) == ("s" * 32, "j" * 32)


@pytest.mark.parametrize(("debug", "testing"), [(True, False), (False, True)])
def test_debug_and_tests_accept_short_and_placeholder_secrets(debug, testing):
    for secret in ("short", "change-me"):
        config = _config_class({"SECRET_KEY": secret}, testing=testing)()

        config.check(debug=debug)

        assert secret == config.SECRET_KEY


def test_create_app_starts_in_production_with_its_secrets(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    app = create_app(_config_class({**EVERY_VARIABLE, "DATABASE_URL": "sqlite://"}))

    assert app.debug is False
    assert app.config["SECRET_KEY"] == SECRET
    assert app.config["JWT_SECRET_KEY"] == "a-separate-token-secret-long-enough"
    assert app.config["MAX_CONTENT_LENGTH"] == 65536
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(hours=1)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {}
    assert app.config["TESTING"] is False


def test_create_app_passes_the_pool_options_to_the_engine(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    app = create_app(_config_class(EVERY_VARIABLE))

    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 16
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"
        assert db.engine.pool.size() == 16
        db.engine.dispose()


def test_create_app_in_debug_invents_throwaway_secrets(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    config_class = _config_class({"DATABASE_URL": "sqlite://"})

    first = create_app(config_class)
    second = create_app(config_class)

    assert first.debug is True
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["JWT_SECRET_KEY"] == first.config["SECRET_KEY"]
    assert second.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_debug_keeps_the_secrets_it_is_given(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")

    app = create_app(_config_class({"DATABASE_URL": "sqlite://", "SECRET_KEY": SECRET}))

    assert app.config["SECRET_KEY"] == SECRET
    assert app.config["JWT_SECRET_KEY"] == SECRET


def test_testing_configs_get_throwaway_secrets_outside_debug():
    config = _config_class({}, testing=True)()

    config.check(debug=False)

    assert config.SECRET_KEY
    assert config.JWT_SECRET_KEY == config.SECRET_KEY


def test_session_cookies_are_secure_in_production_and_not_in_debug():
    production = Config({"SECRET_KEY": SECRET})
    production.check(debug=False)
    debug = Config({"SECRET_KEY": SECRET})
    debug.check(debug=True)

    assert production.SESSION_COOKIE_SECURE is True
    assert debug.SESSION_COOKIE_SECURE is False
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Lax"


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("0", False), ("on", True)])
def test_session_cookie_secure_can_be_set_from_the_environment(raw, expected):
    config = Config({"SECRET_KEY": SECRET, "SESSION_COOKIE_SECURE": raw})
    config.check(debug=not expected)

    assert config.SESSION_COOKIE_SECURE is expected


def test_a_bad_boolean_raises_config_error_naming_the_variable():
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        Config({"SESSION_COOKIE_SECURE": "maybe"})


def test_session_lifetime_comes_from_the_environment():
    config = Config({"SESSION_LIFETIME_SECONDS": "3600"})

    assert timedelta(hours=1) == config.PERMANENT_SESSION_LIFETIME


# Cache lifetimes -------------------------------------------------------------


PER_PROCESS_CACHE = {"REDIS_URL": "redis://cache.internal:6379/0", "CACHE_TYPE": "SimpleCache"}


def test_credentials_generations_are_cached_longer_with_redis_and_may_be_not_at_all():
    with_redis = Config({"REDIS_URL": "redis://cache.internal:6379/0"})
    without = Config({})
    per_process = Config(PER_PROCESS_CACHE)
    never = Config({"CREDENTIALS_CACHE_SECONDS": "0"})

    assert with_redis.CREDENTIALS_CACHE_SECONDS == 60
    # Each process then learns of another's password change only when its copy expires.
    assert without.CREDENTIALS_CACHE_SECONDS == per_process.CREDENTIALS_CACHE_SECONDS == 10
    assert never.CREDENTIALS_CACHE_SECONDS == 0
    with pytest.raises(ConfigError, match="CREDENTIALS_CACHE_SECONDS must be at least 0"):
        Config({"CREDENTIALS_CACHE_SECONDS": "-1"})


# Declared settings --------------------------------------------------------------


def test_create_app_takes_the_engine_options_of_a_database_url_set_after_reading(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    class LaterDatabaseConfig(SuiteConfig):
        def __init__(self) -> None:
            super().__init__({})
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://u@127.0.0.1:9/db"

    app = create_app(LaterDatabaseConfig)

    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 2
    assert app.config["JWT_TOKEN_LOCATION"] == ["headers"]
    assert app.config["JWT_HEADER_TYPE"] == "Token"


def test_settings_worked_out_from_others_are_not_read_from_the_environment():
    config = Config({"CACHE_OPTIONS": "junk", "CACHE_KEY_PREFIX": "junk", "REDIS_KEY_PREFIX": "p"})

    assert config.CACHE_OPTIONS == {}
    assert config.CACHE_KEY_PREFIX == "p:cache:"
    assert "CACHE_OPTIONS" not in Config.variables()
    assert "DATABASE_URL" in Config.variables()


# Mail and jobs -----------------------------------------------------------------


def test_mail_and_job_settings_are_read_from_the_environment():
    config = Config(
        {
            "MAIL_SERVER": "smtp.example.com",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "true",
            "MAIL_USERNAME": "conduit",
            "MAIL_PASSWORD": "smtp-secret",
            "MAIL_DEFAULT_SENDER": "Conduit <hello@example.com>",
            "MAIL_TIMEOUT": "3",
            "PUBLIC_BASE_URL": "https://conduit.example.com/",
            "PASSWORD_RESET_SECONDS": "600",
            "JOBS_MAX_RETRIES": "2",
            "JOBS_RETRY_BACKOFF_SECONDS": "1.5",
            "JOBS_HEARTBEAT_TIMEOUT_SECONDS": "30",
            "JOBS_WORKER_THREADS": "4",
            "REDIS_KEY_PREFIX": "blue",
        }
    )

    assert (config.MAIL_SERVER, config.MAIL_PORT, config.MAIL_USE_TLS) == (
        "smtp.example.com",
        587,
        True,
    )
    assert (config.MAIL_USERNAME, config.MAIL_PASSWORD) == ("conduit", "smtp-secret")
    assert config.MAIL_DEFAULT_SENDER == "Conduit <hello@example.com>"
    assert config.MAIL_TIMEOUT == 3
    assert config.PUBLIC_BASE_URL == "https://conduit.example.com"
    assert config.PASSWORD_RESET_SECONDS == 600
    assert (config.JOBS_MAX_RETRIES, config.JOBS_RETRY_BACKOFF_SECONDS) == (2, 1.5)
    assert (config.JOBS_HEARTBEAT_TIMEOUT_SECONDS, config.JOBS_WORKER_THREADS) == (30, 4)
    assert config.JOBS_KEY_PREFIX == "blue:jobs"


def test_mail_defaults_send_nothing_and_reset_links_last_half_an_hour():
    config = Config({})

    assert config.MAIL_SERVER is None
    assert config.MAIL_PORT == 25
    assert config.PASSWORD_RESET_SECONDS == 1800
    assert config.JOBS_KEY_PREFIX == "conduit:jobs"


def test_tls_and_ssl_at_once_are_refused():
    with pytest.raises(ConfigError, match=r"MAIL_USE_TLS .* MAIL_USE_SSL"):
        Config({"MAIL_USE_TLS": "true", "MAIL_USE_SSL": "true"})


@pytest.mark.parametrize("url", ["conduit.example.com", "ftp://conduit.example.com", "https://"])
def test_a_public_base_url_that_is_not_an_http_url_is_refused(url):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        Config({"PUBLIC_BASE_URL": url})


def test_production_with_a_mail_server_needs_the_public_base_url():
    config = Config({"SECRET_KEY": SECRET, "MAIL_SERVER": "smtp.example.com"})

    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        config.check(debug=False)


def test_debug_links_to_the_development_server_unless_told():
    config = Config({})
    config.check(debug=True)

    assert config.PUBLIC_BASE_URL == "http://127.0.0.1:5000"


def test_every_variable_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()

    missing = [name for name in Config.variables() if f"`{name}`" not in readme]

    assert missing == []
