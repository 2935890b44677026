"""What the tests that run real servers share: ports, scratch databases, log tails."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from config import normalise_database_url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = 60) -> str:
    """The last `lines` lines of a log file (empty if there is none)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def scratch_postgres_database(base_url: str, suffix: str) -> Iterator[str]:
    """`<base database>_<suffix>` on the same server, created empty and dropped afterwards."""
    url = sa.make_url(normalise_database_url(base_url))
    name = f"{url.database}_{suffix}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def recreate(*, create: bool) -> None:
        with admin.connect() as conn:
            # A database name cannot be a bound parameter: it is quoted as an identifier.
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            if create:
                conn.execute(sa.text(f"CREATE DATABASE {quoted}"))

    recreate(create=True)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        recreate(create=False)
        admin.dispose()
