"""The password reset use cases, without HTTP: tokens, their checks, the single use."""

from __future__ import annotations

import pytest

from app.exceptions import Invalid
from app.extensions import db, passwords
from app.services import credentials, password_reset
from tests.factories import PASSWORD


def test_a_token_opens_the_account_it_was_issued_for(user, other_user):
    token = password_reset.issue_reset_token(user=user)

    assert password_reset.check_reset_token(token=token) == user


def test_the_token_holds_no_password_hash_and_no_address(user):
    token = password_reset.issue_reset_token(user=user)

    assert user.email not in token
    assert user.password_hash not in token
    assert len(token) < 200


def test_resetting_sets_the_password_and_raises_the_generation(user):
    generation = user.credentials_generation
    token = password_reset.issue_reset_token(user=user)

    password_reset.reset_password(token=token, password="a new password")

    db.session.refresh(user)
    assert passwords.verify(user.password_hash, "a new password")
    assert user.credentials_generation == generation + 1


def test_of_two_uses_of_one_token_in_flight_only_the_first_changes_anything(user):
    token = password_reset.issue_reset_token(user=user)
    # Both checked the token while the account was still at its generation...
    assert password_reset.check_reset_token(token=token) == user
    generation = user.credentials_generation
    assert credentials.revoke_credentials(user=user, from_generation=generation)
    db.session.commit()

    # ...the second to claim it finds the generation gone.
    assert not credentials.revoke_credentials(user=user, from_generation=generation)
    with pytest.raises(Invalid) as refused:
        password_reset.reset_password(token=token, password="a new password")
    assert refused.value.errors == {"token": [password_reset.SPENT]}
    db.session.refresh(user)
    assert passwords.verify(user.password_hash, PASSWORD)


def test_the_mail_goes_to_accounts_only(mail_settings, app, user):
    password_reset.send_password_reset_mail(email="nobody@example.com")
    password_reset.send_password_reset_mail(email="JAKE@example.com")

    # Sent in order, without a queue: nobody's would have come first.
    assert [m["To"] for m in mail_settings.messages] == ["jake@example.com"]
