"""Comments: /api/articles/<slug>/comments[/<id>]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment
from app.schemas.articles import CommentListOut
from app.services import comments
from tests.api.helpers import TIMESTAMP, add_comment, assert_error, assert_no_content
from tests.factories import ArticleFactory, CommentFactory, insert_comments

COMMENT_KEYS = {"id", "createdAt", "updatedAt", "body", "author"}
# In the past, so that anything written during a test is newer.
BASE_TIME = datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


@pytest.fixture
def article(user):
    """An article by jake at /api/articles/dragons."""
    return ArticleFactory(author=user, slug="dragons", title="Dragons")


def _comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment)) or 0


def _comments(client, slug: str = "dragons", headers=None) -> list[dict]:
    response = client.get(f"/api/articles/{slug}/comments", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    comments: list[dict] = response.json["comments"]
    return comments


def test_add_comment_is_200_with_the_comment(client, article, other_user, other_headers):
    response = client.post(
        "/api/articles/dragons/comments",
        json={"comment": {"body": "His name was my name too."}},
        headers=other_headers,
    )

    assert response.status_code == 200
    comment = response.json["comment"]
    assert set(comment) == COMMENT_KEYS
    assert isinstance(comment["id"], int)
    assert comment["body"] == "His name was my name too."
    assert comment["author"] == {
        "username": "celeb",
        "bio": None,
        "image": None,
        "following": False,
    }
    assert TIMESTAMP.match(comment["createdAt"])
    assert comment["updatedAt"] == comment["createdAt"]


def test_added_comment_is_listed(client, article, other_headers):
    comment = add_comment(client, other_headers, "dragons", "First!")

    assert _comments(client) == [comment]


def test_add_comment_ignores_server_owned_fields(client, article, user, other_user, headers):
    response = client.post(
        "/api/articles/dragons/comments",
        json={
            "comment": {
                "body": "Mine",
                "id": 999,
                "author": {"username": "celeb"},
                "createdAt": "2000-01-01T00:00:00.000Z",
            }
        },
        headers=headers,
    )

    comment = response.json["comment"]
    assert comment["id"] != 999
    assert comment["author"]["username"] == "jake"
    assert not comment["createdAt"].startswith("2000")


@pytest.mark.parametrize(
    "payload",
    [
        {"comment": {"body": ""}},
        {"comment": {"body": "   "}},
        {"comment": {"body": None}},
        {"comment": {"body": 5}},
        {"comment": {"body": ["text"]}},
        {"comment": {}},
    ],
)
def test_add_comment_with_invalid_body_is_422(client, article, headers, payload):
    response = client.post("/api/articles/dragons/comments", json=payload, headers=headers)

    assert_error(response, 422, "body")
    assert _comment_count() == 0


@pytest.mark.parametrize(
    "payload", [{}, {"body": "text"}, {"comment": None}, {"comment": "text"}, {"comment": []}]
)
def test_add_comment_without_comment_object_is_422(client, article, headers, payload):
    response = client.post("/api/articles/dragons/comments", json=payload, headers=headers)

    assert_error(response, 422, "comment")
    assert _comment_count() == 0


def test_add_comment_to_unknown_article_is_404(client, user, headers):
    response = client.post(
        "/api/articles/nope/comments", json={"comment": {"body": "Hello"}}, headers=headers
    )

    assert_error(response, 404, "article")
    assert _comment_count() == 0


def test_list_comments_without_token_is_200(client, article, other_user):
    CommentFactory(article=article, author=other_user, body="Nice")

    comments = _comments(client)

    assert len(comments) == 1
    assert set(comments[0]) == COMMENT_KEYS
    assert comments[0]["body"] == "Nice"
    assert comments[0]["author"]["following"] is False
    assert TIMESTAMP.match(comments[0]["createdAt"])
    assert TIMESTAMP.match(comments[0]["updatedAt"])


def test_list_comments_of_an_article_without_any_is_empty(client, article):
    response = client.get("/api/articles/dragons/comments")

    assert response.json == {"comments": []}


def test_list_comments_is_newest_first(client, article, user, other_user):
    for minutes, body in ((1, "second"), (2, "third"), (0, "first")):
        at = BASE_TIME + timedelta(minutes=minutes)
        CommentFactory(article=article, author=other_user, body=body, created_at=at, updated_at=at)

    assert [c["body"] for c in _comments(client)] == ["third", "second", "first"]


def test_list_comments_lists_them_all_unpaged(client, article, user):
    # The spec's endpoint has no paging; the web's article page pages them.
    insert_comments(article=article, author=user, count=45)

    listed = _comments(client)

    assert [c["body"] for c in listed] == [f"Comment {n}" for n in range(44, -1, -1)]


def test_list_comments_created_through_the_api_is_newest_first(client, article, headers):
    ids = [add_comment(client, headers, "dragons", f"comment {n}")["id"] for n in range(3)]

    assert [c["id"] for c in _comments(client)] == list(reversed(ids))


def test_list_comments_shows_only_that_articles_comments(client, article, user, other_headers):
    ArticleFactory(author=user, slug="other")
    add_comment(client, other_headers, "other", "elsewhere")
    add_comment(client, other_headers, "dragons", "here")

    assert [c["body"] for c in _comments(client)] == ["here"]


def test_list_comments_shows_following_for_the_viewer(
    client, article, other_user, headers, third_headers
):
    CommentFactory(article=article, author=other_user)
    client.post("/api/profiles/celeb/follow", headers=headers)

    assert _comments(client, headers=headers)[0]["author"]["following"] is True
    assert _comments(client, headers=third_headers)[0]["author"]["following"] is False
    assert _comments(client)[0]["author"]["following"] is False


def test_list_comments_body_is_what_the_wire_model_renders_byte_for_byte(
    client, article, user, other_user, headers
):
    # The list is assembled from each comment's JSON rendered once (app/api/comments.py).
    CommentFactory(article=article, author=other_user, body='Quotes " and \\ and ü \U0001f409')
    CommentFactory(article=article, author=user, body="Mine.")
    other_user.bio, other_user.image = "A bio", "https://example.com/celeb.png"
    db.session.commit()
    client.post("/api/profiles/celeb/follow", headers=headers)

    for viewer_id, request_headers in ((None, None), (1, headers)):
        views = comments.list_comments(slug="dragons", viewer_id=viewer_id and user.id)
        expected = CommentListOut.model_validate({"comments": views}).model_dump_json(by_alias=True)
        response = client.get("/api/articles/dragons/comments", headers=request_headers)
        assert response.get_data(as_text=True) == expected
        assert {c["author"]["following"] for c in response.json["comments"]} == (
            {True, False} if viewer_id else {False}
        )


def test_list_comments_of_unknown_article_is_404(client):
    assert_error(client.get("/api/articles/nope/comments"), 404, "article")


def test_delete_own_comment_is_204_with_an_empty_body(client, article, other_headers):
    comment = add_comment(client, other_headers, "dragons")

    response = client.delete(
        f"/api/articles/dragons/comments/{comment['id']}", headers=other_headers
    )

    assert_no_content(response)
    assert _comments(client) == []


def test_delete_comment_leaves_the_others(client, article, headers, other_headers):
    doomed = add_comment(client, other_headers, "dragons", "doomed")
    kept = add_comment(client, headers, "dragons", "kept")

    client.delete(f"/api/articles/dragons/comments/{doomed['id']}", headers=other_headers)

    assert _comments(client) == [kept]


def test_delete_someone_elses_comment_is_403_and_keeps_it(
    client, article, headers, other_headers, third_headers
):
    comment = add_comment(client, other_headers, "dragons")

    # Neither a stranger nor the article's author may delete celeb's comment.
    for actor in (third_headers, headers):
        response = client.delete(f"/api/articles/dragons/comments/{comment['id']}", headers=actor)
        assert_error(response, 403, "comment")

    assert _comments(client) == [comment]
    assert _comment_count() == 1


@pytest.mark.parametrize("comment_id", ["999", "2147483648", "9223372036854775807"])
def test_delete_unknown_comment_is_404(client, article, headers, comment_id):
    response = client.delete(f"/api/articles/dragons/comments/{comment_id}", headers=headers)

    assert_error(response, 404, "comment")


def test_delete_comment_through_another_article_is_404(client, article, user, headers):
    ArticleFactory(author=user, slug="other")
    comment = add_comment(client, headers, "dragons")

    response = client.delete(f"/api/articles/other/comments/{comment['id']}", headers=headers)

    assert_error(response, 404, "comment")
    assert _comment_count() == 1


def test_delete_comment_of_unknown_article_is_404(client, user, headers):
    response = client.delete("/api/articles/nope/comments/1", headers=headers)

    assert_error(response, 404, "article")


def test_delete_comment_twice_is_404_the_second_time(client, article, headers):
    comment = add_comment(client, headers, "dragons")
    url = f"/api/articles/dragons/comments/{comment['id']}"

    assert_no_content(client.delete(url, headers=headers))
    assert_error(client.delete(url, headers=headers), 404, "comment")


@pytest.mark.parametrize(
    "comment_id", ["abc", "0", "-1", "1.5", "99999999999999999999", "9223372036854775808"]
)
def test_delete_comment_with_invalid_id_is_422(client, article, headers, comment_id):
    response = client.delete(f"/api/articles/dragons/comments/{comment_id}", headers=headers)

    assert_error(response, 422, "id")
