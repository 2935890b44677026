"""gunicorn, as gunicorn.conf.py sets it up, passes on every URL the API documents.

The longest is a list query with three 255-character values of 4-byte characters,
about 9.3 KB once percent-encoded: gunicorn's default limit (4094 bytes) answered
such a request itself, with an HTML 414 that the document does not mention.
"""

from __future__ import annotations

import http.client
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app import rules
from tests.servers import migrate_database, serving_gunicorn

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    secret = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'conduit.db'}",
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": secret,
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "",
    }
    env.pop("FLASK_DEBUG", None)
    migrate_database(env, ROOT)
    log = tmp_path / "server.log"
    with serving_gunicorn("wsgi:app", env, log, ROOT, seconds=30) as (port, _):
        yield port


def _get(port: int, path: str) -> tuple[int, str | None, bytes]:
    """The status, media type and body of GET `path`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def test_the_longest_documented_request_line_reaches_the_api(port):
    longest = "\U0001f600" * rules.LOOKUP_MAX
    path = "/api/articles?" + urlencode(
        {"tag": longest, "author": longest, "favorited": longest, "limit": 100, "offset": 0}
    )
    assert len(path) > 9000

    status, media_type, body = _get(port, path)

    assert status == 200, body[:300]
    assert media_type == "application/json"
    assert body == b'{"articles":[],"articlesCount":0}'


def test_a_value_past_the_documented_length_is_the_apis_422(port):
    too_long = "\U0001f600" * (rules.LOOKUP_MAX + 1)

    status, media_type, body = _get(port, "/api/articles?" + urlencode({"tag": too_long}))

    assert status == 422, body[:300]
    assert media_type == "application/json"
