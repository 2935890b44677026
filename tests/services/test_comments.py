"""Comments on articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.exceptions import Forbidden, NotFound
from app.extensions import db
from app.models import Article, Comment
from app.read_models import CommentPage, CommentView, ProfileView
from app.services import comments, profiles
from app.services.comments import MAX_ID
from tests.factories import ArticleFactory, CommentFactory, insert_comments

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment)) or 0


@pytest.fixture
def article(app, user):
    return ArticleFactory(author=user, slug="dragons", title="Dragons")


def test_add_comment_returns_the_new_comment(app, article, other_user):
    view = comments.add_comment(actor=other_user, slug="dragons", body="Nice!")

    assert view == CommentView(
        id=view.id,
        body="Nice!",
        created_at=view.created_at,
        updated_at=view.created_at,
        author=ProfileView(username="celeb", bio=None, image=None, following=False),
    )
    stored = db.session.get(Comment, view.id)
    assert (stored.article_id, stored.author_id, stored.body) == (
        article.id,
        other_user.id,
        "Nice!",
    )
    assert comments.list_comments(slug="dragons", viewer_id=None) == [view]


def test_list_comments_is_newest_first_with_the_id_breaking_ties(app, article, user):
    made = [
        CommentFactory(article=article, author=user, body=body, created_at=at, updated_at=at)
        for body, at in [
            ("old", T0),
            ("tie-1", T0 + timedelta(seconds=1)),
            ("tie-2", T0 + timedelta(seconds=1)),
            ("new", T0 + timedelta(seconds=2)),
        ]
    ]

    listed = comments.list_comments(slug="dragons", viewer_id=None)

    assert [c.body for c in listed] == ["new", "tie-2", "tie-1", "old"]
    assert [c.id for c in listed] == [made[3].id, made[2].id, made[1].id, made[0].id]
    assert listed[0].created_at == T0 + timedelta(seconds=2)


def test_comments_added_in_turn_are_listed_newest_first(app, article, user, other_user):
    for number in range(5):
        comments.add_comment(
            actor=user if number % 2 else other_user, slug="dragons", body=str(number)
        )

    listed = comments.list_comments(slug="dragons", viewer_id=None)

    assert [c.body for c in listed] == ["4", "3", "2", "1", "0"]


def test_list_comments_shows_only_the_articles_comments(app, article, user):
    CommentFactory(article=article, author=user, body="here")
    CommentFactory(author=user, body="elsewhere")

    assert [c.body for c in comments.list_comments(slug="dragons", viewer_id=None)] == ["here"]


def test_list_comments_shows_whether_the_viewer_follows_each_author(app, article, user, other_user):
    CommentFactory(article=article, author=other_user, body="by celeb", created_at=T0)
    CommentFactory(
        article=article, author=user, body="by jake", created_at=T0 + timedelta(seconds=1)
    )
    profiles.follow_user(actor=user, username="celeb")

    as_jake = comments.list_comments(slug="dragons", viewer_id=user.id)
    anonymous = comments.list_comments(slug="dragons", viewer_id=None)

    assert [(c.body, c.author.following) for c in as_jake] == [
        ("by jake", False),
        ("by celeb", True),
    ]
    assert {c.author.following for c in anonymous} == {False}


def test_list_comments_of_an_article_without_comments_is_empty(app, article):
    assert comments.list_comments(slug="dragons", viewer_id=None) == []


# A page of comments (the web's article page) ----------------------------------------


def _bodies(page: CommentPage) -> list[str]:
    return [comment.body for comment in page.comments]


def test_a_page_of_comments_is_newest_first_with_the_article_total(app, article, user):
    insert_comments(article=article, author=user, count=7)

    first = comments.list_comment_page(slug="dragons", viewer_id=None, page=1, per_page=3)
    second = comments.list_comment_page(slug="dragons", viewer_id=None, page=2, per_page=3)
    last = comments.list_comment_page(slug="dragons", viewer_id=None, page=3, per_page=3)

    assert [_bodies(page) for page in (first, second, last)] == [
        ["Comment 6", "Comment 5", "Comment 4"],
        ["Comment 3", "Comment 2", "Comment 1"],
        ["Comment 0"],
    ]
    assert [(page.page, page.total) for page in (first, second, last)] == [(1, 7), (2, 7), (3, 7)]
    assert [c for page in (first, second, last) for c in page.comments] == (
        comments.list_comments(slug="dragons", viewer_id=None)
    )


@pytest.mark.parametrize("page", [4, 5, 10**9])
def test_a_page_past_the_last_is_the_last_page(app, article, user, page):
    insert_comments(article=article, author=user, count=7)

    shown = comments.list_comment_page(slug="dragons", viewer_id=None, page=page, per_page=3)

    assert (shown.page, shown.total, _bodies(shown)) == (3, 7, ["Comment 0"])


@pytest.mark.parametrize("page", [0, -1])
def test_a_page_before_the_first_is_the_first_page(app, article, user, page):
    insert_comments(article=article, author=user, count=7)

    shown = comments.list_comment_page(slug="dragons", viewer_id=None, page=page, per_page=3)

    assert (shown.page, _bodies(shown)) == (1, ["Comment 6", "Comment 5", "Comment 4"])


@pytest.mark.parametrize("page", [1, 2])
def test_an_article_without_comments_has_one_empty_page(app, article, page):
    shown = comments.list_comment_page(slug="dragons", viewer_id=None, page=page, per_page=3)

    assert shown == CommentPage(comments=[], page=1, total=0)


def test_a_page_counts_only_the_articles_comments_and_shows_following(
    app, article, user, other_user
):
    CommentFactory(article=article, author=other_user, body="by celeb", created_at=T0)
    CommentFactory(author=user, body="elsewhere")
    profiles.follow_user(actor=user, username="celeb")

    shown = comments.list_comment_page(slug="dragons", viewer_id=user.id, page=1, per_page=3)

    assert shown.total == 1
    assert [(c.body, c.author.following) for c in shown.comments] == [("by celeb", True)]


@pytest.mark.parametrize(
    "call",
    [
        lambda user: comments.list_comments(slug="missing", viewer_id=None),
        lambda user: comments.list_comment_page(
            slug="missing", viewer_id=None, page=1, per_page=20
        ),
        lambda user: comments.add_comment(actor=user, slug="missing", body="Hi"),
        lambda user: comments.delete_comment(actor=user, slug="missing", comment_id=1),
    ],
    ids=["list", "page", "add", "delete"],
)
def test_comments_on_an_unknown_article_raise_not_found(app, article, user, call):
    with pytest.raises(NotFound) as caught:
        call(user)

    assert caught.value.errors == {"article": ["not found"]}


def test_delete_comment_removes_only_that_comment(app, article, user):
    doomed = CommentFactory(article=article, author=user, body="doomed")
    kept = CommentFactory(article=article, author=user, body="kept")

    comments.delete_comment(actor=user, slug="dragons", comment_id=doomed.id)

    assert [c.id for c in comments.list_comments(slug="dragons", viewer_id=None)] == [kept.id]


def _stored_and_counted(article: Article) -> tuple[int, int]:
    """The article's stored number of comments, and its comments rows counted."""
    db.session.expire_all()
    stored = db.session.scalar(select(Article.comments_count).where(Article.id == article.id))
    counted = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.article_id == article.id)
    )
    return stored, counted


def test_comments_added_and_deleted_are_counted_in_the_articles_row(app, article, user, other_user):
    other_article = ArticleFactory(author=user)
    first = comments.add_comment(actor=other_user, slug="dragons", body="One")
    comments.add_comment(actor=user, slug="dragons", body="Two")
    comments.add_comment(actor=user, slug=other_article.slug, body="Elsewhere")
    assert _stored_and_counted(article) == (2, 2)

    comments.delete_comment(actor=other_user, slug="dragons", comment_id=first.id)

    assert _stored_and_counted(article) == (1, 1)
    assert _stored_and_counted(other_article) == (1, 1)
    page = comments.list_comment_page(slug="dragons", viewer_id=None, page=1, per_page=20)
    assert (page.total, [c.body for c in page.comments]) == (1, ["Two"])


def test_a_refused_deletion_leaves_the_count_alone(app, article, user, other_user):
    comment = CommentFactory(article=article, author=other_user)

    with pytest.raises(Forbidden):
        comments.delete_comment(actor=user, slug="dragons", comment_id=comment.id)
    with pytest.raises(NotFound):
        comments.delete_comment(actor=other_user, slug="dragons", comment_id=comment.id + 1)

    assert _stored_and_counted(article) == (1, 1)


def test_delete_comment_by_another_user_is_forbidden(app, article, user, other_user):
    # The article's author is not the comment's author either.
    comment = CommentFactory(article=article, author=other_user)

    with pytest.raises(Forbidden) as caught:
        comments.delete_comment(actor=user, slug="dragons", comment_id=comment.id)

    assert caught.value.errors == {"comment": ["only the author may delete this comment"]}
    assert _comment_count() == 1


def test_delete_comment_through_another_article_is_not_found(app, article, user):
    elsewhere = CommentFactory(author=user)

    with pytest.raises(NotFound) as caught:
        comments.delete_comment(actor=user, slug="dragons", comment_id=elsewhere.id)

    assert caught.value.errors == {"comment": ["not found"]}
    assert _comment_count() == 1


@pytest.mark.parametrize(
    "comment_id", [0, -1, -(2**63), 999_999, MAX_ID, MAX_ID + 1, 2**63 - 1, 2**63, 10**30]
)
def test_delete_comment_with_an_unknown_or_impossible_id_is_not_found(
    app, article, user, comment_id
):
    CommentFactory(article=article, author=user)

    with pytest.raises(NotFound) as caught:
        comments.delete_comment(actor=user, slug="dragons", comment_id=comment_id)

    assert caught.value.errors == {"comment": ["not found"]}
    assert _comment_count() == 1


def test_a_deleted_comment_cannot_be_deleted_again(app, article, user):
    comment = CommentFactory(article=article, author=user)
    comments.delete_comment(actor=user, slug="dragons", comment_id=comment.id)

    with pytest.raises(NotFound):
        comments.delete_comment(actor=user, slug="dragons", comment_id=comment.id)
