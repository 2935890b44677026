"""Notification mail in the web UI: the settings checkbox (off by default, saved with
the rest of the form) and the mails that follows and comments made in the browser
send. CSRF stays on; a real SMTP server receives the mail."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import User
from app.services import articles
from tests.mailbox import Mailbox, text_body
from tests.web.helpers import Browser

LABEL = "E-mail me when someone follows me or comments on my articles"
# The test apps' PUBLIC_BASE_URL (config.TestConfig).
PUBLIC = "http://conduit.test"


@pytest.fixture(autouse=True)
def mailbox(mail_settings: Mailbox) -> Mailbox:
    return mail_settings


def _setting(user_id: int) -> bool:
    db.session.remove()
    return db.session.get(User, user_id).notify_by_email


def _box(browser: Browser):
    return browser.get("/settings").form("/settings").first("input[name=notify_by_email]")


def _closed(page):
    # A job runs once the response is closed (no Redis here): its mail is sent then.
    page.response.close()
    return page


def test_the_settings_form_has_the_checkbox_unticked_for_a_new_account(signed_in):
    form = signed_in.get("/settings").form("/settings")

    box = form.first("input[name=notify_by_email]")
    assert box["type"] == "checkbox"
    assert "checked" not in box.attrs
    assert form.first(f"label[for={box['id']}]").text == LABEL
    # This site has a mail server: no note that it sends none.
    assert form.select("#no-mail") == []


def test_a_site_without_mail_says_so_beside_the_box(app, signed_in):
    app.config["MAIL_SERVER"] = None

    note = signed_in.get("/settings").form("/settings").first("#no-mail")

    assert note.text == (
        "This site sends no mail at the moment: the setting is kept for when it does."
    )


def test_ticking_the_box_turns_notifications_on_and_unticking_turns_them_off(signed_in, user):
    ticked = signed_in.submit("/settings", {"notify_by_email": "y"})

    assert ticked.status == 302
    assert _setting(user.id) is True
    assert "checked" in _box(signed_in).attrs

    # A browser sends nothing for an unticked box.
    values = signed_in.form_data("/settings")
    values.pop("notify_by_email")
    unticked = signed_in.post("/settings", values)

    assert unticked.status == 302
    assert _setting(user.id) is False
    assert "checked" not in _box(signed_in).attrs


def test_saving_other_settings_keeps_the_box_as_it_is(signed_in, user):
    signed_in.submit("/settings", {"notify_by_email": "y"})

    page = signed_in.submit("/settings", {"bio": "New bio"})

    assert page.status == 302
    assert _setting(user.id) is True


def test_a_refused_form_saves_nothing_and_shows_the_box_as_sent(signed_in, user):
    page = signed_in.submit("/settings", {"notify_by_email": "y", "email": "nope"})

    assert page.status == 422
    assert _setting(user.id) is False
    assert "checked" in page.form("/settings").first("input[name=notify_by_email]").attrs


def test_the_box_needs_the_forms_csrf_token(signed_in, user):
    values = signed_in.form_data("/settings")
    values["notify_by_email"] = "y"
    values["csrf_token"] = "forged"

    page = signed_in.post("/settings", values)

    assert page.status == 400
    assert _setting(user.id) is False


def test_opted_in_follows_and_comments_from_the_browser_are_mailed_once(
    signed_in, other_signed_in, user, mailbox
):
    signed_in.submit("/settings", {"notify_by_email": "y"})
    slug = articles.create_article(actor=user, title="Dragons", description="d", body="b").slug
    comments = f"/article/{slug}/comments"

    _closed(other_signed_in.submit("/profile/jake", action="/profile/jake/follow"))
    _closed(other_signed_in.submit(f"/article/{slug}", {"body": "Nice"}, action=comments))
    _closed(signed_in.submit(f"/article/{slug}", {"body": "Thanks"}, action=comments))

    followed, commented = mailbox.messages
    assert (followed["To"], commented["To"]) == ("jake@example.com", "jake@example.com")
    assert followed["Subject"] == "celeb is now following you on Conduit"
    assert f"{PUBLIC}/profile/celeb" in text_body(followed)
    assert commented["Subject"] == "celeb commented on Dragons"
    assert f"{PUBLIC}/article/{slug}#comment-" in text_body(commented)
    assert "Nice" in text_body(commented)
