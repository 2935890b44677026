"""Request ids: a sane inbound X-Request-ID is kept, any other replaced; every response has one."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from tests.infra.helpers import MINTED_REQUEST_ID, RESPONSE_KINDS
from tests.web.helpers import Browser


@pytest.fixture
def browser(plumbing_app: Flask) -> Browser:
    return Browser(plumbing_app.test_client())


@pytest.mark.parametrize(
    "request_id",
    [
        "abc-123",
        str(uuid.uuid4()),
        uuid.uuid4().hex,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "trace.id:7_A",
        "x" * 128,
    ],
)
def test_a_sane_inbound_request_id_is_echoed(client, request_id):
    response = client.get("/api/tags", headers={"X-Request-ID": request_id})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id",
    [
        pytest.param("x" * 129, id="too long"),
        pytest.param("two words", id="space"),
        pytest.param("line\nbreak", id="newline"),
        pytest.param("line\r\nX-Injected: 1", id="header injection"),
        pytest.param("café", id="non-ASCII"),
        pytest.param("<script>", id="markup"),
        pytest.param("a;b", id="semicolon"),
        pytest.param("", id="empty"),
    ],
)
def test_an_insane_inbound_request_id_is_replaced_by_a_minted_one(client, request_id):
    # Set in the WSGI environ directly: the test client (rightly) refuses such headers.
    response = client.get("/api/tags", environ_base={"HTTP_X_REQUEST_ID": request_id})

    assert response.status_code == 200
    assert MINTED_REQUEST_ID.match(response.headers["X-Request-ID"])
    assert response.headers.getlist("X-Request-ID") == [response.headers["X-Request-ID"]]
    assert "X-Injected" not in response.headers


@pytest.mark.parametrize("kind", list(RESPONSE_KINDS))
def test_every_response_has_exactly_one_request_id(browser, kind):
    status, send = RESPONSE_KINDS[kind]

    response = send(browser)

    assert response.status_code == status
    assert len(response.headers.getlist("X-Request-ID")) == 1
    assert MINTED_REQUEST_ID.match(response.headers["X-Request-ID"])


@pytest.mark.parametrize("kind", list(RESPONSE_KINDS))
def test_every_response_echoes_the_inbound_request_id(browser, kind):
    status, send = RESPONSE_KINDS[kind]
    browser.client.environ_base["HTTP_X_REQUEST_ID"] = f"req-{kind.split()[0]}-1"

    response = send(browser)

    assert response.status_code == status
    assert response.headers.getlist("X-Request-ID") == [f"req-{kind.split()[0]}-1"]


def test_two_requests_get_different_ids(client):
    ids = {client.get("/api/tags").headers["X-Request-ID"] for _ in range(2)}

    assert len(ids) == 2
