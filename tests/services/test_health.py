"""What the readiness check asks of the database."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from app.extensions import db
from app.services.health import database_is_reachable
from config import TestConfig as SuiteConfig


def test_a_working_database_is_reachable(app):
    assert database_is_reachable() is True


def test_a_database_that_cannot_be_opened_is_unreachable(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'conduit.db'}"

    class UnreachableConfig(SuiteConfig):
        def __init__(self) -> None:
            super().__init__({})
            self.SQLALCHEMY_DATABASE_URI = url

    app = create_app(UnreachableConfig)
    with app.app_context():
        assert database_is_reachable() is False
        # The failed attempt left the session usable: asking again gives the same answer.
        assert database_is_reachable() is False
        db.session.remove()
        db.engine.dispose()
