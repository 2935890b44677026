"""A password change revokes every API token issued before it, on every route that
reads a token, while the token that change returns, and any later sign-in, work.

The app checks the token's credentials generation against the account's: the
routes that need the signed-in user against the account they load anyway, the
routes where signing in is optional against a cached copy (app/services/credentials.py),
so that neither costs a statement more than before (tests/test_statement_counts.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from sqlalchemy import update

from app.api import auth
from app.extensions import cache, db
from app.models import User
from tests.api.helpers import assert_error
from tests.conftest import StatementCounter
from tests.factories import PASSWORD, ArticleFactory, CommentFactory

NEW_PASSWORD = "a-brand-new-password"

# Routes that need a token, with a body each accepts: (method, url, body).
REQUIRED_ROUTES = [
    ("GET", "/api/user", None),
    ("PUT", "/api/user", {"user": {"bio": "still mine"}}),
    ("GET", "/api/articles/feed", None),
    ("POST", "/api/articles/dragons/favorite", None),
    ("POST", "/api/articles/dragons/comments", {"comment": {"body": "Mine."}}),
    ("POST", "/api/profiles/celeb/follow", None),
]
# Routes where a token is optional, with the statements each runs (anonymous or
# signed in alike: tests/test_statement_counts.py).
OPTIONAL_ROUTES = {
    "/api/articles": 1,
    "/api/articles/dragons": 1,
    "/api/articles/dragons/comments": 1,
    "/api/profiles/celeb": 1,
}


@pytest.fixture
def article(other_user: User) -> str:
    """An article by celeb at /api/articles/dragons, with a comment."""
    article = ArticleFactory(author=other_user, slug="dragons")
    CommentFactory(article=article, author=other_user)
    return article.slug


def _sign_in(
    client: FlaskClient, email: str = "jake@example.com", password: str = PASSWORD
) -> dict[str, str]:
    """Sign in through the API; the Authorization header of the token it issues."""
    body = {"user": {"email": email, "password": password}}
    response = client.post("/api/users/login", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Token {response.json['user']['token']}"}


def _change_password(client: FlaskClient, headers: dict[str, str]) -> dict[str, str]:
    """Change jake's password through the API; return the header of the token it answers with."""
    response = client.put("/api/user", json={"user": {"password": NEW_PASSWORD}}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Token {response.json['user']['token']}"}


def _call(client: FlaskClient, method: str, url: str, body: Any, headers: dict[str, str]):
    return client.open(url, method=method, json=body, headers=headers)


def _works(client: FlaskClient, headers: dict[str, str]) -> None:
    """The token in `headers` opens a required route and personalises an optional one."""
    me = client.get("/api/user", headers=headers)
    assert me.status_code == 200, me.get_data(as_text=True)
    listed = client.get("/api/articles", headers=headers)
    assert listed.status_code == 200, listed.get_data(as_text=True)


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    ("method", "url", "body"), REQUIRED_ROUTES, ids=[f"{m} {u}" for m, u, _ in REQUIRED_ROUTES]
)
def test_a_password_change_revokes_older_tokens_on_required_routes(client, user, method, url, body):
    old = _sign_in(client)
    other_old = _sign_in(client)
    _works(client, old)

    _change_password(client, other_old)

    errors = assert_error(_call(client, method, url, body, old), 401, "token")
    assert errors == {"token": ["has been revoked"]}
    assert_error(_call(client, method, url, body, other_old), 401, "token")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("url", sorted(OPTIONAL_ROUTES))
def test_a_password_change_revokes_older_tokens_on_optional_routes(client, user, url):
    old = _sign_in(client)
    assert client.get(url, headers=old).status_code == 200

    _change_password(client, _sign_in(client))

    # Refused like a bad token, never served as if anonymous.
    errors = assert_error(client.get(url, headers=old), 401, "token")
    assert errors == {"token": ["has been revoked"]}
    assert client.get(url).status_code == 200


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("url", sorted(OPTIONAL_ROUTES))
def test_the_token_a_password_change_returns_works_everywhere(client, user, url):
    old = _sign_in(client)

    new = _change_password(client, old)

    assert new != old
    _works(client, new)
    assert client.get(url, headers=new).status_code == 200
    assert client.post("/api/articles/dragons/favorite", headers=new).status_code == 200
    favorited = client.get("/api/articles/dragons", headers=new).json["article"]["favorited"]
    assert favorited is True


def test_a_sign_in_after_the_password_change_works(client, user):
    _change_password(client, _sign_in(client))

    assert_error(
        client.post(
            "/api/users/login", json={"user": {"email": "jake@example.com", "password": PASSWORD}}
        ),
        401,
    )
    _works(client, _sign_in(client, password=NEW_PASSWORD))


def test_a_token_this_process_remembers_is_refused_after_the_change(app, client, user):
    old = _sign_in(client)
    _works(client, old)
    remembered = app.extensions[auth.VERIFIED_TOKENS_EXTENSION]
    assert remembered.get(old["Authorization"]) is not None

    _change_password(client, _sign_in(client))

    assert_error(client.get("/api/user", headers=old), 401, "token")
    assert_error(client.get("/api/articles", headers=old), 401, "token")


def test_each_password_change_revokes_the_token_of_the_one_before(client, user):
    first = _change_password(client, _sign_in(client))
    second = client.put(
        "/api/user", json={"user": {"password": "yet-another-password"}}, headers=first
    )
    assert second.status_code == 200
    latest = {"Authorization": f"Token {second.json['user']['token']}"}

    assert_error(client.get("/api/user", headers=first), 401, "token")
    assert_error(client.get("/api/articles", headers=first), 401, "token")
    _works(client, latest)


def test_other_accounts_tokens_are_unaffected(client, user, other_user):
    celeb = _sign_in(client, "celeb@example.com")
    _works(client, celeb)

    _change_password(client, _sign_in(client))

    _works(client, celeb)


@pytest.mark.parametrize(
    "changes",
    [
        {"bio": "New bio"},
        {"email": "jake.new@example.com"},
        {"username": "jacob"},
        {"image": "https://example.com/jake.png"},
        {"password": "", "bio": "An empty password changes nothing"},
    ],
    ids=["bio", "email", "username", "image", "empty password"],
)
def test_changing_anything_but_the_password_revokes_nothing(client, user, changes):
    first = _sign_in(client)
    second = _sign_in(client)
    _works(client, first)

    response = client.put("/api/user", json={"user": changes}, headers=second)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["user"]["token"] == second["Authorization"].split()[1]
    _works(client, first)
    _works(client, second)


def test_a_token_issued_before_tokens_carried_a_generation_lasts_until_a_password_change(
    client, user
):
    # What the release before this one issued: no credentials generation in it.
    legacy = {"Authorization": f"Token {create_access_token(identity=str(user.id))}"}
    _works(client, legacy)

    _change_password(client, _sign_in(client))

    assert_error(client.get("/api/user", headers=legacy), 401, "token")
    assert_error(client.get("/api/articles", headers=legacy), 401, "token")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("url", sorted(OPTIONAL_ROUTES))
def test_a_signed_in_optional_route_runs_no_statement_more_than_an_anonymous_one(
    client, user, statements: StatementCounter, url
):
    headers = _sign_in(client)

    statements.reset()
    assert client.get(url).status_code == 200
    anonymous = statements.count
    statements.reset()
    assert client.get(url, headers=headers).status_code == 200
    signed_in = statements.count

    assert anonymous == signed_in == OPTIONAL_ROUTES[url]


@pytest.mark.usefixtures("article")
def test_an_account_whose_generation_is_not_cached_costs_one_statement_once(
    app: Flask, client, user, statements: StatementCounter
):
    # A token this process did not issue, of an account it has not looked up.
    headers = {"Authorization": f"Token {auth.issue_token(user)}"}
    _forget_cached_generations(app)

    statements.reset()
    assert client.get("/api/profiles/celeb", headers=headers).status_code == 200
    first = statements.count
    statements.reset()
    assert client.get("/api/profiles/celeb", headers=headers).status_code == 200
    again = statements.count

    assert (first, again) == (OPTIONAL_ROUTES["/api/profiles/celeb"] + 1, 1)


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    ("method", "url", "body"),
    [*REQUIRED_ROUTES, *(("GET", url, None) for url in sorted(OPTIONAL_ROUTES))],
    ids=[f"{m} {u}" for m, u, _ in REQUIRED_ROUTES] + sorted(OPTIONAL_ROUTES),
)
def test_a_stale_cached_generation_never_refuses_the_token_of_the_new_password(
    client, user, method, url, body
):
    # This process caches the account's generation; then another process changes the
    # password (without Redis this one does not hear of it): the row moves on alone.
    user_id = user.id
    _works(client, _sign_in(client))
    moved_on = (
        update(User)
        .where(User.id == user_id)
        .values(credentials_generation=User.credentials_generation + 1)
        .returning(User.credentials_generation)
    )
    generation = db.session.scalar(moved_on)
    db.session.commit()
    claims = {auth.GENERATION_CLAIM: generation}
    new = {"Authorization": f"Token {create_access_token(str(user_id), additional_claims=claims)}"}

    response = _call(client, method, url, body, new)

    assert response.status_code in (200, 201), response.get_data(as_text=True)


def _forget_cached_generations(app: Flask) -> None:
    """Empty the app's cache, as once its entries expired."""
    cache.clear()
