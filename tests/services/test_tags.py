"""Tags: the ones in use, most used first."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Tag
from app.services import articles, tags


def _publish(author, title: str, tag_list: list[str]) -> None:
    articles.create_article(actor=author, title=title, description="d", body="b", tag_list=tag_list)


def test_no_articles_means_no_tags(app):
    assert tags.list_tags() == []


@pytest.mark.parametrize(
    ("tag_lists", "expected"),
    [
        ([["solo"]], ["solo"]),
        ([["b", "a", "c"]], ["a", "b", "c"]),
        ([["x", "y"], ["y"], ["y", "z"], ["z"]], ["y", "z", "x"]),
        (
            [["beta"], ["alpha"], ["gamma", "beta"], ["alpha", "delta"]],
            ["alpha", "beta", "delta", "gamma"],
        ),
        ([["rare", "common"], ["common", "mid"], ["common", "mid"]], ["common", "mid", "rare"]),
    ],
)
def test_tags_are_listed_most_used_first_ties_alphabetical(app, user, tag_lists, expected):
    for number, tag_list in enumerate(tag_lists):
        _publish(user, f"Article {number}", tag_list)

    assert tags.list_tags() == expected


def test_unused_tags_are_not_listed(app, user):
    db.session.add(Tag(name="orphan"))
    db.session.commit()
    _publish(user, "Tagged", ["used", "dropped"])
    _publish(user, "Deleted", ["gone"])

    articles.update_article(actor=user, slug="tagged", tag_list=["used"])
    articles.delete_article(actor=user, slug="deleted")

    assert tags.list_tags() == ["used"]
    assert sorted(db.session.scalars(db.select(Tag.name))) == ["dropped", "gone", "orphan", "used"]
