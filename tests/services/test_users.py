"""Accounts: registration, sign-in, loading and updating a user."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.exceptions import Invalid, NotFound, Unauthorized
from app.extensions import db, passwords
from app.models import User
from app.services import users
from app.services.passwords import PasswordHasher
from app.services.users import TAKEN, UNSET
from tests.factories import PASSWORD, UserFactory


def _stored(user_id: int) -> User:
    """The row as the database holds it now, not as the session remembers it."""
    db.session.expire_all()
    stored = db.session.get(User, user_id)
    assert stored is not None
    return stored


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


# register_user ----------------------------------------------------------------


def test_register_user_stores_the_account_with_a_hashed_password(app):
    user = users.register_user(username="jake", email="jake@example.com", password="s3cret-pw")

    stored = _stored(user.id)
    assert (stored.username, stored.email) == ("jake", "jake@example.com")
    assert stored.bio is None
    assert stored.image is None
    assert stored.password_hash != "s3cret-pw"
    assert passwords.verify(stored.password_hash, "s3cret-pw")
    assert stored.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("username", "email", "taken"),
    [
        ("jake", "other@example.com", ["username"]),
        ("JAKE", "other@example.com", ["username"]),
        ("someone", "jake@example.com", ["email"]),
        ("someone", "Jake@Example.COM", ["email"]),
        ("Jake", "JAKE@EXAMPLE.COM", ["username", "email"]),
    ],
)
def test_register_user_refuses_a_taken_name_or_address_whatever_its_case(
    app, user, username, email, taken
):
    with pytest.raises(Invalid) as caught:
        users.register_user(username=username, email=email, password="s3cret-pw")

    assert caught.value.errors == {field: [TAKEN] for field in taken}
    assert _user_count() == 1


def test_register_user_names_the_field_a_concurrent_registration_took(app, monkeypatch):
    # The check passes (nobody holds the name yet), then a concurrent request
    # commits the same name before this one does: the unique index refuses it.
    real_find = users._find_by_username
    calls: list[str] = []

    def find_after_a_race(username: str) -> User | None:
        calls.append(username)
        if len(calls) == 1:
            UserFactory(username="JAKE", email="first@example.com")
            return None
        return real_find(username)

    monkeypatch.setattr(users, "_find_by_username", find_after_a_race)

    with pytest.raises(Invalid) as caught:
        users.register_user(username="jake", email="jake@example.com", password="s3cret-pw")

    assert caught.value.errors == {"username": [TAKEN]}
    assert calls == ["jake", "jake"]
    assert db.session.scalars(select(User.username)).all() == ["JAKE"]


def test_register_user_reraises_a_conflict_it_cannot_name(app, monkeypatch):
    # If the unique index fires but no account holds the value afterwards (the
    # other request rolled back), the original error is not disguised.
    monkeypatch.setattr(users, "_find_by_username", lambda _username: None)
    UserFactory(username="jake", email="first@example.com")

    with pytest.raises(IntegrityError):
        users.register_user(username="jake", email="jake@example.com", password="s3cret-pw")

    assert _user_count() == 1


# authenticate -----------------------------------------------------------------


@pytest.mark.parametrize("email", ["jake@example.com", "JAKE@example.com", "Jake@Example.Com"])
def test_authenticate_returns_the_account_for_the_right_password(app, user, email):
    assert users.authenticate(email=email, password=PASSWORD).id == user.id


@pytest.mark.parametrize("email", ["jake@\uff45xample.com", "jake@EXAMPLE.com", "not an address"])
def test_authenticate_reads_the_address_as_registration_did(app, user, email):
    if "@" in email:
        assert users.authenticate(email=email, password=PASSWORD).id == user.id
    else:
        with pytest.raises(Unauthorized):
            users.authenticate(email=email, password=PASSWORD)


@pytest.mark.parametrize(
    "email", ["Ölaf@example.com", "İnci@example.com", "ΣΑΣ@example.com", "ẞig@example.com"]
)
def test_an_address_outside_ascii_signs_in_as_it_was_registered(app, email):
    registered = users.register_user(username="olaf", email=email, password=PASSWORD)

    assert users.authenticate(email=email, password=PASSWORD).id == registered.id
    assert users.find_user_by_email(email=email).id == registered.id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("jake@example.com", "wrong-password"),
        ("jake@example.com", PASSWORD.upper()),
        ("jake@example.com", ""),
        ("nobody@example.com", PASSWORD),
        ("nobody@example.com", "not a real password"),
    ],
)
def test_authenticate_refuses_wrong_credentials_with_one_message(app, user, email, password):
    with pytest.raises(Unauthorized) as caught:
        users.authenticate(email=email, password=password)

    # The same answer for an unknown address and a wrong password: no account probing.
    assert caught.value.errors == {"email or password": ["is invalid"]}


def test_authenticate_rehashes_a_password_hashed_with_an_old_cost(app, user):
    old_app = Flask(__name__)
    old_app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=16, ARGON2_PARALLELISM=1)
    old_hasher = PasswordHasher()
    old_hasher.init_app(old_app)
    old_hash = old_hasher.hash(PASSWORD)
    user.password_hash = old_hash
    db.session.commit()
    assert passwords.needs_rehash(old_hash)

    users.authenticate(email="jake@example.com", password=PASSWORD)

    new_hash = _stored(user.id).password_hash
    assert new_hash != old_hash
    assert not passwords.needs_rehash(new_hash)
    assert passwords.verify(new_hash, PASSWORD)


def test_authenticate_keeps_a_current_hash(app, user):
    current_hash = user.password_hash

    users.authenticate(email="jake@example.com", password=PASSWORD)

    assert _stored(user.id).password_hash == current_hash


# get_user ---------------------------------------------------------------------


def test_get_user_loads_by_id(app, user):
    assert users.get_user(user_id=user.id).username == "jake"


@pytest.mark.parametrize("user_id", [0, -1, 999_999])
def test_get_user_raises_not_found_for_an_unknown_id(app, user, user_id):
    with pytest.raises(NotFound) as caught:
        users.get_user(user_id=user_id)

    assert caught.value.errors == {"user": ["not found"]}


# update_user ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {}),
        ({"username": "jacob"}, {"username": "jacob"}),
        ({"email": "jacob@example.com"}, {"email": "jacob@example.com"}),
        ({"bio": "I work at statefarm"}, {"bio": "I work at statefarm"}),
        ({"image": "https://example.com/j.png"}, {"image": "https://example.com/j.png"}),
        (
            {"username": "jacob", "bio": "Hi", "image": "https://example.com/j.png"},
            {"username": "jacob", "bio": "Hi", "image": "https://example.com/j.png"},
        ),
    ],
)
def test_update_user_changes_only_the_given_fields(app, changes, expected):
    user = UserFactory(
        username="jake", email="jake@example.com", bio="old bio", image="https://e.com/old.png"
    )
    before = {
        "username": "jake",
        "email": "jake@example.com",
        "bio": "old bio",
        "image": "https://e.com/old.png",
    }

    returned = users.update_user(user=user, **changes)

    stored = _stored(user.id)
    after = {field: getattr(stored, field) for field in before}
    assert after == before | expected
    assert returned.id == user.id
    assert passwords.verify(stored.password_hash, PASSWORD), "the password is untouched"


@pytest.mark.parametrize("field", ["bio", "image"])
def test_update_user_clears_a_field_given_none_and_keeps_it_when_unset(app, field):
    user = UserFactory(bio="old bio", image="https://e.com/old.png")
    other = "image" if field == "bio" else "bio"
    kept = getattr(user, other)

    users.update_user(user=user, **{field: None, other: UNSET})

    stored = _stored(user.id)
    assert getattr(stored, field) is None
    assert getattr(stored, other) == kept


def test_update_user_with_every_field_unset_changes_nothing(app):
    user = UserFactory(username="jake", bio="old bio", image="https://e.com/old.png")

    users.update_user(
        user=user, username=UNSET, email=UNSET, password=UNSET, bio=UNSET, image=UNSET
    )

    stored = _stored(user.id)
    assert (stored.username, stored.bio, stored.image) == (
        "jake",
        "old bio",
        "https://e.com/old.png",
    )
    assert repr(UNSET) == "UNSET"


def test_update_user_rehashes_a_new_password(app, user):
    old_hash = user.password_hash

    users.update_user(user=user, password="a-new-password")

    stored = _stored(user.id)
    assert stored.password_hash != old_hash
    assert passwords.verify(stored.password_hash, "a-new-password")
    assert not passwords.verify(stored.password_hash, PASSWORD)
    assert users.authenticate(email="jake@example.com", password="a-new-password").id == user.id
    with pytest.raises(Unauthorized):
        users.authenticate(email="jake@example.com", password=PASSWORD)


@pytest.mark.parametrize(
    ("changes", "taken"),
    [
        ({"username": "celeb"}, ["username"]),
        ({"username": "CELEB"}, ["username"]),
        ({"email": "Celeb@Example.com"}, ["email"]),
        ({"username": "Celeb", "email": "CELEB@example.com", "bio": "x"}, ["username", "email"]),
        ({"username": "celeb", "email": "free@example.com"}, ["username"]),
    ],
)
def test_update_user_refuses_a_taken_value_and_changes_nothing(
    app, user, other_user, changes, taken
):
    with pytest.raises(Invalid) as caught:
        users.update_user(user=user, **changes)

    assert caught.value.errors == {field: [TAKEN] for field in taken}
    stored = _stored(user.id)
    assert (stored.username, stored.email, stored.bio) == ("jake", "jake@example.com", None)


@pytest.mark.parametrize(
    "changes",
    [
        {"username": "jake"},
        {"username": "JAKE"},
        {"email": "JAKE@example.com"},
        {"username": "Jake", "email": "Jake@Example.com"},
    ],
)
def test_update_user_may_keep_or_recase_its_own_name_and_address(app, user, changes):
    users.update_user(user=user, **changes)

    stored = _stored(user.id)
    for field, value in changes.items():
        assert getattr(stored, field) == value


def test_update_user_names_the_field_a_concurrent_update_took(app, user, monkeypatch):
    real_find = users._find_by_email
    calls: list[str] = []

    def find_after_a_race(email: str) -> User | None:
        calls.append(email)
        if len(calls) == 1:
            UserFactory(username="racer", email="NEW@example.com")
            return None
        return real_find(email)

    monkeypatch.setattr(users, "_find_by_email", find_after_a_race)

    with pytest.raises(Invalid) as caught:
        users.update_user(user=user, email="new@example.com", bio="changed")

    assert caught.value.errors == {"email": [TAKEN]}
    stored = _stored(user.id)
    assert (stored.email, stored.bio) == ("jake@example.com", None)
