"""Forgot password in a real browser against real gunicorn: ask for a link, read the
mail from the SMTP server, follow the link, set a password, signed in (and signed out
everywhere else)."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.conftest import MAIL_LINK_BASE, NewPage, unique_name
from tests.e2e.steps import (
    assert_anonymous,
    email_of,
    flash,
    navbar,
    sign_in,
    sign_out,
    sign_up,
)
from tests.mailbox import RESET_LINK, Mailbox, text_body

NEW_PASSWORD = "a new password to remember"


def test_forgot_password_mail_link_new_password_signed_in(
    new_page: NewPage, e2e_mailbox: tuple[int, Mailbox]
) -> None:
    _port, mailbox = e2e_mailbox
    name = unique_name("forgetful")
    elsewhere = new_page()
    sign_up(elsewhere, name)
    page = new_page()

    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(email_of(name))
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    (message,) = mailbox.wait_for(email_of(name))
    match = RESET_LINK.search(text_body(message))
    assert match, text_body(message)
    link = match.group(0)
    assert link.startswith(MAIL_LINK_BASE + "/password-reset/")
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()

    expect(flash(page)).to_contain_text("Your new password is set, and you are signed in.")
    expect(navbar(page).get_by_role("link", name=name)).to_be_visible()
    # The browser signed in before the reset is signed out.
    elsewhere.reload()
    assert_anonymous(elsewhere)
    # The link worked once.
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    # The new password signs in.
    sign_out(page)
    navbar(page).get_by_role("link", name="Sign in").click()
    sign_in(page, name, NEW_PASSWORD)
    expect(navbar(page).get_by_role("link", name=name)).to_be_visible()


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    new_page: NewPage, e2e_mailbox: tuple[int, Mailbox]
) -> None:
    _port, mailbox = e2e_mailbox
    page = new_page(javascript=False)
    nobody = email_of(unique_name("nobody"))

    page.goto("/password-reset")
    page.get_by_label("Email", exact=True).fill(nobody)
    page.get_by_role("button", name="Send me a link").click()

    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    expect(page.locator(".auth-page")).to_contain_text("If an account has this address")
    assert all(nobody not in str(m["To"]) for m in mailbox.messages)
