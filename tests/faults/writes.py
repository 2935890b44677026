"""After a fault: every write the app acknowledged is stored, and the API counts what is.

The database is read directly (not through the app or its proxy), once the fault
is over and the clients have stopped.

A write answered with an error is counted, not judged: one whose commit was on
its way when the connection broke, or the server froze, may have been carried
out (the server commits what it had received), and neither the app nor anyone
else can tell. That nothing after a commit turns it into an error is proved where
the drop comes right after the commit (test_postgres_faults.py, dropping_app.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app.models import Article, Comment, Favorite, User
from config import normalise_database_url
from tests.faults.harness import Client, Writer


@dataclass(frozen=True)
class Checked:
    """How many acknowledged writes were found stored, by kind; how many writes were
    answered an error, and how many of those were carried out all the same."""

    articles: int
    favorites: int
    comments: int
    refused: int
    refused_stored: int

    def __str__(self) -> str:
        return (
            f"{self.articles} articles, {self.favorites} favorites, {self.comments} comments "
            f"acknowledged and stored; {self.refused} answered an error, of which "
            f"{self.refused_stored} carried out"
        )


def _refused_yet_stored(connection: sa.Connection, user_id: int, refused: set[str]) -> set[str]:
    """The writes in `refused` (titles, comment bodies, favorited slugs) that are stored."""
    queries = [
        sa.select(Article.title).where(Article.author_id == user_id, Article.title.in_(refused)),
        sa.select(Comment.body).where(Comment.author_id == user_id, Comment.body.in_(refused)),
        sa.select(Article.slug)
        .join(Favorite, Favorite.article_id == Article.id)
        .where(Favorite.user_id == user_id, Article.slug.in_(refused)),
    ]
    return {found for query in queries for found in connection.scalars(query)}


def _stored_for(connection: sa.Connection, user_id: int) -> tuple[set[str], set[str], set[int]]:
    articles = set(connection.scalars(sa.select(Article.slug).where(Article.author_id == user_id)))
    favorites = set(
        connection.scalars(
            sa.select(Article.slug)
            .join(Favorite, Favorite.article_id == Article.id)
            .where(Favorite.user_id == user_id)
        )
    )
    comments = set(connection.scalars(sa.select(Comment.id).where(Comment.author_id == user_id)))
    return articles, favorites, comments


def _api_count(client: Client, query: str) -> int:
    reply = client.request("GET", f"/api/articles?{query}&limit=1")
    assert reply.status == 200, reply.describe()
    count: int = reply.json()["articlesCount"]
    return count


def check_writes(database_url: str, writers: list[Writer], client: Client) -> Checked:
    """Assert that every acknowledged write is stored, that nothing was stored twice or
    unasked, and that the API's counts are the stored ones."""
    engine = sa.create_engine(normalise_database_url(database_url), poolclass=NullPool)
    totals = [0, 0, 0, 0, 0]
    try:
        with engine.connect() as connection:
            for writer in writers:
                user_id = connection.scalar(sa.select(User.id).where(User.username == writer.name))
                assert user_id is not None, writer.name
                articles, favorites, comments = _stored_for(connection, user_id)
                assert set(writer.articles) <= articles, f"{writer.name}: an article is lost"
                assert set(writer.favorites) <= favorites, f"{writer.name}: a favorite is lost"
                assert set(writer.comments) <= comments, f"{writer.name}: a comment is lost"
                # Each attempt wrote at most one article and one comment (a write that
                # got no success may or may not have been committed).
                assert len(articles) <= writer.attempts, f"{writer.name}: too many articles"
                assert len(comments) <= writer.attempts, f"{writer.name}: too many comments"
                assert _api_count(client, f"author={writer.name}") == len(articles)
                assert _api_count(client, f"favorited={writer.name}") == len(favorites)
                totals[0] += len(writer.articles)
                totals[1] += len(writer.favorites)
                totals[2] += len(writer.comments)
                totals[3] += len(writer.refused)
                totals[4] += len(_refused_yet_stored(connection, user_id, set(writer.refused)))
    finally:
        engine.dispose()
    return Checked(*totals)
