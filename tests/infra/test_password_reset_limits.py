"""Password reset is rate limited per client address and per e-mail address, on the
API and the web together (each request for a link sends a mail)."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_error
from tests.infra.helpers import configured
from tests.mailbox import Mailbox
from tests.web.helpers import Browser

RESET = "/api/users/password-reset"
CONFIRM = "/api/users/password-reset/confirm"


@pytest.fixture
def limited(build, mail_settings: Mailbox):
    def make(**limits: str):
        return build(configured(limits, limits=True)).test_client()

    return make


def _ask(client, email: str):
    response = client.post(RESET, json={"user": {"email": email}})
    response.close()
    return response


def test_requests_for_one_address_are_limited_wherever_they_come_from(limited):
    client = limited(RATELIMIT_PASSWORD_RESET_ACCOUNT="2 per hour")

    assert [_ask(client, "jake@example.com").status_code for _ in range(2)] == [202, 202]

    assert_error(_ask(client, "JAKE@example.com"), 429, "body")
    # Another address is not held back by jake's count.
    assert _ask(client, "celeb@example.com").status_code == 202


def test_requests_from_one_client_address_are_limited_whatever_the_address(limited):
    client = limited(RATELIMIT_PASSWORD_RESET="3 per hour")

    assert [_ask(client, f"user{n}@example.com").status_code for n in range(3)] == [202] * 3

    response = _ask(client, "user3@example.com")
    assert_error(response, 429, "body")
    assert int(response.headers["Retry-After"]) > 0


def test_setting_a_new_password_counts_against_the_client_address(limited):
    client = limited(RATELIMIT_PASSWORD_RESET="2 per hour")
    body = {"user": {"token": "garbage", "password": "a new password"}}

    assert [client.post(CONFIRM, json=body).status_code for _ in range(2)] == [422, 422]

    assert_error(client.post(CONFIRM, json=body), 429, "body")


def test_the_web_form_and_the_api_share_the_counts(limited):
    client = limited(RATELIMIT_PASSWORD_RESET_ACCOUNT="2 per hour")
    browser = Browser(client)
    assert _ask(client, "jake@example.com").status_code == 202
    page = browser.submit("/password-reset", {"email": "jake@example.com"})
    page.response.close()
    assert page.status == 200

    assert browser.submit("/password-reset", {"email": "jake@example.com"}).status == 429
    assert_error(_ask(client, "jake@example.com"), 429, "body")


def test_the_limits_are_the_documented_defaults(build):
    app = build(configured())

    assert app.config["RATELIMIT_PASSWORD_RESET"] == "10 per hour"
    assert app.config["RATELIMIT_PASSWORD_RESET_ACCOUNT"] == "3 per hour"
