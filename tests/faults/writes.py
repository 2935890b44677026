"""The writes of the fault tests' users, and after a fault: every write the app
acknowledged is stored, and the API counts what is.

The database is read directly (not through the app or its proxy), once the fault
is over and the clients have stopped.

A write answered with an error is counted, not judged: one whose commit was on
its way when the connection broke, or the server froze, may have been carried
out (the server commits what it had received), and neither the app nor anyone
else can tell. That nothing after a commit turns it into an error is proved where
the drop comes right after the commit (test_postgres_faults.py, dropping_app.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app.models import Article, Comment, Favorite, User
from config import normalise_database_url
from tests.faults.harness import PASSWORD, Client, Outcome, unique_name


@dataclass
class Writer:
    """One signed-up user, and the writes the app acknowledged to it."""

    name: str
    token: str
    articles: list[str] = field(default_factory=list)
    favorites: list[str] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)
    attempts: int = 0
    # Writes answered with an error (not those left without an answer), counted by
    # check_writes: articles by title, favorites by slug, comments by body.
    refused: list[str] = field(default_factory=list)


def sign_up(client: Client, name: str) -> Writer:
    user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    reply = client.request("POST", "/api/users", body={"user": user})
    assert reply.status == 201, reply.describe()
    return Writer(name, reply.json()["user"]["token"])


def writers_and_article(client: Client, count: int) -> tuple[list[Writer], str]:
    """`count` signed-up users, and the slug of an article (by someone else) they comment on."""
    writers = [sign_up(client, unique_name("writer")) for _ in range(count)]
    author = sign_up(client, unique_name("author"))
    article = {"article": {"title": unique_name("shared"), "description": "d", "body": "b"}}
    created = client.request("POST", "/api/articles", body=article, token=author.token)
    assert created.status == 201, created.describe()
    return writers, created.json()["article"]["slug"]


def is_write(outcome: Outcome) -> bool:
    """An acknowledged write."""
    return outcome.method == "POST" and outcome.status is not None and outcome.status < 300


def write_and_read(client: Client, writer: Writer, shared_slug: str) -> None:
    """One round of what a user does: publish, favorite it, comment, read lists (those
    `check_writes` counts among them) and web pages."""
    writer.attempts += 1
    title = f"{writer.name} {writer.attempts}"
    article = {"title": title, "description": "d", "body": "b"}
    created = client.request("POST", "/api/articles", body={"article": article}, token=writer.token)
    if created.status == 201:
        slug = created.json()["article"]["slug"]
        writer.articles.append(slug)
        favored = client.request("POST", f"/api/articles/{slug}/favorite", token=writer.token)
        if favored.status == 200:
            writer.favorites.append(slug)
        elif favored.status is not None:
            writer.refused.append(slug)
    elif created.status is not None:
        writer.refused.append(title)
    text = f"{writer.name} says {writer.attempts}"
    commented = client.request(
        "POST",
        f"/api/articles/{shared_slug}/comments",
        body={"comment": {"body": text}},
        token=writer.token,
    )
    if commented.status == 200:
        writer.comments.append(commented.json()["comment"]["id"])
    elif commented.status is not None:
        writer.refused.append(text)
    client.request("GET", "/api/articles?limit=5", token=writer.token)
    # Cached list pages that each of the writes above must make stale.
    client.request("GET", f"/api/articles?author={writer.name}&limit=1")
    client.request("GET", f"/api/articles?favorited={writer.name}&limit=1", token=writer.token)
    client.request("GET", f"/api/articles/{shared_slug}/comments")
    # The web UI's pages, drawn from the same database (an error there is a page).
    client.request("GET", "/")
    client.request("GET", f"/article/{shared_slug}")


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
