"""A viewer's marks: the articles they favorited and the users they follow."""

from __future__ import annotations

from app.services import articles, marks, profiles
from app.services.marks import ViewerMarks
from tests.factories import ArticleFactory, UserFactory


def test_a_viewers_marks_are_their_favorites_and_follows_only(app, user, other_user):
    liked, unliked = ArticleFactory(author=other_user), ArticleFactory(author=other_user)
    articles.favorite_article(actor=user, slug=liked.slug)
    profiles.follow_user(actor=user, username=other_user.username)
    # Someone else's marks are not the viewer's.
    stranger = UserFactory()
    articles.favorite_article(actor=stranger, slug=unliked.slug)
    profiles.follow_user(actor=stranger, username=user.username)

    assert marks.load_marks(user.id) == ViewerMarks(
        favorited=frozenset({liked.id}), followed=frozenset({other_user.id}), complete=True
    )


def test_a_viewer_without_marks_has_empty_complete_marks(app, user):
    assert marks.load_marks(user.id) == ViewerMarks(frozenset(), frozenset(), complete=True)


def test_marks_beyond_the_cap_are_not_kept(app, user, other_user, monkeypatch):
    monkeypatch.setattr(marks, "MAX_CACHED_MARKS", 2)
    for article in (ArticleFactory(author=other_user), ArticleFactory(author=other_user)):
        articles.favorite_article(actor=user, slug=article.slug)
    assert marks.load_marks(user.id).complete is True

    profiles.follow_user(actor=user, username=other_user.username)

    assert marks.load_marks(user.id) == ViewerMarks(frozenset(), frozenset(), complete=False)
