"""A database error is answered 503 even when the rollback after it fails too (the
server stopped answering in between): the handler never turns it into a 500."""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy.exc import OperationalError

from app.database import RequestSession
from tests.api.helpers import assert_error
from tests.infra.helpers import configured


def _unavailable(statement: str) -> OperationalError:
    return OperationalError(statement, {}, ConnectionError("the server did not answer"))


def test_a_database_error_whose_rollback_fails_too_answers_503(build, monkeypatch):
    app = build(configured())

    def read() -> NoReturn:
        raise _unavailable("SELECT 1")

    def roll_back(_session: RequestSession) -> NoReturn:
        raise _unavailable("ROLLBACK")

    app.add_url_rule("/api/unavailable", "unavailable", read)
    monkeypatch.setattr(RequestSession, "rollback", roll_back)

    response = app.test_client().get("/api/unavailable")

    assert assert_error(response, 503) == {"body": ["the service is temporarily unavailable"]}
    assert response.headers["Retry-After"]
