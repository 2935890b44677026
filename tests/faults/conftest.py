"""The fault tests' database (`<TEST_DATABASE_URL's name>_faults`, migrated once) and
their Redis (a redis-server of each test's own).

tests/conftest.py leaves the dependency-fault modules out unless TEST_DATABASE_URL
(PostgreSQL) and TEST_REDIS_URL are both set (the same pass of .ci/run as tests/deploy);
the races (test_races.py) run on every database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.harness import ROOT, server_environment
from tests.faults.redis_server import PrivateRedis
from tests.servers import migrate_database, scratch_postgres_database


@pytest.fixture(scope="session")
def faults_database_url() -> Iterator[str]:
    """A database of the fault tests' own on the test server, created and migrated once."""
    with scratch_postgres_database(os.environ["TEST_DATABASE_URL"], "faults") as url:
        migrate_database(server_environment(url, ""), ROOT)
        yield url


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own, stopped at the end."""
    redis = PrivateRedis(tmp_path)
    yield redis
    redis.stop()
