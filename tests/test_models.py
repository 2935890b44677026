"""Model details the services rely on: UTC timestamps and readable reprs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from app.extensions import db
from app.models import Article, User
from app.models.base import UTCDateTime
from tests.factories import ArticleFactory, UserFactory

CEST = timezone(timedelta(hours=2))


def _reloaded_created_at(article_id: int) -> datetime:
    db.session.expire_all()
    return db.session.scalar(select(Article.created_at).where(Article.id == article_id))


@pytest.mark.parametrize(
    "written",
    [
        datetime(2026, 6, 1, 12, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 6, 1, 14, 30, 15, 123456, tzinfo=CEST),
    ],
)
def test_timestamps_are_stored_in_utc_and_read_back_timezone_aware(app, written):
    article = ArticleFactory(created_at=written)

    read = _reloaded_created_at(article.id)

    assert read == written
    assert read.utcoffset() == timedelta(0)
    assert read == datetime(2026, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_naive_timestamps_are_refused(app, user):
    with pytest.raises(StatementError, match="naive datetimes are ambiguous"):
        ArticleFactory(author=user, created_at=datetime(2026, 6, 1, 12, 30))
    db.session.rollback()

    assert db.session.scalars(select(Article)).all() == []


def test_utc_datetime_passes_none_through(app):
    column_type = UTCDateTime()
    dialect = db.engine.dialect

    assert column_type.process_bind_param(None, dialect) is None
    assert column_type.process_result_value(None, dialect) is None


def test_models_have_readable_reprs(app):
    user = UserFactory(username="jake")
    article = ArticleFactory(author=user, slug="hello-world")

    assert repr(user) == f"<User {user.id} 'jake'>"
    assert repr(article) == f"<Article {article.id} 'hello-world'>"
    assert isinstance(user, User)
