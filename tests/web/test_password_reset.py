"""Forgot password in the web UI: the link on the sign-in page, the same answer for any
address, the mailed link, a new password that signs in here and out everywhere else.
CSRF stays on; a real SMTP server receives the mail."""

from __future__ import annotations

import time

import pytest

from app.services import password_reset
from tests.factories import PASSWORD
from tests.mailbox import Mailbox, reset_token
from tests.web.helpers import Browser

NEW_PASSWORD = "a brand new password"


@pytest.fixture(autouse=True)
def mailbox(mail_settings: Mailbox) -> Mailbox:
    return mail_settings


def ask(browser: Browser, email: str):
    page = browser.submit("/password-reset", {"email": email})
    # A server closes the response once sent: the job runs then (no Redis here).
    page.response.close()
    return page


def mailed_link(browser: Browser, mailbox: Mailbox, email: str = "jake@example.com") -> str:
    assert ask(browser, email).status == 200
    return "/password-reset/" + reset_token(mailbox.wait_for(email)[0])


def test_the_sign_in_page_links_to_forgot_password(browser):
    page = browser.get("/login")

    (link,) = page.links_to("/password-reset")
    assert link.text == "Forgot your password?"
    assert browser.get("/password-reset").first("h1").text == "Forgot your password?"


def test_a_new_password_from_the_mailed_link_signs_in(browser, user, mailbox):
    link = mailed_link(browser, mailbox)
    form_page = browser.get(link)
    assert form_page.first("h1").text == "Choose a new password"

    page = browser.submit(link, {"password": NEW_PASSWORD})

    assert page.status == 302
    assert page.location == "/"
    home = browser.get("/")
    assert home.signed_in_as == "jake"
    assert home.flashes == ["Your new password is set, and you are signed in."]
    browser.sign_out()
    old = browser.submit("/login", {"email": "jake@example.com", "password": PASSWORD})
    assert old.status == 422
    browser.sign_in("jake@example.com", NEW_PASSWORD)


def test_known_and_unknown_addresses_see_the_same_page(browser, user, mailbox):
    unknown = ask(browser, "nobody@example.com")
    known = ask(browser, "jake@example.com")

    assert unknown.status == known.status == 200
    assert unknown.first("main, .auth-page").text == known.first("main, .auth-page").text
    assert "If an account has this address" in known.text
    mailbox.wait_for("jake@example.com")
    assert [m["To"] for m in mailbox.messages] == ["jake@example.com"]


def test_a_malformed_address_is_shown_beside_the_field_and_nothing_is_sent(browser, user, mailbox):
    page = ask(browser, "not an address")

    assert page.status == 422
    assert "Email is not a valid e-mail address" in page.errors
    assert mailbox.messages == []


def test_setting_the_password_signs_out_every_other_browser(new_browser, user, mailbox):
    elsewhere = new_browser()
    elsewhere.sign_in("jake@example.com")
    assert elsewhere.whoami() == "jake"
    browser = new_browser()
    link = mailed_link(browser, mailbox)

    assert browser.submit(link, {"password": NEW_PASSWORD}).status == 302

    assert browser.whoami() == "jake"
    assert elsewhere.whoami() is None


def test_a_used_link_shows_that_it_no_longer_works(browser, user, mailbox):
    link = mailed_link(browser, mailbox)
    assert browser.submit(link, {"password": NEW_PASSWORD}).status == 302

    page = browser.get(link, status=404)

    assert page.errors == [f"The link {password_reset.SPENT}"]
    assert page.links_to("/password-reset")


def test_an_expired_link_shows_that_it_has_expired(browser, user):
    token = password_reset.issue_reset_token(user=user, now=time.time() - 31 * 60)

    page = browser.get(f"/password-reset/{token}", status=404)

    assert page.errors == [f"The link {password_reset.EXPIRED}"]


@pytest.mark.parametrize("token", ["garbage", "x" * 5000, "a.b.c", "%00"])
def test_a_garbage_link_is_a_404_and_posting_to_it_changes_nothing(browser, user, token):
    page = browser.get(f"/password-reset/{token}", status=404)
    assert page.errors == [f"The link {password_reset.INVALID}"]
    csrf = browser.csrf_token("/password-reset")

    posted = browser.post(
        f"/password-reset/{token}", {"csrf_token": csrf, "password": NEW_PASSWORD}
    )

    assert posted.status == 404
    assert (
        browser.submit("/login", {"email": "jake@example.com", "password": PASSWORD}).status == 302
    )


def test_a_password_too_short_is_refused_and_the_link_still_works(browser, user, mailbox):
    link = mailed_link(browser, mailbox)

    page = browser.submit(link, {"password": "short"})

    assert page.status == 422
    assert "New Password is too short (minimum is 8 characters)" in page.errors
    assert browser.submit(link, {"password": NEW_PASSWORD}).status == 302


def test_the_form_needs_its_csrf_token(browser, user, mailbox):
    link = mailed_link(browser, mailbox)

    page = browser.post(link, {"password": NEW_PASSWORD})

    assert page.status in (400, 422)
    assert (
        browser.submit("/login", {"email": "jake@example.com", "password": PASSWORD}).status == 302
    )
