"""Leaving: deleting an account keeps everyone else's numbers exact; the export holds
every part of the account and reads it in a fixed number of statements."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.exceptions import Invalid
from app.extensions import db
from app.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User, UserSession
from app.schemas.accounts import AccountExport
from app.services import (
    accounts,
    articles,
    comments,
    credentials,
    favorites,
    profiles,
    sessions,
    tags,
    users,
)
from tests.factories import PASSWORD, UserFactory


def _count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _favorites_count(slug: str) -> int:
    db.session.expire_all()
    return articles.get_article(slug=slug, viewer_id=None).favorites_count


@pytest.fixture
def town(app, user, other_user):
    """jake (who leaves) and celeb and fan (who stay), with everything between them."""
    fan = UserFactory(username="fan", email="fan@example.com")
    celebs = articles.create_article(
        actor=other_user, title="Celeb's", description="d", body="b", tag_list=["shared"]
    ).slug
    fans = articles.create_article(actor=fan, title="Fan's", description="d", body="b").slug
    jakes = articles.create_article(
        actor=user, title="Jake's", description="d", body="# Jake", tag_list=["jakeonly", "shared"]
    ).slug
    for actor, slug in ((user, celebs), (fan, celebs), (user, fans), (other_user, jakes)):
        favorites.favorite_article(actor=actor, slug=slug)
    favorites.favorite_article(actor=user, slug=jakes)
    comments.add_comment(actor=user, slug=celebs, body="jake on celeb's")
    comments.add_comment(actor=fan, slug=celebs, body="fan on celeb's")
    comments.add_comment(actor=other_user, slug=jakes, body="celeb on jake's")
    profiles.follow_user(actor=user, username="celeb")
    profiles.follow_user(actor=other_user, username="jake")
    profiles.follow_user(actor=fan, username="jake")
    profiles.follow_user(actor=fan, username="celeb")
    return {"celebs": celebs, "fans": fans, "jakes": jakes, "fan": fan}


def test_deleting_an_account_keeps_the_other_users_counts_exact(town, user, other_user):
    assert _favorites_count(town["celebs"]) == 2
    assert _favorites_count(town["fans"]) == 1
    comments.add_comment(actor=user, slug=town["celebs"], body="jake again")
    comments.add_comment(actor=user, slug=town["fans"], body="jake on fan's")
    user_id = user.id

    accounts.delete_account(user=user, password=PASSWORD)

    assert _favorites_count(town["celebs"]) == 1
    assert _favorites_count(town["fans"]) == 0
    stored = {a.slug: a.favorites_count for a in db.session.scalars(select(Article))}
    counted = {
        a.slug: _count(Favorite, Favorite.article_id == a.id)
        for a in db.session.scalars(select(Article))
    }
    assert stored == counted == {town["celebs"]: 1, town["fans"]: 0}
    stored_comments = {a.slug: a.comments_count for a in db.session.scalars(select(Article))}
    counted_comments = {
        a.slug: _count(Comment, Comment.article_id == a.id)
        for a in db.session.scalars(select(Article))
    }
    assert stored_comments == counted_comments == {town["celebs"]: 1, town["fans"]: 0}
    assert [c.body for c in comments.list_comments(slug=town["celebs"], viewer_id=None)] == [
        "fan on celeb's"
    ]
    assert _count(Comment) == 1
    assert _count(Follow) == 1  # fan follows celeb
    assert profiles.get_profile(username="celeb", viewer_id=town["fan"].id).following
    assert _count(User, User.id == user_id) == 0
    for model, column in (
        (Favorite, Favorite.user_id),
        (Comment, Comment.author_id),
        (Article, Article.author_id),
        (UserSession, UserSession.user_id),
    ):
        assert _count(model, column == user_id) == 0, model


def test_deleting_an_account_takes_its_articles_tags_off_the_tag_list(town, user):
    assert tags.list_tags() == ["shared", "jakeonly"]  # now cached

    accounts.delete_account(user=user, password=PASSWORD)

    assert tags.list_tags() == ["shared"]
    assert _count(ArticleTag) == 1


def test_a_wrong_password_deletes_nothing(town, user):
    before = {model: _count(model) for model in (User, Article, Comment, Favorite, Follow, Tag)}

    with pytest.raises(Invalid) as refused:
        accounts.delete_account(user=user, password="not the password")

    assert refused.value.errors == {"password": ["is invalid"]}
    db.session.rollback()
    assert {model: _count(model) for model in before} == before
    assert _favorites_count(town["celebs"]) == 2


def test_deletion_ends_the_sessions_and_the_cached_credentials(app, user):
    sessions.start_session(user=user, lifetime=timedelta(hours=1))
    user_id = user.id
    assert credentials.current_generation(user_id=user_id) == 0  # now cached

    accounts.delete_account(user=user, password=PASSWORD)

    assert credentials.current_generation(user_id=user_id) is None
    assert _count(UserSession) == 0


def test_the_name_and_address_are_free_again_after_deletion(app, user):
    accounts.delete_account(user=user, password=PASSWORD)

    again = users.register_user(username="Jake", email="JAKE@example.com", password=PASSWORD)

    assert users.authenticate(email="jake@example.com", password=PASSWORD).id == again.id


def test_other_users_are_untouched_by_a_deletion(town, user, other_user):
    accounts.delete_account(user=user, password=PASSWORD)

    assert users.authenticate(email=other_user.email, password=PASSWORD).username == "celeb"
    assert {a.slug for a in db.session.scalars(select(Article))} == {town["celebs"], town["fans"]}


# The export ------------------------------------------------------------------


def _export(user: User) -> dict:
    text = "".join(accounts.export_account(user=user))
    AccountExport.model_validate_json(text)  # exactly what the OpenAPI document says
    document: dict = json.loads(text)
    return document


def test_the_export_holds_every_part_of_the_account(town, user):
    user.bio = "I work at statefarm"
    user.notify_by_email = True
    db.session.commit()

    document = _export(user)

    assert document["format"] == "conduit-account-export"
    assert document["version"] == 1
    assert document["profile"] == {
        "username": "jake",
        "email": "jake@example.com",
        "bio": "I work at statefarm",
        "image": None,
        "notifyByEmail": True,
        "createdAt": document["profile"]["createdAt"],
    }
    [article] = document["articles"]
    assert article["slug"] == town["jakes"]
    assert article["body"] == "# Jake"
    assert article["tagList"] == ["jakeonly", "shared"]
    assert article["favoritesCount"] == 2
    [comment] = document["comments"]
    assert comment["body"] == "jake on celeb's"
    assert comment["article"] == {"slug": town["celebs"], "title": "Celeb's"}
    assert [(f["slug"], f["author"]) for f in document["favorites"]] == [
        (town["celebs"], "celeb"),
        (town["fans"], "fan"),
        (town["jakes"], "jake"),
    ]
    assert [f["username"] for f in document["following"]] == ["celeb"]
    assert [f["username"] for f in document["followers"]] == ["celeb", "fan"]


def test_the_export_holds_nobody_elses_data(town, other_user):
    document = _export(other_user)

    assert document["profile"]["username"] == "celeb"
    assert [a["slug"] for a in document["articles"]] == [town["celebs"]]
    assert [c["body"] for c in document["comments"]] == ["celeb on jake's"]
    assert [f["slug"] for f in document["favorites"]] == [town["jakes"]]
    assert "jake@example.com" not in json.dumps(document)


def test_an_empty_account_exports_empty_lists(app, user):
    document = _export(user)

    for part in ("articles", "comments", "favorites", "following", "followers"):
        assert document[part] == [], part


def test_the_export_reads_nothing_until_it_is_sent(app, user, statements):
    pieces = accounts.export_account(user=user)
    assert statements.count == 0

    "".join(pieces)
    assert statements.count == 5


def _exported_with(user: User, statements, count: int) -> int:
    existing = _count(Article, Article.author_id == user.id)
    for number in range(existing, count):
        slug = articles.create_article(
            actor=user, title=f"T{number}", description="d", body="b", tag_list=[f"t{number}"]
        ).slug
        favorites.favorite_article(actor=user, slug=slug)
        comments.add_comment(actor=user, slug=slug, body="c")
    db.session.expire_all()
    db.session.refresh(user)  # the signed-in account is loaded before any view runs
    statements.reset()
    document = _export(user)
    assert len(document["articles"]) == count
    return statements.count


def test_the_export_costs_the_same_statements_for_any_number_of_articles(app, user, statements):
    few = _exported_with(user, statements, 2)
    many = _exported_with(user, statements, 25)

    assert few == many == 5


def test_the_export_costs_one_statement_per_batch(app, user, statements, monkeypatch):
    monkeypatch.setattr(accounts, "EXPORT_BATCH", 3)

    # 25 articles, comments and favorites: nine batches of each (the last one short);
    # no follows: one statement each way.
    assert _exported_with(user, statements, 25) == 3 * 9 + 2
    # A last batch that comes out full costs one more to find nothing after it.
    assert _exported_with(user, statements, 27) == 3 * 10 + 2


def test_rows_written_at_the_same_instant_are_each_exported_once(app, user, monkeypatch):
    monkeypatch.setattr(accounts, "EXPORT_BATCH", 3)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    fans = [UserFactory(username=f"fan{number}") for number in range(7)]
    db.session.add_all(
        Follow(follower_id=fan.id, followed_id=user.id, created_at=at) for fan in fans
    )
    db.session.commit()

    document = _export(user)

    assert [f["username"] for f in document["followers"]] == [fan.username for fan in fans]
