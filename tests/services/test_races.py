"""Writes that lose a race with the deletion of their article: NotFound, and nothing written.

Each test lets the service load the article, then commits the article's deletion
(as a concurrent request would) just before the service's first write; see
tests/interleaving.py.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select

from app import counts
from app.exceptions import NotFound
from app.extensions import db
from app.models import Article, ArticleTag, Comment, Counter, Favorite, Tag, User
from app.services import articles, comments, favorites
from tests.conftest import POSTGRES_URL
from tests.factories import ArticleFactory, CommentFactory
from tests.interleaving import committed_before_next_write, wait_until_blocked, waiting_write


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def article(app, user) -> Article:
    return articles.load_article(
        articles.create_article(
            actor=user, title="Dragons", description="d", body="b", tag_list=["fire"]
        ).slug
    )


def _deletion(article: Article) -> Any:
    return delete(Article).where(Article.id == article.id)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Renamed"},
        {"body": "Changed"},
        {"description": "Changed", "tag_list": ["ice"]},
        {"tag_list": []},
    ],
    ids=["title", "body", "description-and-tags", "tags-only"],
)
def test_update_article_racing_its_deletion_is_not_found(app, user, article, changes):
    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        articles.update_article(actor=user, slug="dragons", **changes)

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert (_count(Article), _count(ArticleTag)) == (0, 0)


if not (POSTGRES_URL and POSTGRES_URL.startswith("postgres")):
    # SQLite locks no row as the service loads the article: another deletion can
    # commit between the load and the first write. (On PostgreSQL it waits for the
    # service instead: test_a_deletion_begun_during_the_articles_deletion_waits_for_it.)

    def test_delete_article_racing_its_deletion_is_not_found(app, user, article):
        with (
            committed_before_next_write(_deletion(article)) as race,
            pytest.raises(NotFound) as caught,
        ):
            articles.delete_article(actor=user, slug="dragons")

        assert race.fired
        assert caught.value.errors == {"article": ["not found"]}
        assert _count(Article) == 0


@pytest.mark.parametrize("service", [favorites.favorite_article, favorites.unfavorite_article])
def test_favorites_racing_the_articles_deletion_are_not_found(
    app, article, other_user: User, service
):
    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        service(actor=other_user, slug="dragons")

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert _count(Favorite) == 0


def test_add_comment_racing_the_articles_deletion_is_not_found(app, article, other_user):
    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        comments.add_comment(actor=other_user, slug="dragons", body="First!")

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert _count(Comment) == 0


def test_delete_comment_racing_the_articles_deletion_is_not_found(app, article, other_user):
    comment = CommentFactory(article=article, author=other_user)

    with committed_before_next_write(_deletion(article)) as race, pytest.raises(NotFound) as caught:
        comments.delete_comment(actor=other_user, slug="dragons", comment_id=comment.id)

    assert race.fired
    assert caught.value.errors == {"article": ["not found"]}
    assert _count(Comment) == 0


def test_delete_comment_racing_its_own_deletion_is_not_found(app, article, other_user):
    # Deleted twice at once (two tabs): the article stays, the comment is what is gone.
    comment = CommentFactory(article=article, author=other_user)
    kept = CommentFactory(article=article, author=other_user)
    deletion = delete(Comment).where(Comment.id == comment.id)

    with committed_before_next_write(deletion) as race, pytest.raises(NotFound) as caught:
        comments.delete_comment(actor=other_user, slug="dragons", comment_id=comment.id)

    assert race.fired
    assert caught.value.errors == {"comment": ["not found"]}
    assert db.session.scalars(select(Comment.id)).all() == [kept.id]
    # The service counted off nothing: what the racing deletion left (it counts
    # nothing itself) is the number of comments the factory made.
    db.session.expire_all()
    assert db.session.get(Article, article.id).comments_count == 2


def test_a_write_whose_article_outlives_the_race_still_succeeds(app, user, article, other_user):
    # Another article deleted at the same moment changes nothing for this one.
    other = ArticleFactory(author=user, slug="other", title="Other")

    with committed_before_next_write(_deletion(other)) as race:
        view = favorites.favorite_article(actor=other_user, slug="dragons")

    assert race.fired
    assert (view.favorited, view.favorites_count) == (True, 1)
    assert _count(Article) == 1


if POSTGRES_URL and POSTGRES_URL.startswith("postgres"):
    # Two writers at once, each in a transaction of its own, exist only on PostgreSQL
    # here (the suite's SQLite database is one in-memory connection).

    @pytest.mark.postgres
    def test_an_update_of_tags_and_a_deletion_at_once_do_not_deadlock(app, user, article):
        # The deletion starts just before the update inserts the article's new tags, as
        # it did under load: it must wait for the update (or the update for it), and
        # neither may be chosen as a deadlock's victim.
        updated = []

        def update() -> None:
            try:
                updated.append(
                    articles.update_article(actor=user, slug="dragons", tag_list=["ice"])
                )
            except NotFound:
                updated.append(None)  # the deletion committed before the update read its result

        outcome = waiting_write(
            (_deletion(article),), before="INSERT INTO article_tags", action=update
        )
        (view,) = updated

        assert outcome == [None]
        assert view is None or view.tag_list == ("ice",)
        assert (_count(Article), _count(ArticleTag)) == (0, 0)

    @pytest.mark.postgres
    def test_a_comment_and_its_article_deleted_at_once_do_not_deadlock(app, article, other_user):
        # The article's deletion starts once the comment's deletion has counted the
        # comment off the article, just before it deletes the comment. Had it deleted
        # the comment first, each would hold what the other waits for (the article's
        # deletion takes its row, then its comments by cascade).
        comment = CommentFactory(article=article, author=other_user)

        outcome = waiting_write(
            (_deletion(article),),
            before="DELETE FROM comments",
            action=lambda: comments.delete_comment(
                actor=other_user, slug="dragons", comment_id=comment.id
            ),
        )

        assert outcome == [None]
        assert (_count(Article), _count(Comment)) == (0, 0)

    @pytest.mark.postgres
    def test_a_deletion_begun_during_the_articles_deletion_waits_for_it(app, user, article):
        # The service locks the article's row as it loads it, so that its tags cannot
        # change before it counts them: another deletion begun before the service's
        # first write waits for its commit, then finds nothing, and every count goes
        # down once.
        pids: queue.Queue[int] = queue.Queue()
        outcome: list[BaseException | int] = []
        engine = db.engine  # the thread has no app context

        def delete_concurrently() -> None:
            try:
                with engine.connect() as other:
                    pids.put(other.scalar(select(func.pg_backend_pid())))
                    outcome.append(other.execute(_deletion(article)).rowcount)
                    other.commit()
            except BaseException as error:  # reported by the test below
                outcome.append(error)

        deleter = threading.Thread(target=delete_concurrently)

        def before_first_write(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            if deleter.is_alive() or outcome or not sql.startswith("DELETE FROM article_tags"):
                return
            deleter.start()
            wait_until_blocked(pids.get(timeout=10))

        event.listen(db.engine, "before_cursor_execute", before_first_write)
        try:
            articles.delete_article(actor=user, slug="dragons")
        finally:
            event.remove(db.engine, "before_cursor_execute", before_first_write)
            deleter.join(timeout=30)

        assert outcome == [0]
        assert (_count(Article), _count(ArticleTag)) == (0, 0)
        db.session.expire_all()
        kept = (
            db.session.scalar(select(Counter.value).where(Counter.name == counts.ARTICLES)),
            db.session.scalar(select(Tag.articles_count).where(Tag.name == "fire")),
        )
        assert kept == (0, 0)
