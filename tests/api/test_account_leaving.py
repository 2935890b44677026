"""DELETE /api/user and GET /api/user/export: leaving Conduit with one's writing."""

from __future__ import annotations

import json

import pytest

from app.schemas.accounts import AccountExport
from tests.api.helpers import assert_error, assert_no_content, create_article
from tests.factories import PASSWORD


def _register(client, name: str, password: str = PASSWORD) -> dict[str, str]:
    user = {"username": name, "email": f"{name}@example.com", "password": password}
    response = client.post("/api/users", json={"user": user})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Token {response.json['user']['token']}"}


def _delete(client, headers: dict[str, str], password: object = PASSWORD):
    return client.delete("/api/user", json={"user": {"password": password}}, headers=headers)


def test_deleting_the_account_answers_204_and_the_token_is_refused_after(client, headers):
    assert_no_content(_delete(client, headers))

    assert_error(client.get("/api/user", headers=headers), 401, "token")
    # Routes where signing in is optional refuse it too.
    assert_error(client.get("/api/articles", headers=headers), 401, "token")
    assert_error(client.get("/api/user/export", headers=headers), 401, "token")


def test_the_username_and_email_can_be_registered_again(client):
    headers = _register(client, "leaver")
    assert_no_content(_delete(client, headers))

    again = _register(client, "leaver")

    assert client.get("/api/user", headers=again).json["user"]["username"] == "leaver"
    # The old token opens nothing, even if the new account took the old one's id.
    assert_error(client.get("/api/user", headers=headers), 401, "token")


@pytest.mark.parametrize("password", ["not the password", PASSWORD.upper()])
def test_a_wrong_password_is_422_and_changes_nothing(client, headers, password):
    slug = create_article(client, headers)["slug"]

    errors = assert_error(_delete(client, headers, password), 422, "password")

    assert errors == {"password": ["is invalid"]}
    assert client.get("/api/user", headers=headers).status_code == 200
    assert client.get(f"/api/articles/{slug}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"user": {}},
        {"user": {"password": ""}},
        {"user": {"password": None}},
        {"user": {"password": 12345678}},
        {"user": "password"},
        {"password": PASSWORD},
    ],
)
def test_a_missing_or_malformed_password_is_422_and_changes_nothing(client, headers, body):
    kwargs = {} if body is None else {"json": body}

    assert_error(client.delete("/api/user", headers=headers, **kwargs), 422)

    assert client.get("/api/user", headers=headers).status_code == 200


def test_a_body_that_is_not_json_is_refused(client, headers):
    response = client.delete(
        "/api/user", data="password", headers=headers, content_type="text/plain"
    )

    assert_error(response, 415)
    assert client.get("/api/user", headers=headers).status_code == 200


def test_a_password_with_a_lone_surrogate_is_refused_not_a_crash(client, headers):
    response = client.delete(
        "/api/user",
        data='{"user": {"password": "\\ud800"}}',
        headers=headers,
        content_type="application/json",
    )

    assert_error(response, 422)


def test_deleting_needs_a_token(client, user):
    assert_error(client.delete("/api/user", json={"user": {"password": PASSWORD}}), 401)


def test_deleting_keeps_the_other_users_favorites_counts_and_comments(
    client, headers, other_headers
):
    theirs = create_article(client, other_headers, title="Theirs")["slug"]
    mine = create_article(client, headers, title="Mine")["slug"]
    client.post(f"/api/articles/{theirs}/favorite", headers=headers)
    client.post(f"/api/articles/{theirs}/favorite", headers=other_headers)
    client.post(f"/api/articles/{mine}/favorite", headers=other_headers)
    client.post(
        f"/api/articles/{theirs}/comments", json={"comment": {"body": "x"}}, headers=headers
    )
    client.post("/api/profiles/celeb/follow", headers=headers)

    assert_no_content(_delete(client, headers))

    article = client.get(f"/api/articles/{theirs}", headers=other_headers).json["article"]
    assert article["favoritesCount"] == 1
    assert article["favorited"] is True
    assert client.get(f"/api/articles/{theirs}/comments").json["comments"] == []
    assert client.get(f"/api/articles/{mine}").status_code == 404
    listed = client.get("/api/articles?favorited=celeb").json
    assert [a["slug"] for a in listed["articles"]] == [theirs]
    assert client.get("/api/profiles/jake").status_code == 404


def test_the_export_is_an_attachment_of_the_whole_account(client, headers, other_headers):
    slug = create_article(client, headers, tag_list=["dragons", "art"])["slug"]
    client.post(f"/api/articles/{slug}/comments", json={"comment": {"body": "Me"}}, headers=headers)
    client.post(f"/api/articles/{slug}/favorite", headers=other_headers)
    client.post("/api/profiles/celeb/follow", headers=headers)

    response = client.get("/api/user/export", headers=headers)

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="conduit-account.json"'
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    AccountExport.model_validate_json(text)
    document = json.loads(text)
    assert document["profile"]["username"] == "jake"
    [article] = document["articles"]
    assert (article["slug"], article["tagList"], article["favoritesCount"]) == (
        slug,
        ["art", "dragons"],
        1,
    )
    assert article["body"] == "You have to believe"
    assert [c["body"] for c in document["comments"]] == ["Me"]
    assert [f["username"] for f in document["following"]] == ["celeb"]


def test_the_export_is_the_token_holders_own(client, headers, other_headers):
    create_article(client, headers, title="Jake's own")

    document = client.get("/api/user/export", headers=other_headers).json

    assert document["profile"]["username"] == "celeb"
    assert document["articles"] == []


def test_the_export_needs_a_token(client, user):
    assert_error(client.get("/api/user/export"), 401, "token")
    assert_error(client.get("/api/user/export", headers={"Authorization": "Token x"}), 401)
