"""The bulk seeding paths of bench/seed.py: rows in batches through the models, or COPY.

Both load the same rows, drawn by `seed.Draws` and streamed table after table:

- "batch" (small and large): SQLAlchemy Core `insert(Model)` with a list of
  parameter sets (executemany; `insertmanyvalues` batches them), 5,000 rows a
  statement and one commit per batch, never as SQL text. Ids come back through
  `RETURNING` in parameter order.
- "copy" (huge): PostgreSQL `COPY ... FROM STDIN` through psycopg 3's
  `cursor.copy`, one COPY a table, the columns named from the models. The
  foreign keys, unique constraints and secondary indexes that the migrations
  built are dropped first and built again afterwards, each as the catalog
  defines it (`pg_get_indexdef`, `pg_get_constraintdef`): a sorted index build
  and one validating join per foreign key cost far less than ten million
  scattered index inserts and trigger checks. Ids are given explicitly, counting
  on from the table's largest, and each sequence is set past them.

The rules the services keep hold here too. The first user is registered through
`users.register_user` by an app whose argon2 cost is the cheapest allowed; its
hash is reused for every other user, who all share the password
`seed.BENCH_PASSWORD` (a hash records its own cost, so `authenticate` verifies
it and upgrades it at the user's first sign-in, as for any old hash). Slugs come
from the service's own `articles.slug_base(title)`, with a "-xxxxxx" hex suffix
when taken, as `_choose_slug` does, drawn from a seeded generator. Follow,
favorite and article-tag pairs are unique by construction; each article tag
carries its article's creation time, as `create_article` stores it. Nothing the
services count is stored.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from bench.seed import BENCH_PASSWORD, Draws, PlannedUser

BATCH_ROWS = 5000
# A progress line every this many rows.
PROGRESS_ROWS = 200_000
# For the index builds after COPY, in the seeding session only (the server's default is 64MB).
INDEX_BUILD_MEMORY = "512MB"


class Loader(Protocol):
    """Puts rows into one model's table; returns the new ids in row order when asked."""

    stats: dict[str, dict[str, float]]

    def load(
        self, model: Any, rows: Iterable[dict[str, Any]], *, label: str, ids: bool = False
    ) -> Sequence[int]: ...


class _Rate:
    """Rows and seconds of one table's load, with a progress line now and then."""

    def __init__(self, stats: dict[str, dict[str, float]], label: str) -> None:
        self.stats, self.label = stats, label
        self.rows = 0
        self.started = time.monotonic()

    def add(self, rows: int) -> None:
        before, self.rows = self.rows, self.rows + rows
        if before // PROGRESS_ROWS != self.rows // PROGRESS_ROWS:
            self.print()

    def print(self) -> None:
        seconds = time.monotonic() - self.started
        print(f"  {self.label}: {self.rows:,} rows ({seconds:.1f}s)", flush=True)

    def done(self) -> None:
        self.print()
        seconds = time.monotonic() - self.started
        self.stats[self.label] = {
            "rows": self.rows,
            "seconds": round(seconds, 2),
            "rows_per_second": round(self.rows / seconds) if seconds else 0,
        }


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class BatchLoader:
    """executemany through the models, a batch per statement and commit."""

    def __init__(self) -> None:
        self.stats: dict[str, dict[str, float]] = {}

    def load(
        self, model: Any, rows: Iterable[dict[str, Any]], *, label: str, ids: bool = False
    ) -> Sequence[int]:
        from app.extensions import db

        statement = sa.insert(model)
        if ids:
            statement = statement.returning(model.id, sort_by_parameter_order=True)
        new_ids: list[int] = []
        rate = _Rate(self.stats, label)
        for batch in _batches(rows, BATCH_ROWS):
            result = db.session.execute(statement, batch)
            if ids:
                new_ids.extend(result.scalars().all())
            db.session.commit()
            rate.add(len(batch))
        rate.done()
        return new_ids


class CopyLoader:
    """COPY ... FROM STDIN, a table at a time, on one psycopg connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.stats: dict[str, dict[str, float]] = {}
        # A COPY lasts as long as its rows take to draw: longer than the app's
        # statement timeout, which this session inherits from the engine.
        connection.execute("SET statement_timeout = 0")
        connection.commit()

    def load(
        self, model: Any, rows: Iterable[dict[str, Any]], *, label: str, ids: bool = False
    ) -> Sequence[int]:
        from psycopg import sql

        table = model.__table__.name
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return []
        start = self._next_id(table) if ids else 0
        columns = [*(["id"] if ids else []), *first]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        rate = _Rate(self.stats, label)
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in itertools.chain([first], iterator):
                values = row.values()
                copy.write_row((start + rate.rows, *values) if ids else tuple(values))
                rate.add(1)
        if ids:
            self.connection.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                (table, start + rate.rows - 1),
            )
        self.connection.commit()
        rate.done()
        return range(start, start + rate.rows)

    def _next_id(self, table: str) -> int:
        from psycopg import sql

        query = sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(table))
        row = self.connection.execute(query).fetchone()
        return int(row[0])


# Foreign keys and unique constraints of the schema, and the indexes that back no
# primary key or unique constraint: what COPY is faster without.
_CONSTRAINTS = """
SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND c.contype IN ('f', 'u')
ORDER BY c.contype, t.relname, c.conname
"""
_INDEXES = """
SELECT i.relname, pg_get_indexdef(x.indexrelid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x')
  )
ORDER BY i.relname
"""


@contextmanager
def without_secondary_indexes(connection: Any, stats: dict[str, Any]) -> Iterator[None]:
    """Drop the foreign keys, unique constraints and secondary indexes; build them again after.

    They come back exactly as the catalog had them (their definitions are read from
    it, not written here), the foreign keys last, each validated against the rows.
    """
    from psycopg import sql

    constraints = connection.execute(_CONSTRAINTS).fetchall()
    indexes = connection.execute(_INDEXES).fetchall()
    # The foreign keys first ('f' sorts before 'u'): one may lean on a unique constraint.
    for table, name, _kind, _definition in constraints:
        connection.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for name, _definition in indexes:
        connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    connection.commit()
    yield
    started = time.monotonic()
    connection.execute(sql.SQL("SET maintenance_work_mem = {}").format(INDEX_BUILD_MEMORY))
    for _name, definition in indexes:
        # The catalog's own CREATE INDEX statement for it.
        connection.execute(sql.SQL(definition))
    for table, name, _kind, definition in sorted(constraints, key=lambda row: row[2] != "u"):
        connection.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(name)
            )
            + sql.SQL(definition)
        )
    connection.commit()
    stats["indexes_and_constraints"] = {
        "indexes": len(indexes),
        "constraints": len(constraints),
        "seconds": round(time.monotonic() - started, 2),
    }
    print(
        f"  {len(indexes)} indexes and {len(constraints)} constraints built again "
        f"({time.monotonic() - started:.1f}s)",
        flush=True,
    )


def _register_first_user(first: PlannedUser) -> tuple[int, str]:
    """The first user through the service, back-dated like every other seeded row.

    Returns its id and password hash, with no transaction left open (one would hold
    a lock that building the foreign keys again waits for).
    """
    from app.extensions import db
    from app.services import users

    registered = users.register_user(
        username=first.username, email=first.email, password=BENCH_PASSWORD
    )
    users.update_user(user=registered, bio=first.bio, image=first.image)
    registered.created_at = registered.updated_at = first.created_at
    db.session.commit()
    user_id, password_hash = registered.id, registered.password_hash
    db.session.commit()
    return user_id, password_hash


class _Slugs:
    """Unique slugs as the service makes them, the suffixes drawn from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        from app.services import articles

        self.rng = rng
        self.slug_base = articles.slug_base
        self.taken: set[str] = set()

    def __call__(self, title: str) -> str:
        base = self.slug_base(title)
        slug = base
        while slug in self.taken:
            slug = f"{base}-{self.rng.getrandbits(24):06x}"
        self.taken.add(slug)
        return slug


def load_plan(draws: Draws, loader: Loader, seed: int) -> None:
    """Every table's rows, streamed from the draws into the loader, parents first."""
    from app.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User

    first_id, password_hash = _register_first_user(draws.users[0])
    users = draws.users
    user_ids = [
        first_id,
        *loader.load(
            User,
            (
                {
                    "username": user.username,
                    "email": user.email,
                    "password_hash": password_hash,
                    "bio": user.bio,
                    "image": user.image,
                    "created_at": user.created_at,
                    "updated_at": user.created_at,
                }
                for user in users[1:]
            ),
            label="users",
            ids=True,
        ),
    ]

    slug = _Slugs(random.Random(seed + 1))
    article_tags: list[list[str]] = []

    def article_rows() -> Iterator[dict[str, Any]]:
        for article in draws.articles():
            article_tags.append(article.tags)
            yield {
                "slug": slug(article.title),
                "title": article.title,
                "description": article.description,
                "body": article.body,
                "author_id": user_ids[article.author],
                "created_at": article.created_at,
                "updated_at": article.created_at,
            }

    article_ids = loader.load(Article, article_rows(), label="articles", ids=True)
    times = draws.article_times
    # Only the tags some article uses, as create_article makes them.
    used_tags = sorted({name for names in article_tags for name in names})
    tag_ids = dict(
        zip(
            used_tags,
            loader.load(Tag, ({"name": name} for name in used_tags), label="tags", ids=True),
            strict=True,
        )
    )
    loader.load(
        ArticleTag,
        (
            {
                "article_id": article_ids[index],
                "tag_id": tag_ids[name],
                "article_created_at": times[index],
            }
            for index, names in enumerate(article_tags)
            for name in names
        ),
        label="article tags",
    )
    loader.load(
        Follow,
        (
            {
                "follower_id": user_ids[follower],
                "followed_id": user_ids[followed],
                "created_at": max(users[follower].created_at, users[followed].created_at)
                + timedelta(hours=1),
            }
            for follower, followed in draws.follows()
        ),
        label="follows",
    )
    loader.load(
        Favorite,
        (
            {
                "user_id": user_ids[user],
                "article_id": article_ids[article],
                "article_created_at": times[article],
                "created_at": times[article]
                + timedelta(seconds=(user * 7919 + article) % (30 * 24 * 3600)),
            }
            for user, article in draws.favorites()
        ),
        label="favorites",
    )
    loader.load(
        Comment,
        (
            {
                "body": comment.body,
                "article_id": article_ids[comment.article],
                "author_id": user_ids[comment.author],
                "created_at": comment.created_at,
                "updated_at": comment.created_at,
            }
            for comment in draws.comments()
        ),
        label="comments",
    )


def seed_in_bulk(draws: Draws, seed: int, method: str) -> dict[str, Any]:
    """Load the draws by "batch" or "copy" (app context); the rate of every table."""
    from app.extensions import db

    if method == "batch":
        loader = BatchLoader()
        load_plan(draws, loader, seed)
        return loader.stats
    connection = db.engine.raw_connection()
    try:
        copy_loader = CopyLoader(connection.driver_connection)
        stats: dict[str, Any] = copy_loader.stats
        with without_secondary_indexes(copy_loader.connection, stats):
            load_plan(draws, copy_loader, seed)
    finally:
        connection.close()
    return stats
