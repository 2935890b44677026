"""Registration, sign-in and the current user: /api/users, /api/users/login, /api/user."""

from __future__ import annotations

from typing import Any

import pytest
from flask_jwt_extended import decode_token

from app.extensions import db
from app.models import User
from tests.api.helpers import assert_error
from tests.conftest import auth_headers
from tests.factories import PASSWORD, UserFactory

NEW_USER = {"username": "Jacob", "email": "jake@jake.jake", "password": "jakejake"}


def _register(client, **fields: Any):
    return client.post("/api/users", json={"user": {**NEW_USER, **fields}})


def _login(client, email: str, password: str):
    return client.post("/api/users/login", json={"user": {"email": email, "password": password}})


def _user_count() -> int:
    return db.session.query(User).count()


# Registration ------------------------------------------------------------------


def test_register_is_201_with_the_user_and_a_token(client):
    response = _register(client)

    assert response.status_code == 201
    assert response.mimetype == "application/json"
    user = response.json["user"]
    # The spec's fields, and the notification setting (an extension, off for a new account).
    assert set(user) == {"email", "token", "username", "bio", "image", "notifyByEmail"}
    assert user["notifyByEmail"] is False
    assert user["username"] == "Jacob"
    assert user["email"] == "jake@jake.jake"
    assert user["bio"] is None
    assert user["image"] is None
    assert user["token"]


def test_register_token_signs_the_new_user_in(client):
    token = _register(client).json["user"]["token"]

    response = client.get("/api/user", headers={"Authorization": f"Token {token}"})

    assert response.status_code == 200
    assert response.json["user"]["username"] == "Jacob"


def test_register_never_returns_or_stores_the_plain_password(client):
    response = _register(client)

    assert "jakejake" not in response.get_data(as_text=True)
    stored = db.session.query(User).filter_by(username="Jacob").one()
    assert stored.password_hash != "jakejake"


@pytest.mark.parametrize("username", ["jake", "Jake", "JAKE"])
def test_register_with_taken_username_is_422(client, user, username):
    response = _register(client, username=username)

    errors = assert_error(response, 422, "username")
    assert errors["username"] == ["has already been taken"]
    assert _user_count() == 1


@pytest.mark.parametrize("email", ["jake@example.com", "JAKE@example.com", "Jake@EXAMPLE.COM"])
def test_register_with_taken_email_is_422(client, user, email):
    response = _register(client, email=email)

    errors = assert_error(response, 422, "email")
    assert errors["email"] == ["has already been taken"]
    assert _user_count() == 1


def test_register_with_taken_username_and_email_names_both(client, user):
    response = _register(client, username="JAKE", email="JAKE@EXAMPLE.COM")

    errors = assert_error(response, 422)
    assert set(errors) == {"username", "email"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": None}, "username"),
        ({"username": ""}, "username"),
        ({"username": "   "}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "x" * 41}, "username"),
        ({"username": 123}, "username"),
        ({"email": None}, "email"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ["jake@jake.jake"]}, "email"),
        ({"password": None}, "password"),
        ({"password": ""}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"password": 12345678}, "password"),
    ],
)
def test_register_with_invalid_field_is_422(client, fields, field):
    response = _register(client, **fields)

    assert_error(response, 422, field)
    assert _user_count() == 0


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_register_without_required_field_is_422(client, missing):
    user = {name: value for name, value in NEW_USER.items() if name != missing}

    response = client.post("/api/users", json={"user": user})

    assert assert_error(response, 422, missing)[missing] == ["can't be blank"]


@pytest.mark.parametrize("payload", [{}, {"users": NEW_USER}, {"user": None}, {"user": "Jacob"}])
def test_register_without_user_object_is_422(client, payload):
    response = client.post("/api/users", json=payload)

    assert_error(response, 422, "user")
    assert _user_count() == 0


# Sign-in -----------------------------------------------------------------------


def test_login_returns_the_user_with_a_token_for_them(client, user):
    response = _login(client, "jake@example.com", PASSWORD)

    assert response.status_code == 200
    body = response.json["user"]
    assert body["username"] == "jake"
    assert body["email"] == "jake@example.com"
    assert decode_token(body["token"])["sub"] == str(user.id)


def test_login_email_is_case_insensitive(client, user):
    response = _login(client, "JAKE@Example.com", PASSWORD)

    assert response.status_code == 200
    assert response.json["user"]["username"] == "jake"


def test_login_with_wrong_password_is_401(client, user):
    response = _login(client, "jake@example.com", "wrong-password")

    assert_error(response, 401)
    assert "token" not in response.get_data(as_text=True)


def test_login_with_unknown_email_is_401(client, user):
    response = _login(client, "nobody@example.com", PASSWORD)

    assert_error(response, 401)


def test_login_with_unknown_email_and_wrong_password_say_the_same(client, user):
    unknown = _login(client, "nobody@example.com", PASSWORD)
    wrong = _login(client, "jake@example.com", "wrong-password")

    assert assert_error(unknown, 401) == assert_error(wrong, 401)


@pytest.mark.parametrize(
    ("user_body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "jake@example.com"}, "password"),
        ({"email": "", "password": PASSWORD}, "email"),
        ({"email": "jake@example.com", "password": ""}, "password"),
        ({"email": None, "password": PASSWORD}, "email"),
        ({"email": 1, "password": PASSWORD}, "email"),
        ({"email": "jake@example.com", "password": ["x"]}, "password"),
    ],
)
def test_login_with_invalid_field_is_422(client, user, user_body, field):
    response = client.post("/api/users/login", json={"user": user_body})

    assert_error(response, 422, field)


def test_login_without_user_object_is_422(client, user):
    response = client.post(
        "/api/users/login", json={"email": "jake@example.com", "password": PASSWORD}
    )

    assert_error(response, 422, "user")


# The current user --------------------------------------------------------------


def test_get_current_user_returns_the_user_and_the_presented_token(client, user):
    headers = auth_headers(user)

    response = client.get("/api/user", headers=headers)

    assert response.status_code == 200
    body = response.json["user"]
    assert body["username"] == "jake"
    assert body["email"] == "jake@example.com"
    assert body["token"] == headers["Authorization"].split()[1]


@pytest.mark.parametrize(
    "form",
    ["Token\t{token}", "  Token   {token} ", "Bearer other, Token {token}", "Token {token},"],
)
def test_get_current_user_echoes_the_token_however_the_header_spaces_it(client, user, form):
    token = auth_headers(user)["Authorization"].split()[1]

    response = client.get("/api/user", headers={"Authorization": form.format(token=token)})

    assert response.status_code == 200
    assert response.json["user"]["token"] == token


def test_get_current_user_of_a_deleted_account_is_401(client, user, headers):
    db.session.delete(user)
    db.session.commit()

    response = client.get("/api/user", headers=headers)

    assert_error(response, 401, "token")


def _update(client, headers, **fields: Any):
    return client.put("/api/user", json={"user": fields}, headers=headers)


def test_update_user_changes_only_the_given_fields(client, user, headers):
    response = _update(client, headers, bio="I like to skateboard")

    assert response.status_code == 200
    body = response.json["user"]
    assert body["bio"] == "I like to skateboard"
    assert body["username"] == "jake"
    assert body["email"] == "jake@example.com"
    assert body["image"] is None
    assert body["token"] == headers["Authorization"].split()[1]
    assert client.get("/api/user", headers=headers).json["user"]["bio"] == "I like to skateboard"


def test_update_user_changes_every_accepted_field(client, user, headers):
    response = _update(
        client,
        headers,
        username="jacob",
        email="jacob@example.com",
        password="new-password",
        bio="Bio",
        image="https://example.com/me.png",
    )

    assert response.status_code == 200
    body = response.json["user"]
    assert body["username"] == "jacob"
    assert body["email"] == "jacob@example.com"
    assert body["bio"] == "Bio"
    assert body["image"] == "https://example.com/me.png"
    assert _login(client, "jacob@example.com", "new-password").status_code == 200
    assert client.get("/api/profiles/jacob").status_code == 200


def test_update_user_with_the_same_email_as_now_succeeds(client, user, headers):
    # The official Postman collection sends the current e-mail back unchanged.
    response = _update(client, headers, email="jake@example.com", bio="Same address")

    assert response.status_code == 200
    assert response.json["user"]["email"] == "jake@example.com"
    assert response.json["user"]["bio"] == "Same address"


def test_update_user_may_change_the_case_of_their_own_username(client, user, headers):
    response = _update(client, headers, username="Jake")

    assert response.status_code == 200
    assert response.json["user"]["username"] == "Jake"


def test_update_user_with_empty_password_keeps_the_old_password(client, user, headers):
    response = _update(client, headers, password="", bio="still me")

    assert response.status_code == 200
    assert _login(client, "jake@example.com", PASSWORD).status_code == 200


def test_update_user_with_new_password_replaces_the_old_one(client, user, headers):
    assert _update(client, headers, password="another-password").status_code == 200

    assert _login(client, "jake@example.com", "another-password").status_code == 200
    assert_error(_login(client, "jake@example.com", PASSWORD), 401)


@pytest.mark.parametrize("field", ["bio", "image"])
@pytest.mark.parametrize("empty", ["", None])
def test_update_user_with_empty_bio_or_image_clears_it(client, user, headers, field, empty):
    user.bio = "I work at statefarm"
    user.image = "https://example.com/jake.png"
    db.session.commit()

    response = _update(client, headers, **{field: empty})

    assert response.status_code == 200
    assert response.json["user"][field] is None
    profile = client.get("/api/profiles/jake").json["profile"]
    assert profile[field] is None
    kept = "image" if field == "bio" else "bio"
    assert profile[kept] is not None


@pytest.mark.parametrize("field", ["email", "username"])
def test_update_user_with_null_email_or_username_is_422(client, user, headers, field):
    response = _update(client, headers, **{field: None})

    assert_error(response, 422, field)
    user = db.session.get(User, user.id)
    assert user.email == "jake@example.com"
    assert user.username == "jake"


@pytest.mark.parametrize(
    "image",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/a.png",
        "not a url",
        "//example.com/a.png",
    ],
)
def test_update_user_with_invalid_image_url_is_422(client, user, headers, image):
    response = _update(client, headers, image=image)

    assert_error(response, 422, "image")
    user = db.session.get(User, user.id)
    assert user.image is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "has space"}, "username"),
        ({"username": 5}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"bio": 5}, "bio"),
        ({"bio": "x" * 5001}, "bio"),
        ({"image": ["https://example.com/a.png"]}, "image"),
    ],
)
def test_update_user_with_invalid_field_is_422(client, user, headers, fields, field):
    response = _update(client, headers, **fields)

    assert_error(response, 422, field)


@pytest.mark.usefixtures("other_user")
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "CELEB"}, "username"),
        ({"email": "Celeb@Example.com"}, "email"),
    ],
)
def test_update_user_to_a_taken_username_or_email_is_422(client, user, headers, fields, field):
    response = _update(client, headers, bio="changed", **fields)

    assert assert_error(response, 422, field)[field] == ["has already been taken"]
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.username == "jake"
    assert stored.email == "jake@example.com"
    assert stored.bio is None


def test_update_user_ignores_token_and_id(client, user, other_user, headers):
    response = _update(client, headers, token="forged.token.value", id=other_user.id, bio="hi")

    assert response.status_code == 200
    body = response.json["user"]
    assert body["token"] == headers["Authorization"].split()[1]
    assert body["username"] == "jake"
    db.session.expire_all()
    assert db.session.get(User, user.id).bio == "hi"
    assert db.session.get(User, other_user.id).bio is None


@pytest.mark.parametrize("payload", [{}, {"user": None}, {"user": "jake"}, {"bio": "x"}])
def test_update_user_without_user_object_is_422(client, user, headers, payload):
    response = client.put("/api/user", json=payload, headers=headers)

    assert_error(response, 422, "user")


def test_update_user_with_nothing_to_change_returns_the_user(client, user, headers):
    response = client.put("/api/user", json={"user": {}}, headers=headers)

    assert response.status_code == 200
    assert response.json["user"]["username"] == "jake"


def test_update_user_does_not_touch_other_accounts(client, user, other_user, headers):
    UserFactory(username="bystander", email="bystander@example.com", bio="untouched")

    _update(client, headers, bio="mine")

    assert client.get("/api/profiles/bystander").json["profile"]["bio"] == "untouched"
