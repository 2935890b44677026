"""factory-boy factories for the models; they write through the app's session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import insert

from app import counts
from app.extensions import db, passwords
from app.models import Article, Comment, User

# Every factory-made user signs in with this password.
PASSWORD = "password123"


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - resolved per test
        sqlalchemy_session_persistence = "commit"


class UserFactory(_Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password_hash = factory.LazyFunction(lambda: passwords.hash(PASSWORD))
    bio = None
    image = None


class ArticleFactory(_Factory):
    """An article without tags; use the articles service when tags matter."""

    class Meta:
        model = Article
        exclude = ("author",)

    author = factory.SubFactory(UserFactory)
    author_id = factory.LazyAttribute(lambda o: o.author.id)
    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    description = "A description"
    body = "A body"

    @classmethod
    def _create(cls, model_class: type[Article], *args: object, **kwargs: object) -> Article:
        """The article, and the numbers of articles kept with it as the services keep them."""
        article = super()._create(model_class, *args, **kwargs)
        counts.count_articles(db.session, 1)
        counts.count_authored(db.session, article.author_id, 1)
        db.session.commit()
        return article


class CommentFactory(_Factory):
    class Meta:
        model = Comment
        exclude = ("author", "article")

    author = factory.SubFactory(UserFactory)
    article = factory.SubFactory(ArticleFactory)
    author_id = factory.LazyAttribute(lambda o: o.author.id)
    article_id = factory.LazyAttribute(lambda o: o.article.id)
    body = factory.Sequence(lambda n: f"Comment {n}")

    @classmethod
    def _create(cls, model_class: type[Comment], *args: object, **kwargs: object) -> Comment:
        """The comment, and its article's number of comments kept as the services keep it."""
        comment = super()._create(model_class, *args, **kwargs)
        counts.count_comments(db.session, {comment.article_id: 1})
        db.session.commit()
        return comment


def insert_comments(*, article: Article, author: User, count: int) -> None:
    """`count` comments by `author` on `article`, in one INSERT (an article with
    comments by the thousand, without a round trip each), "Comment 0" the oldest,
    each a second older than the next and all in the past."""
    oldest = datetime(2020, 1, 1, tzinfo=UTC)
    db.session.execute(
        insert(Comment),
        [
            {
                "article_id": article.id,
                "author_id": author.id,
                "body": f"Comment {number}",
                "created_at": oldest + timedelta(seconds=number),
                "updated_at": oldest + timedelta(seconds=number),
            }
            for number in range(count)
        ],
    )
    counts.count_comments(db.session, {article.id: count})
    db.session.commit()
