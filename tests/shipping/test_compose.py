"""compose.yaml: the whole stack in one command, checked without pulling an image.

The PostgreSQL, Redis and nginx images cannot be pulled everywhere the tests run,
so the stack is read, not started: each service is there and wired as README
says, every file it mounts exists, and every variable it sets is one the app
reads (scripts/image.sh runs the app's image itself, migration command included).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return dict(compose["services"])


def test_the_stack_has_the_app_its_migration_worker_postgres_redis_and_nginx(
    services: dict[str, Any],
) -> None:
    assert set(services) == {"app", "migrate", "worker", "postgres", "redis", "nginx"}


def test_the_worker_runs_the_app_image_with_its_settings_after_the_migration(
    services: dict[str, Any],
) -> None:
    worker, app = services["worker"], services["app"]
    assert worker["command"] == ["flask", "worker"]
    assert worker["image"] == app["image"]
    assert worker["environment"] == app["environment"]
    assert worker["env_file"] == app["env_file"]
    assert worker["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert worker["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert worker["read_only"] is True
    # It serves no HTTP: the image's health check (GET /health) would fail it.
    assert worker["healthcheck"] == {"disable": True}
    assert "ports" not in worker


def test_migrations_run_once_from_the_app_image_before_the_app_starts(
    services: dict[str, Any],
) -> None:
    migrate, app = services["migrate"], services["app"]
    assert migrate["command"] == ["flask", "db", "upgrade"]
    assert migrate["image"] == app["image"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "command" not in app  # the image's own: gunicorn with gunicorn.conf.py


def test_the_app_reads_its_secrets_from_an_uncommitted_env_file(services: dict[str, Any]) -> None:
    app = services["app"]
    assert app["env_file"] == ".env"
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert "SECRET_KEY" not in app["environment"]


def test_every_variable_the_stack_sets_is_one_the_app_reads(services: dict[str, Any]) -> None:
    known = {field.alias or name for name, field in Config.model_fields.items()}
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    for name in services["app"]["environment"]:
        assert name in known or f'"{name}"' in gunicorn, name


def test_the_app_runs_read_only_and_reaches_postgres_and_redis_by_service_name(
    services: dict[str, Any],
) -> None:
    app = services["app"]
    assert app["read_only"] is True
    assert app["tmpfs"] == ["/tmp"]
    assert "@postgres:5432/" in app["environment"]["DATABASE_URL"]
    assert app["environment"]["REDIS_URL"].startswith("redis://redis:6379/")


def test_nginx_is_the_one_port_and_mounts_files_that_exist(services: dict[str, Any]) -> None:
    nginx = services["nginx"]
    assert nginx["ports"] == ["8080:8080"]
    assert "ports" not in services["app"]
    for volume in nginx["volumes"]:
        source = volume.split(":")[0]
        assert (ROOT / source).exists(), source


def test_postgres_and_redis_report_their_health(services: dict[str, Any]) -> None:
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
