"""PUT /api/user as front ends that do not fill their settings form send it: an empty
username, e-mail or password leaves it unchanged (none can be blank), an empty bio or
image clears it. The OpenAPI document says the same."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.extensions import db
from app.models import User
from tests.api.helpers import assert_error
from tests.factories import PASSWORD

# What the Angular RealWorld app sends when only the bio was typed in.
ANGULAR_SETTINGS = {"image": "", "username": "", "bio": "New bio", "email": "", "password": ""}


def _update(client, headers, **fields: Any):
    return client.put("/api/user", json={"user": fields}, headers=headers)


def _signs_in(client, email: str, password: str) -> bool:
    credentials = {"email": email, "password": password}
    return client.post("/api/users/login", json={"user": credentials}).status_code == 200


def test_the_angular_settings_form_changes_only_what_was_typed(client, user, headers):
    user.image = "https://example.com/jake.png"
    db.session.commit()

    response = _update(client, headers, **ANGULAR_SETTINGS)

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json["user"]
    assert (body["username"], body["email"]) == ("jake", "jake@example.com")
    assert body["bio"] == "New bio"
    assert body["image"] is None
    assert _signs_in(client, "jake@example.com", PASSWORD)


@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_username_email_or_password_leaves_it_unchanged(
    client, user, headers, field, blank
):
    response = _update(client, headers, **{field: blank}, bio="still me")

    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert (stored.username, stored.email, stored.bio) == ("jake", "jake@example.com", "still me")
    assert _signs_in(client, "jake@example.com", PASSWORD)


def test_blank_fields_beside_real_changes_keep_the_changes(client, user, headers):
    response = _update(client, headers, username="jacob", email="", password="new-password")

    assert response.status_code == 200
    assert response.json["user"]["username"] == "jacob"
    assert response.json["user"]["email"] == "jake@example.com"
    assert _signs_in(client, "jake@example.com", "new-password")


@pytest.mark.parametrize("field", ["username", "email"])
def test_null_username_or_email_is_still_refused(client, user, headers, field):
    assert assert_error(_update(client, headers, **{field: None}), 422, field)[field] == [
        "can't be blank"
    ]


@pytest.fixture
def update_user_schema(client) -> Draft202012Validator:
    spec = client.get("/api/docs/openapi.json").json
    return Draft202012Validator(spec["components"]["schemas"]["UpdateUser"])


@pytest.mark.parametrize(
    "fields",
    [
        ANGULAR_SETTINGS,
        {"username": "   "},
        {"email": "\t"},
        {"password": None},
        {"bio": None, "image": None},
        {"username": "jacob", "email": "jacob@example.com", "password": "new-password"},
    ],
)
def test_the_openapi_document_accepts_what_the_api_accepts(
    client, user, headers, update_user_schema, fields
):
    assert update_user_schema.is_valid(fields)
    assert _update(client, headers, **fields).status_code == 200


@pytest.mark.parametrize(
    "fields", [{"username": None}, {"email": None}, {"username": "a b"}, {"password": "short"}]
)
def test_the_openapi_document_refuses_what_the_api_refuses(
    client, user, headers, update_user_schema, fields
):
    assert not update_user_schema.is_valid(fields)
    assert _update(client, headers, **fields).status_code == 422


def test_the_openapi_document_says_blank_means_unchanged(update_user_schema):
    properties = update_user_schema.schema["properties"]

    for field in ("username", "email", "password"):
        assert "leaves it unchanged" in properties[field]["description"]
    for field in ("bio", "image"):
        assert "clears it" in properties[field]["description"]
