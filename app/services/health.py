"""What the health check asks of the app's dependencies."""

from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import literal, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db


def database_is_reachable() -> bool:
    """Run a trivial query; a failure of any kind means the database cannot serve requests."""
    try:
        db.session.execute(select(literal(1)))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def redis_is_reachable(url: str, *, timeout: float) -> bool:
    """PING Redis with a short timeout; a hung server counts as unreachable."""
    client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except (RedisError, OSError):
        return False
    finally:
        client.close()
