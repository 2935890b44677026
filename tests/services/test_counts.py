"""The counts kept in rows (app/counts.py) follow every write that changes them, and
the lists read them instead of counting rows."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app import counts
from app.extensions import db
from app.models import Article, ArticleTag, Counter, Tag, User
from app.services import accounts, articles, profiles, tags
from tests.conftest import auth_headers
from tests.factories import PASSWORD, UserFactory


def _kept_and_counted() -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    """Each tag's (kept, counted) number of articles, and the same for all articles."""
    db.session.expire_all()
    uses = (
        select(func.count())
        .select_from(ArticleTag)
        .where(ArticleTag.tag_id == Tag.id)
        .scalar_subquery()
    )
    by_tag = {
        name: (kept, counted)
        for name, kept, counted in db.session.execute(select(Tag.name, Tag.articles_count, uses))
    }
    kept = db.session.scalar(select(Counter.value).where(Counter.name == counts.ARTICLES))
    counted = db.session.scalar(select(func.count()).select_from(Article))
    return by_tag, (kept or 0, counted or 0)


def _written() -> dict[str, tuple[int, int]]:
    """Each author's (kept, counted) number of articles."""
    db.session.expire_all()
    counted = (
        select(func.count())
        .select_from(Article)
        .where(Article.author_id == User.id)
        .scalar_subquery()
    )
    return {
        name: (kept, real)
        for name, kept, real in db.session.execute(
            select(User.username, User.articles_count, counted)
        )
    }


def _publish(actor, title: str, tag_list: list[str]) -> str:
    return articles.create_article(
        actor=actor, title=title, description="d", body="b", tag_list=tag_list
    ).slug


def test_writing_retagging_and_deleting_articles_keep_the_counts(app, user, other_user):
    first = _publish(user, "First", ["dragons", "ice"])
    _publish(other_user, "Second", ["dragons"])
    third = _publish(other_user, "Third", ["fire", "ice"])
    assert _kept_and_counted() == (
        {"dragons": (2, 2), "ice": (2, 2), "fire": (1, 1)},
        (3, 3),
    )

    articles.update_article(actor=user, slug=first, tag_list=["fire", "ice", "scales"])
    articles.delete_article(actor=other_user, slug=third)

    assert _kept_and_counted() == (
        {"dragons": (1, 1), "ice": (1, 1), "fire": (1, 1), "scales": (1, 1)},
        (2, 2),
    )
    assert _written() == {"jake": (1, 1), "celeb": (1, 1)}


def test_deleting_an_account_takes_its_articles_out_of_the_counts(app, user, other_user):
    fan = UserFactory(username="fan")
    _publish(user, "Jake's", ["dragons"])
    for number in range(3):
        _publish(fan, f"Fan's {number}", ["dragons", "fans"])

    accounts.delete_account(user=fan, password=PASSWORD)

    assert _kept_and_counted() == ({"dragons": (1, 1), "fans": (0, 0)}, (1, 1))
    assert _written() == {"jake": (1, 1), "celeb": (0, 0)}
    assert tags.list_tags() == ["dragons"]


def test_lists_and_the_tag_list_read_the_kept_counts(app, client, user):
    _publish(user, "One", ["dragons", "ice"])
    _publish(user, "Two", ["ice"])
    # Counts that differ from the rows show which numbers the reads take.
    db.session.execute(update(Tag).where(Tag.name == "dragons").values(articles_count=7))
    db.session.execute(update(Counter).values(value=9))
    db.session.execute(update(User).where(User.id == user.id).values(articles_count=5))
    db.session.commit()
    tags.forget_tags()
    fan = UserFactory(username="fan")
    profiles.follow_user(actor=fan, username="jake")

    assert client.get("/api/articles").json["articlesCount"] == 9
    assert client.get("/api/articles?tag=dragons").json["articlesCount"] == 7
    assert client.get("/api/articles?author=jake").json["articlesCount"] == 5
    assert client.get("/api/articles/feed", headers=auth_headers(fan)).json["articlesCount"] == 5
    # Filters together are counted from the rows.
    assert client.get("/api/articles?tag=ice&author=jake").json["articlesCount"] == 2
    assert client.get("/api/tags").json["tags"] == ["dragons", "ice"]
