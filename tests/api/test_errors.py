"""The cross-cutting error rules: every failure under /api is a 4xx (or a 5xx of our own)
with the body {"errors": {"<field or body>": ["message", ...]}}, never a crash."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import func, select

from app.extensions import db
from app.models import Article, User
from tests.api.helpers import assert_error
from tests.factories import ArticleFactory

VALID_USER = {"username": "newcomer", "email": "newcomer@example.com", "password": "password123"}
VALID_ARTICLE = {"title": "Title", "description": "Description", "body": "Body"}


@pytest.fixture
def article(user) -> Article:
    """An article by jake at /api/articles/dragons."""
    return ArticleFactory(author=user, slug="dragons")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _post_json_text(client, url: str, text: str | bytes, headers=None):
    """POST `text` as it is, labelled as JSON."""
    return client.post(url, data=text, content_type="application/json", headers=headers)


# Authentication ----------------------------------------------------------------

REQUIRED_AUTH = [
    ("GET", "/api/user"),
    ("PUT", "/api/user"),
    ("DELETE", "/api/user"),
    ("GET", "/api/user/export"),
    ("GET", "/api/articles/feed"),
    ("POST", "/api/articles"),
    ("PUT", "/api/articles/dragons"),
    ("DELETE", "/api/articles/dragons"),
    ("POST", "/api/articles/dragons/favorite"),
    ("DELETE", "/api/articles/dragons/favorite"),
    ("POST", "/api/articles/dragons/comments"),
    ("DELETE", "/api/articles/dragons/comments/1"),
    ("POST", "/api/profiles/celeb/follow"),
    ("DELETE", "/api/profiles/celeb/follow"),
]

OPTIONAL_AUTH = [
    "/api/articles",
    "/api/articles/dragons",
    "/api/articles/dragons/comments",
    "/api/profiles/jake",
]


def _signed_with_another_key(user: User) -> str:
    claims = {"sub": str(user.id), "type": "access", "fresh": False, "jti": "forged"}
    return pyjwt.encode(claims, "another-secret-key-that-is-long-enough-too", algorithm="HS256")


def _unsigned(user: User) -> str:
    claims = {"sub": str(user.id), "type": "access", "fresh": False, "jti": "forged"}
    return pyjwt.encode(claims, None, algorithm="none")


def _signed(user: User, **claims: Any) -> str:
    """A token signed with the app's own key, with `claims` over those the app issues
    (a claim given as None is left out)."""
    now = int(time.time())
    issued = {"sub": str(user.id), "type": "access", "fresh": False, "jti": "j", "iat": now}
    issued["exp"] = now + 3600
    merged = {name: value for name, value in {**issued, **claims}.items() if value is not None}
    return "Token " + pyjwt.encode(merged, current_app.config["JWT_SECRET_KEY"], algorithm="HS256")


# Authorization headers that must never let a request through, by what is wrong with them.
BAD_AUTHORIZATION: dict[str, Callable[[User], str]] = {
    "wrong scheme": lambda _user: "Bearer x",
    "wrong scheme, valid token": lambda user: f"Bearer {create_access_token(str(user.id))}",
    "scheme only": lambda _user: "Token",
    "empty token": lambda _user: "Token ",
    "not a jwt": lambda _user: "Token x",
    "garbage jwt": lambda _user: "Token aaa.bbb.ccc",
    "expired": lambda user: (
        "Token " + create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-1))
    ),
    "signed with another key": lambda user: f"Token {_signed_with_another_key(user)}",
    "unsigned": lambda user: f"Token {_unsigned(user)}",
    "refresh token": lambda user: f"Token {create_refresh_token(identity=str(user.id))}",
    "identity not an id": lambda _user: f"Token {create_access_token(identity='jake')}",
    "no expiry": lambda user: (
        f"Token {create_access_token(identity=str(user.id), expires_delta=False)}"
    ),
    "no expiry, hand-made": lambda user: _signed(user, exp=None),
    "no subject": lambda user: _signed(user, sub=None),
    "subject negative": lambda user: _signed(user, sub=f"-{user.id}"),
    "subject zero": lambda user: _signed(user, sub="0"),
    "subject huge": lambda user: _signed(user, sub="9" * 30),
    "subject beyond the id range": lambda user: _signed(user, sub=str(2**31)),
    "subject a decimal": lambda user: _signed(user, sub=f"{user.id}.0"),
    "subject padded": lambda user: _signed(user, sub=f" {user.id} "),
    "subject with a leading zero": lambda user: _signed(user, sub=f"0{user.id}"),
    "subject with an underscore": lambda user: _signed(user, sub=f"{user.id}_0"),
    "subject in other digits": lambda user: _signed(user, sub=chr(0x0660 + user.id)),
    "subject a number": lambda user: _signed(user, sub=user.id),
    "subject a float": lambda user: _signed(user, sub=float(user.id)),
    "subject a boolean": lambda user: _signed(user, sub=True),
    "subject a list": lambda user: _signed(user, sub=[str(user.id)]),
    "generation a string": lambda user: _signed(user, cgen="0"),
    "generation a boolean": lambda user: _signed(user, cgen=False),
    "generation negative": lambda user: _signed(user, cgen=-1),
    "generation a float": lambda user: _signed(user, cgen=0.0),
}


def _ids(endpoints: list[tuple[str, ...]]) -> list[str]:
    return [f"{endpoint[0]} {endpoint[1]}" for endpoint in endpoints]


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", REQUIRED_AUTH, ids=_ids(REQUIRED_AUTH))
def test_required_auth_without_token_is_401(client, endpoint):
    method, url = endpoint

    response = client.open(url, method=method, json={"article": {"title": "Changed"}})

    assert_error(response, 401, "token")
    assert response.headers["WWW-Authenticate"] == "Token"
    assert _count(Article) == 1


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", REQUIRED_AUTH, ids=_ids(REQUIRED_AUTH))
@pytest.mark.parametrize("problem", sorted(BAD_AUTHORIZATION))
def test_required_auth_with_bad_token_is_401(client, user, endpoint, problem):
    method, url = endpoint
    headers = {"Authorization": BAD_AUTHORIZATION[problem](user)}

    response = client.open(url, method=method, json={}, headers=headers)

    assert_error(response, 401, "token")
    assert _count(Article) == 1


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", REQUIRED_AUTH, ids=_ids(REQUIRED_AUTH))
def test_required_auth_with_token_of_a_deleted_account_is_401(client, other_user, endpoint):
    method, url = endpoint
    token = create_access_token(identity=str(other_user.id))
    db.session.delete(other_user)
    db.session.commit()

    response = client.open(url, method=method, json={}, headers={"Authorization": f"Token {token}"})

    assert_error(response, 401, "token")


def test_required_auth_is_checked_before_the_body(client, user):
    response = client.post("/api/articles", data="not json", content_type="text/plain")

    assert_error(response, 401, "token")
    assert _count(Article) == 0


@pytest.mark.parametrize("url", OPTIONAL_AUTH)
def test_optional_auth_without_token_is_200(client, article, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", OPTIONAL_AUTH)
def test_optional_auth_with_valid_token_is_200(client, article, headers, url):
    assert client.get(url, headers=headers).status_code == 200


@pytest.mark.parametrize("url", OPTIONAL_AUTH)
@pytest.mark.parametrize("problem", sorted(BAD_AUTHORIZATION))
def test_optional_auth_with_bad_token_is_401(client, user, article, url, problem):
    headers = {"Authorization": BAD_AUTHORIZATION[problem](user)}

    response = client.get(url, headers=headers)

    assert_error(response, 401, "token")


# Unknown URLs and methods ------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api", "/api/", "/api/nope", "/api/articles/dragons/nope", "/api/users/1"]
)
def test_unknown_api_url_is_404(client, article, url):
    assert_error(client.get(url), 404, "body")


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("PATCH", "/api/articles", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("DELETE", "/api/tags", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/api/users", {"OPTIONS", "POST"}),
        ("GET", "/api/users/login", {"OPTIONS", "POST"}),
        ("POST", "/api/user", {"DELETE", "GET", "HEAD", "OPTIONS", "PUT"}),
        ("PATCH", "/api/articles/dragons", {"DELETE", "GET", "HEAD", "OPTIONS", "PUT"}),
        ("GET", "/api/articles/dragons/favorite", {"DELETE", "OPTIONS", "POST"}),
        ("PUT", "/api/articles/dragons/comments/1", {"DELETE", "OPTIONS"}),
        ("GET", "/api/profiles/jake/follow", {"DELETE", "OPTIONS", "POST"}),
    ],
)
def test_wrong_method_is_405_with_an_allow_header(client, article, method, url, allowed):
    response = client.open(url, method=method)

    assert_error(response, 405, "body")
    assert {name.strip() for name in response.headers["Allow"].split(",")} == allowed


# Bodies that are too large or not JSON -----------------------------------------


@pytest.fixture
def small_body_limit(app) -> int:
    """Refuse request bodies above 1 KiB."""
    app.config["MAX_CONTENT_LENGTH"] = 1024
    return 1024


def test_body_above_max_content_length_is_413(client, small_body_limit):
    user = {**VALID_USER, "bio": "x" * small_body_limit}

    response = client.post("/api/users", json={"user": user})

    assert_error(response, 413, "body")
    assert _count(User) == 0


def test_article_above_max_content_length_is_413(client, user, headers, small_body_limit):
    article = {**VALID_ARTICLE, "body": "x" * small_body_limit}

    response = client.post("/api/articles", json={"article": article}, headers=headers)

    assert_error(response, 413, "body")
    assert _count(Article) == 0


def test_body_within_max_content_length_is_accepted(client, small_body_limit):
    assert client.post("/api/users", json={"user": VALID_USER}).status_code == 201


BODY_ENDPOINTS = [
    ("POST", "/api/users", {"user": VALID_USER}),
    ("POST", "/api/users/login", {"user": {"email": "jake@example.com", "password": "x"}}),
    ("PUT", "/api/user", {"user": {"bio": "x"}}),
    ("DELETE", "/api/user", {"user": {"password": "not the password"}}),
    ("POST", "/api/articles", {"article": VALID_ARTICLE}),
    ("PUT", "/api/articles/dragons", {"article": {"title": "x"}}),
    ("POST", "/api/articles/dragons/comments", {"comment": {"body": "x"}}),
]


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS, ids=_ids(BODY_ENDPOINTS))
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_non_json_body_is_415(client, headers, endpoint, content_type):
    method, url, payload = endpoint

    response = client.open(
        url, method=method, data=json.dumps(payload), content_type=content_type, headers=headers
    )

    assert_error(response, 415, "body")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS, ids=_ids(BODY_ENDPOINTS))
def test_json_body_with_charset_is_accepted(client, headers, endpoint):
    method, url, payload = endpoint

    response = client.open(
        url,
        method=method,
        data=json.dumps(payload),
        content_type="application/json; charset=utf-8",
        headers=headers,
    )

    assert response.status_code != 415
    assert response.status_code < 500


# Hostile JSON ------------------------------------------------------------------


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS, ids=_ids(BODY_ENDPOINTS))
@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"user": ',
        "{'user': {}}",
        '{"user": {}} trailing',
        "[" * 100_000,
        b"\xff\xfe\x00",
        "undefined",
    ],
)
def test_malformed_json_is_400(client, headers, endpoint, text):
    method, url, _payload = endpoint

    response = client.open(
        url, method=method, data=text, content_type="application/json", headers=headers
    )

    assert_error(response, 400, "body")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS, ids=_ids(BODY_ENDPOINTS))
@pytest.mark.parametrize("text", ["8", "1.5", "[]", "[{}]", '"string"', "null", "true", "NaN"])
def test_top_level_json_that_is_not_an_object_is_422(client, headers, endpoint, text):
    method, url, _payload = endpoint

    response = client.open(
        url, method=method, data=text, content_type="application/json", headers=headers
    )

    assert_error(response, 422, "body")


def test_json_string_holding_a_document_is_not_decoded_twice(client):
    # A JSON string is not an object, even when its text is one.
    text = json.dumps(json.dumps({"user": VALID_USER}))

    response = _post_json_text(client, "/api/users", text)

    assert assert_error(response, 422) == {"body": ["must be an object"]}
    assert _count(User) == 0


def test_json_string_cannot_smuggle_a_nul_character(client, user, headers):
    inner = json.dumps({"user": {"image": "https://example.com/\u0000.png"}})

    response = client.put(
        "/api/user", data=json.dumps(inner), content_type="application/json", headers=headers
    )

    assert_error(response, 422, "body")
    user = db.session.get(User, user.id)
    assert user.image is None


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        '{"a":' * 50 + "1" + "}" * 50,
        "[" * 50 + "]" * 50,
        '{"user": ' + "[" * 40 + "]" * 40 + "}",
    ],
    ids=["100000 arrays", "100000 objects", "50 objects", "50 arrays", "40 arrays in envelope"],
)
def test_deeply_nested_json_is_4xx(client, text):
    response = _post_json_text(client, "/api/users", text)

    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code, "body")
    assert _count(User) == 0


def test_nested_json_within_the_limit_is_judged_on_its_fields(client, user, headers):
    # 30 levels deep inside "tagList": deep enough to be allowed, wrong in type.
    nested = "[" * 30 + "]" * 30
    text = f'{{"article": {{"title": "T", "description": "D", "body": "B", "tagList": {nested}}}}}'

    response = _post_json_text(client, "/api/articles", text, headers)

    assert_error(response, 422, "tagList")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    "request_text",
    [
        (
            "POST",
            "/api/users",
            '{"user": {"username": "a\\ud800", "email": "a@example.com", "password": "password"}}',
        ),
        (
            "POST",
            "/api/users/login",
            '{"user": {"email": "jake@example.com", "password": "\\udfff"}}',
        ),
        ("PUT", "/api/user", '{"user": {"bio": "\\ud800"}}'),
        ("PUT", "/api/user", '{"user": {"\\ud800": "key"}}'),
        ("DELETE", "/api/user", '{"user": {"password": "\\ud800"}}'),
        (
            "POST",
            "/api/articles",
            '{"article": {"title": "\\ud800", "description": "d", "body": "b"}}',
        ),
        (
            "POST",
            "/api/articles",
            '{"article": {"title": "t", "description": "d", "body": "b", "tagList": ["\\ud800"]}}',
        ),
        ("PUT", "/api/articles/dragons", '{"article": {"body": "x\\udc00y"}}'),
        ("POST", "/api/articles/dragons/comments", '{"comment": {"body": "\\ud800"}}'),
    ],
)
def test_lone_surrogate_in_a_field_is_422(client, headers, request_text):
    method, url, text = request_text

    response = client.open(
        url, method=method, data=text, content_type="application/json", headers=headers
    )

    assert_error(response, 422, "body")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    "request_text",
    [
        (
            "POST",
            "/api/users",
            '{"user": {"username": "nul", "email": "a\\u0000@x.io", "password": "password"}}',
        ),
        (
            "POST",
            "/api/users",
            '{"user": {"username": "nul", "email": "n@x.io", "password": "pass\\u0000word"}}',
        ),
        (
            "POST",
            "/api/users/login",
            '{"user": {"email": "jake@example.com\\u0000", "password": "password123"}}',
        ),
        ("PUT", "/api/user", '{"user": {"bio": "a\\u0000b"}}'),
        ("PUT", "/api/user", '{"user": {"image": "https://example.com/\\u0000"}}'),
        ("DELETE", "/api/user", '{"user": {"password": "pass\\u0000word"}}'),
        (
            "POST",
            "/api/articles",
            '{"article": {"title": "a\\u0000", "description": "d", "body": "b"}}',
        ),
        (
            "POST",
            "/api/articles",
            '{"article": {"title": "t", "description": "d", "body": "b", "tagList": ["\\u0000"]}}',
        ),
        ("PUT", "/api/articles/dragons", '{"article": {"description": "\\u0000"}}'),
        ("POST", "/api/articles/dragons/comments", '{"comment": {"body": "a\\u0000b"}}'),
    ],
)
def test_nul_character_in_a_field_is_422(client, headers, request_text):
    method, url, text = request_text

    response = client.open(
        url, method=method, data=text, content_type="application/json", headers=headers
    )

    assert_error(response, 422)
    assert client.get("/api/articles/dragons").json["article"]["description"] == "A description"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/articles?tag=a%00b", "tag"),
        ("/api/articles?author=%00", "author"),
        ("/api/articles?favorited=jake%00", "favorited"),
        ("/api/articles?limit=1%00", "limit"),
        ("/api/articles/drag%00ons", "slug"),
        ("/api/articles/drag%00ons/comments", "slug"),
        ("/api/profiles/ja%00ke", "username"),
    ],
)
def test_nul_character_in_query_or_path_is_422(client, article, url, field):
    assert_error(client.get(url), 422, field)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", "/api/articles/drag%00ons"),
        ("DELETE", "/api/articles/drag%00ons"),
        ("POST", "/api/articles/drag%00ons/favorite"),
        ("DELETE", "/api/articles/drag%00ons/comments/1"),
        ("POST", "/api/profiles/ce%00leb/follow"),
    ],
)
def test_nul_character_in_path_of_a_write_is_422(client, article, headers, method, url):
    body = {"article": {"title": "x"}} if method == "PUT" else None

    response = client.open(url, method=method, json=body, headers=headers)

    assert_error(response, 422)
    assert _count(Article) == 1


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    "url",
    ["/api/articles?tag=%ff", "/api/articles?author=%ED%A0%80", "/api/articles?favorited=%c3%28"],
)
def test_undecodable_bytes_in_a_query_match_nothing(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.json == {"articles": [], "articlesCount": 0}


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/articles/%ff%fe", "article"),
        ("/api/articles/%ED%A0%80/comments", "article"),
        ("/api/profiles/%c3%28", "profile"),
    ],
)
def test_undecodable_bytes_in_a_path_find_nothing(client, url, field):
    assert_error(client.get(url), 404, field)


@pytest.mark.parametrize("url", ["/api/articles", "/api/articles/feed"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=1e3", "limit"),
        ("limit=", "limit"),
        ("limit=101", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("offset=-1", "offset"),
        ("offset=abc", "offset"),
        ("offset=0.5", "offset"),
        ("offset=", "offset"),
        ("offset=2147483648", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("offset=-99999999999999999999", "offset"),
    ],
)
def test_bad_limit_or_offset_is_422(client, headers, url, query, field):
    response = client.get(f"{url}?{query}", headers=headers)

    assert_error(response, 422, field)


@pytest.mark.parametrize("url", ["/api/articles", "/api/articles/feed"])
@pytest.mark.parametrize("query", ["limit=1", "limit=100", "offset=0", "offset=2147483647"])
def test_limit_and_offset_at_their_bounds_are_accepted(client, article, headers, url, query):
    response = client.get(f"{url}?{query}", headers=headers)

    assert response.status_code == 200


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    ("method", "url", "envelope"),
    [
        ("POST", "/api/users", "user"),
        ("POST", "/api/users/login", "user"),
        ("PUT", "/api/user", "user"),
        ("DELETE", "/api/user", "user"),
        ("POST", "/api/articles", "article"),
        ("PUT", "/api/articles/dragons", "article"),
        ("POST", "/api/articles/dragons/comments", "comment"),
    ],
)
def test_missing_envelope_key_is_422(client, headers, method, url, envelope):
    response = client.open(url, method=method, json={"title": "x", "body": "x"}, headers=headers)

    assert assert_error(response, 422, envelope)[envelope] == ["can't be blank"]


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS, ids=_ids(BODY_ENDPOINTS))
@pytest.mark.parametrize("content_type", [None, "application/json"])
def test_empty_body_where_one_is_needed_is_422(client, headers, endpoint, content_type):
    method, url, _payload = endpoint

    response = client.open(url, method=method, data=b"", content_type=content_type, headers=headers)

    assert_error(response, 422, "body")


# Our own failures --------------------------------------------------------------


def test_unexpected_error_is_500_with_the_error_body_and_no_details(app, client):
    def explode() -> None:
        raise RuntimeError("secret detail: SELECT password_hash FROM users")

    app.add_url_rule("/api/explode", "explode", explode)

    response = client.get("/api/explode")

    errors = assert_error(response, 500, "body")
    assert errors == {"body": ["internal server error"]}
    assert "secret" not in response.get_data(as_text=True)
