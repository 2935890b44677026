"""An account deleted while others write about the same articles: counts stay exact,
and nothing deadlocks (see tests/interleaving.py and tests/services/test_races.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.exceptions import NotFound, Unauthorized
from app.extensions import db
from app.models import Article, Comment, Favorite, Follow, Tag, User
from app.services import accounts, articles, comments, favorites, profiles
from tests.conftest import POSTGRES_URL
from tests.factories import PASSWORD, UserFactory
from tests.interleaving import committed_before_next_write, waiting_request, waiting_write


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
    favorites.favorite_article(actor=user, slug=slug)
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

    # Before the deletion's first lock: after it, the favorite waits for the deletion.
    with committed_before_next_write(*favorite, or_lock=True) as race:
        accounts.delete_account(user=user, password=PASSWORD)

    assert race.fired
    assert _stored_and_counted() == {favorited.slug: (1, 1)}


def test_the_favorited_article_deleted_during_the_deletion_is_no_error(app, user, favorited):
    deletion = delete(Article).where(Article.id == favorited.id)

    with committed_before_next_write(deletion, or_lock=True) as race:
        accounts.delete_account(user=user, password=PASSWORD)

    assert race.fired
    assert _stored_and_counted() == {}
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


if POSTGRES_URL and POSTGRES_URL.startswith("postgres"):

    def _delete(user: User) -> None:
        accounts.delete_account(user=user, password=PASSWORD)

    def _deleted_while(statements: tuple[Any, ...], before: str, user: User) -> list[Any]:
        """Delete `user`'s account while `statements` wait (`waiting_write`)."""
        return waiting_write(statements, before=before, action=lambda: _delete(user))

    @pytest.mark.postgres
    def test_an_account_and_an_article_it_favorited_deleted_at_once_do_not_deadlock(
        app, user, favorited
    ):
        # The article's deletion starts once the account's deletion has lowered the
        # article's count, just before it deletes the account's favorites. Had the
        # account's deletion taken the favorites first, each would hold what the
        # other waits for.
        deletion = (delete(Article).where(Article.id == favorited.id),)

        outcome = _deleted_while(deletion, "DELETE FROM favorites", user)

        assert outcome == [None]
        assert _stored_and_counted() == {}
        assert db.session.scalar(select(func.count()).select_from(User)) == 1

    @pytest.fixture
    def commented(app, user, other_user) -> Article:
        """celeb's article, commented on by jake (who leaves) and by celeb."""
        slug = articles.create_article(
            actor=other_user, title="Celeb's", description="d", body="b"
        ).slug
        comments.add_comment(actor=user, slug=slug, body="jake on celeb's")
        comments.add_comment(actor=other_user, slug=slug, body="celeb on celeb's")
        return articles.load_article(slug)

    @pytest.mark.postgres
    def test_an_account_and_an_article_it_commented_on_deleted_at_once_do_not_deadlock(
        app, user, commented
    ):
        # The article's deletion starts once the account's deletion has deleted its
        # comments, just before it counts them off the article. Had it not locked
        # the article's row before the comments, each would hold what the other waits
        # for (the article's deletion takes its row, then its comments by cascade).
        deletion = (delete(Article).where(Article.id == commented.id),)

        outcome = _deleted_while(deletion, "UPDATE articles SET comments_count", user)

        assert outcome == [None]
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
        assert db.session.scalar(select(func.count()).select_from(User)) == 1

    @pytest.mark.postgres
    def test_a_comment_the_account_adds_in_another_tab_while_it_is_deleted_fails_alone(
        app, user, commented
    ):
        # The comment's insert takes a key share of the article, then waits for the
        # account's row, which the deletion holds. The deletion's lock on the article
        # it commented on before must not wait for that key share: each would wait
        # for the other.
        article_id = commented.id
        comment = (insert(Comment).values(body="late", article_id=article_id, author_id=user.id),)

        outcome = _deleted_while(comment, "SELECT articles.id", user)

        assert len(outcome) == 1
        assert isinstance(outcome[0], IntegrityError), outcome  # no account any more
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        # celeb's own comment stays, and is all the article counts.
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
        db.session.expire_all()
        assert db.session.get(Article, article_id).comments_count == 1

    @pytest.mark.postgres
    def test_a_comment_added_through_the_service_meanwhile_is_refused_as_unauthorized(
        app, user, commented
    ):
        # As above, through add_comment: its insert fails on the account that is gone,
        # which is the client's credentials (401), not a conflict with its input.
        user_id, slug = user.id, commented.slug

        def comment() -> None:
            comments.add_comment(actor=db.session.get(User, user_id), slug=slug, body="late")

        outcome = waiting_request(
            app, comment, before="SELECT articles.id", action=lambda: _delete(user)
        )

        assert len(outcome) == 1
        assert isinstance(outcome[0], Unauthorized), outcome
        assert outcome[0].errors == {"account": ["has been deleted"]}
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 1

    @pytest.mark.postgres
    def test_a_favorite_the_account_adds_in_another_tab_while_it_is_deleted_fails_alone(
        app, user, commented
    ):
        # The favorite begins once the deletion holds the account's row, just before
        # it locks the articles it changes. Had the favorite raised the article's
        # count before it waited for the account's row (its foreign key), each would
        # hold what the other waits for.
        user_id, slug = user.id, commented.slug

        def favorite() -> None:
            favorites.favorite_article(actor=db.session.get(User, user_id), slug=slug)

        outcome = waiting_request(
            app, favorite, before="SELECT articles.id", action=lambda: _delete(user)
        )

        assert len(outcome) == 1
        assert isinstance(outcome[0], Unauthorized), outcome  # no account any more
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert _stored_and_counted() == {slug: (0, 0)}

    @pytest.mark.postgres
    def test_two_accounts_that_favorited_each_others_articles_deleted_at_once(
        app, user, other_user
    ):
        # celeb's deletion begins once jake's has locked its own articles, just before
        # it locks celeb's, which it favorited. Had celeb's deletion locked its own
        # article and then waited for jake's, each would hold what the other waits for.
        jakes = articles.create_article(actor=user, title="Jake's", description="d", body="b")
        celebs = articles.create_article(
            actor=other_user, title="Celeb's", description="d", body="b"
        )
        favorites.favorite_article(actor=user, slug=celebs.slug)
        favorites.favorite_article(actor=other_user, slug=jakes.slug)
        celeb_id = other_user.id

        def delete_celeb() -> None:
            _delete(db.session.get(User, celeb_id))

        outcome = waiting_request(
            app,
            delete_celeb,
            before="SELECT articles.id .*FOR NO KEY UPDATE",
            action=lambda: _delete(user),
        )

        assert outcome == [None]
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert _stored_and_counted() == {}

    @pytest.mark.postgres
    def test_an_account_counting_its_tags_and_an_article_it_commented_on_deleted_at_once(
        app, user, other_user
    ):
        # The leaving account has an article with a tag that an article it commented
        # on carries too. That article's deletion (its row, then its tags' counts, as
        # `delete_article` takes them) starts once the account's deletion has locked
        # the tags to count them off. Had it not locked every article it changes
        # before any tag, each would hold what the other waits for.
        slug = articles.create_article(
            actor=other_user, title="Celeb's", description="d", body="b", tag_list=["shared"]
        ).slug
        articles.create_article(
            actor=user, title="Jake's", description="d", body="b", tag_list=["shared"]
        )
        comments.add_comment(actor=user, slug=slug, body="jake on celeb's")
        article_id = articles.load_article(slug).id
        deletion = (
            select(Article.id).where(Article.id == article_id).with_for_update(),
            update(Tag).where(Tag.name == "shared").values(articles_count=Tag.articles_count - 1),
            delete(Article).where(Article.id == article_id),
        )

        outcome = _deleted_while(deletion, "UPDATE tags SET articles_count", user)

        assert outcome == [None]
        db.session.expire_all()
        assert db.session.scalars(select(Tag.articles_count)).all() == [0]
        assert db.session.scalar(select(func.count()).select_from(Article)) == 0

    @pytest.mark.postgres
    @pytest.mark.parametrize("who", ["follower", "followed"])
    def test_a_follow_made_while_either_account_is_deleted_fails_alone(
        app, user, other_user, favorited, who
    ):
        # The follow begins once the deletion holds the account's row; its insert's
        # foreign keys wait for that row, then find it gone.
        leaving, staying = user.id, other_user.id
        follower, followed = (leaving, staying) if who == "follower" else (staying, leaving)
        name = db.session.get(User, followed).username

        def follow() -> None:
            profiles.follow_user(actor=db.session.get(User, follower), username=name)

        outcome = waiting_request(
            app, follow, before="SELECT articles.id", action=lambda: _delete(user)
        )

        assert len(outcome) == 1
        expected = Unauthorized if who == "follower" else NotFound
        assert isinstance(outcome[0], expected), outcome
        assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_an_account_deleted_by_a_concurrent_request_first_is_left_as_it_is(app, user, favorited):
    # Another request (another tab) deleted it after this one loaded the account.
    accounts.delete_account(user=db.session.get(User, user.id), password=PASSWORD)
    stale = UserFactory.build(id=user.id, password_hash=user.password_hash)

    accounts.delete_account(user=stale, password=PASSWORD)

    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert _stored_and_counted() == {favorited.slug: (0, 0)}
