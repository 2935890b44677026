"""An account deleted while others write about the same articles: counts stay exact,
and nothing deadlocks (see tests/interleaving.py and tests/services/test_races.py)."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest
from sqlalchemy import delete, event, func, insert, select, update

from app.extensions import db
from app.models import Article, Comment, Favorite, User
from app.services import accounts, articles, comments
from tests.conftest import POSTGRES_URL
from tests.factories import PASSWORD, UserFactory
from tests.interleaving import committed_before_next_write, wait_until_blocked


def _stored_and_counted() -> dict[str, tuple[int, int]]:
    db.session.expire_all()
    return {
        article.slug: (
            article.favorites_count,
            db.session.scalar(
                select(func.count()).select_from(Favorite).where(Favorite.article_id == article.id)
            )
            or 0,
        )
        for article in db.session.scalars(select(Article))
    }


@pytest.fixture
def favorited(app, user, other_user) -> Article:
    """celeb's article, favorited by jake (who leaves)."""
    slug = articles.create_article(
        actor=other_user, title="Celeb's", description="d", body="b"
    ).slug
    articles.favorite_article(actor=user, slug=slug)
    return articles.load_article(slug)


def test_a_favorite_committed_during_the_deletion_still_counts(app, user, favorited):
    fan = UserFactory(username="fan")
    # As favorite_article writes it: the count first, then the row.
    favorite = (
        update(Article)
        .where(Article.id == favorited.id)
        .values(favorites_count=Article.favorites_count + 1),
        insert(Favorite).values(
            user_id=fan.id, article_id=favorited.id, article_created_at=favorited.created_at
        ),
    )

    with committed_before_next_write(*favorite) as race:
        accounts.delete_account(user=user, password=PASSWORD)

    assert race.fired
    assert _stored_and_counted() == {favorited.slug: (1, 1)}


def test_the_favorited_article_deleted_during_the_deletion_is_no_error(app, user, favorited):
    deletion = delete(Article).where(Article.id == favorited.id)

    with committed_before_next_write(deletion) as race:
        accounts.delete_account(user=user, password=PASSWORD)

    assert race.fired
    assert _stored_and_counted() == {}
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


if POSTGRES_URL and POSTGRES_URL.startswith("postgres"):

    @pytest.mark.postgres
    def test_an_account_and_an_article_it_favorited_deleted_at_once_do_not_deadlock(
        app, user, favorited
    ):
        # The article's deletion starts once the account's deletion has lowered the
        # article's count, just before it deletes the account's favorites. Had the
        # account's deletion taken the favorites first, each would hold what the
        # other waits for.
        pids: queue.Queue[int] = queue.Queue()
        outcome: list[BaseException | None] = []
        engine = db.engine  # the thread has no app context
        article_id = favorited.id

        def delete_article_concurrently() -> None:
            try:
                with engine.connect() as other:
                    pids.put(other.scalar(select(func.pg_backend_pid())))
                    other.execute(delete(Article).where(Article.id == article_id))
                    other.commit()
                outcome.append(None)
            except BaseException as error:  # reported by the test below
                outcome.append(error)

        deleter = threading.Thread(target=delete_article_concurrently)

        def before_favorites_delete(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            if deleter.is_alive() or outcome or not sql.startswith("DELETE FROM favorites"):
                return
            deleter.start()
            wait_until_blocked(pids.get(timeout=10))

        event.listen(db.engine, "before_cursor_execute", before_favorites_delete)
        try:
            accounts.delete_account(user=user, password=PASSWORD)
        finally:
            event.remove(db.engine, "before_cursor_execute", before_favorites_delete)
            deleter.join(timeout=30)

        assert outcome == [None]
        assert _stored_and_counted() == {}
        assert db.session.scalar(select(func.count()).select_from(User)) == 1

    @pytest.mark.postgres
    def test_an_account_and_an_article_it_commented_on_deleted_at_once_do_not_deadlock(
        app, user, other_user
    ):
        # The article's deletion starts once the account's deletion has deleted its
        # comments, just before it counts them off the article. Had it not locked
        # the article's row before the comments, each would hold what the other waits
        # for (the article's deletion takes its row, then its comments by cascade).
        slug = articles.create_article(
            actor=other_user, title="Celeb's", description="d", body="b"
        ).slug
        comments.add_comment(actor=user, slug=slug, body="jake on celeb's")
        comments.add_comment(actor=other_user, slug=slug, body="celeb on celeb's")
        pids: queue.Queue[int] = queue.Queue()
        outcome: list[BaseException | None] = []
        engine = db.engine  # the thread has no app context
        article_id = articles.load_article(slug).id

        def delete_article_concurrently() -> None:
            try:
                with engine.connect() as other:
                    pids.put(other.scalar(select(func.pg_backend_pid())))
                    other.execute(delete(Article).where(Article.id == article_id))
                    other.commit()
                outcome.append(None)
            except BaseException as error:  # reported by the test below
                outcome.append(error)

        deleter = threading.Thread(target=delete_article_concurrently)

        def before_comments_count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            counting = sql.startswith("UPDATE articles SET comments_count")
            if deleter.is_alive() or outcome or not counting:
                return
            deleter.start()
            wait_until_blocked(pids.get(timeout=10))

        event.listen(db.engine, "before_cursor_execute", before_comments_count)
        try:
            accounts.delete_account(user=user, password=PASSWORD)
        finally:
            event.remove(db.engine, "before_cursor_execute", before_comments_count)
            deleter.join(timeout=30)

        assert outcome == [None]
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_account_deleted_by_a_concurrent_request_first_is_left_as_it_is(app, user, favorited):
    # Another request (another tab) deleted it after this one loaded the account.
    accounts.delete_account(user=db.session.get(User, user.id), password=PASSWORD)
    stale = UserFactory.build(id=user.id, password_hash=user.password_hash)

    accounts.delete_account(user=stale, password=PASSWORD)

    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert _stored_and_counted() == {favorited.slug: (0, 0)}
