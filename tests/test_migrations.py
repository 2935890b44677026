"""The migrations build exactly the schema the models describe, and take it down again."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy.dialects.postgresql import REGCLASS

from app import create_app
from app.database import migration_engine
from app.extensions import db
from app.models.search import SEARCH_TABLE_NAME, in_schema_comparison, is_search_index_table
from app.services import search
from config import TestConfig as SuiteConfig
from tests.conftest import MIGRATIONS, POSTGRES_URL
from tests.servers import scratch_postgres_database

MODEL_TABLES = {
    "users",
    "follows",
    "articles",
    "tags",
    "article_tags",
    "favorites",
    "comments",
    "user_sessions",
    "counters",
}
# SQLite cannot reflect an index on an expression (lower(username)): SQLAlchemy warns
# that it skipped them, and alembic that it leaves them out of the comparison. The
# test below checks them on SQLite by name and SQL; on PostgreSQL they are compared.
SKIPPED_EXPRESSION_INDEX_REFLECTION = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
)
SKIPPED_EXPRESSION_INDEX_COMPARISON = pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning"
)


def _differences(connection: sa.Connection, metadata: sa.MetaData | None = None) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_object": in_schema_comparison(connection.dialect.name),
        },
    )
    return compare_metadata(context, db.metadata if metadata is None else metadata)


def _models_without_index(name: str) -> sa.MetaData:
    """A copy of the models' metadata that lacks the index `name`."""
    metadata = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    for table in metadata.tables.values():
        table.indexes = {index for index in table.indexes if index.name != name}
    return metadata


@pytest.fixture
def file_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a new, empty SQLite file (not the suite's database)."""
    url = f"sqlite:///{tmp_path / 'migrated.db'}"

    class FileConfig(SuiteConfig):
        def __init__(self) -> None:
            super().__init__({})
            self.SQLALCHEMY_DATABASE_URI = url

    app = create_app(FileConfig)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _table_names() -> set[str]:
    """The tables but SQLite's FTS5 search index (and the tables FTS5 keeps behind it)."""
    names = sa.inspect(db.engine).get_table_names()
    return {name for name in names if not is_search_index_table(name)}


def _search_index_tables() -> set[str]:
    return {name for name in sa.inspect(db.engine).get_table_names() if is_search_index_table(name)}


@SKIPPED_EXPRESSION_INDEX_REFLECTION
@SKIPPED_EXPRESSION_INDEX_COMPARISON
def test_upgrade_builds_the_schema_the_models_describe(file_app):
    assert _table_names() == set()

    upgrade(directory=MIGRATIONS)

    assert _table_names() == MODEL_TABLES | {"alembic_version"}
    assert SEARCH_TABLE_NAME in _search_index_tables()
    with db.engine.connect() as connection:
        assert _differences(connection) == []


@SKIPPED_EXPRESSION_INDEX_REFLECTION
@SKIPPED_EXPRESSION_INDEX_COMPARISON
def test_the_comparison_notices_a_schema_that_differs(file_app):
    upgrade(directory=MIGRATIONS)
    metadata = _models_without_index("ix_follows_followed_id")
    metadata.tables["tags"].append_column(sa.Column("colour", sa.String(20)))

    with db.engine.connect() as connection:
        differences = _differences(connection, metadata)

    assert sorted(difference[0] for difference in differences) == ["add_column", "remove_index"]


def test_upgrade_creates_the_case_insensitive_unique_indexes(file_app):
    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'"
            )
        )
        indexes = {row.name: row.sql for row in rows}
    assert "lower(username)" in indexes["uq_users_username_lower"]
    assert "lower(email)" in indexes["uq_users_email_lower"]
    assert all(sql.startswith("CREATE UNIQUE INDEX") for sql in indexes.values() if sql)


def test_downgrade_to_base_drops_every_table(file_app):
    upgrade(directory=MIGRATIONS)

    downgrade(directory=MIGRATIONS, revision="base")

    assert _table_names() == {"alembic_version"}
    assert _search_index_tables() == set()
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 0


if POSTGRES_URL:
    # On PostgreSQL the whole suite runs on a schema the migrations built (see
    # conftest): compare it, expression indexes included, with the models.

    @pytest.mark.postgres
    def test_migrated_postgres_schema_matches_the_models_exactly(app):
        with db.engine.connect() as connection:
            assert _differences(connection) == []
            indexes = {
                index["name"]: (index["unique"], index.get("expressions"))
                for index in sa.inspect(connection).get_indexes("users")
            }

        assert indexes == {
            "uq_users_username_lower": (True, ["lower(username::text)"]),
            "uq_users_email_lower": (True, ["lower(email::text)"]),
        }

    @pytest.mark.postgres
    @pytest.mark.parametrize("name", ["uq_users_username_lower", "uq_users_email_lower"])
    def test_postgres_comparison_covers_the_expression_indexes(app, name):
        with db.engine.connect() as connection:
            differences = _differences(connection, _models_without_index(name))

        assert [(kind, index.name) for kind, index in differences] == [("remove_index", name)]


CREATED = datetime(2026, 1, 2, 3, 4, 5)


def _insert_jake(connection: sa.Connection, users: sa.Table) -> None:
    """The user (id 1) whom the rows stored before an upgrade belong to."""
    connection.execute(
        users.insert().values(
            id=1,
            username="jake",
            email="jake@example.com",
            password_hash="x",
            created_at=CREATED,
            updated_at=CREATED,
        )
    )


def _insert_readers(connection: sa.Connection, users: sa.Table, ids: Sequence[int]) -> None:
    """Users besides jake, named after their ids."""
    connection.execute(
        users.insert(),
        [
            {
                "id": number,
                "username": f"reader{number}",
                "email": f"reader{number}@example.com",
                "password_hash": "x",
                "created_at": CREATED,
                "updated_at": CREATED,
            }
            for number in ids
        ],
    )


def _insert_articles(
    connection: sa.Connection,
    articles: sa.Table,
    numbers: Sequence[int],
    created_at: Callable[[int], datetime] = lambda _number: CREATED,
) -> None:
    """Jake's articles `numbers` (ids and slugs), each created at `created_at(number)`."""
    connection.execute(
        articles.insert(),
        [
            {
                "id": number,
                "slug": f"s{number}",
                "title": "t",
                "description": "d",
                "body": "b",
                "author_id": 1,
                "created_at": created_at(number),
                "updated_at": CREATED,
            }
            for number in numbers
        ],
    )


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_copies_each_articles_creation_time_beside_its_tags(file_app):
    upgrade(directory=MIGRATIONS, revision="0002")
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=["users", "articles", "tags", "article_tags"])
    users, articles, tags, article_tags = (
        metadata.tables[name] for name in ("users", "articles", "tags", "article_tags")
    )
    with db.engine.begin() as connection:
        _insert_jake(connection, users)
        connection.execute(
            articles.insert().values(
                id=7,
                slug="s",
                title="t",
                description="d",
                body="b",
                author_id=1,
                created_at=CREATED,
                updated_at=CREATED,
            )
        )
        connection.execute(tags.insert().values(id=3, name="dragons"))
        connection.execute(article_tags.insert().values(article_id=7, tag_id=3))

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        copied = connection.scalar(
            sa.select(sa.column("article_created_at")).select_from(sa.table("article_tags"))
        )
    assert copied is not None
    assert str(copied).startswith("2026-01-02 03:04:05")


def _article_slugs_after_upgrade_from_0003(slugs: list[str]) -> dict[int, str]:
    """Upgrade the app's empty database to 0003, store articles with `slugs`, upgrade to
    the last revision; return each article's slug by id."""
    upgrade(directory=MIGRATIONS, revision="0003")
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=["users", "articles"])
    users, articles = metadata.tables["users"], metadata.tables["articles"]
    with db.engine.begin() as connection:
        _insert_jake(connection, users)
        connection.execute(
            articles.insert(),
            [
                {
                    "id": number,
                    "slug": slug,
                    "title": slug,
                    "description": "d",
                    "body": "b",
                    "author_id": 1,
                    "created_at": CREATED,
                    "updated_at": CREATED,
                }
                for number, slug in enumerate(slugs, start=1)
            ],
        )

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        rows = connection.execute(sa.select(articles.c.id, articles.c.slug)).all()
    return dict(rows)


def _assert_only_reserved_slugs_were_renamed(slugs: dict[int, str]) -> None:
    assert slugs[2] == "feed-me"
    assert slugs[3] == "dragons"
    assert re.fullmatch(r"feed-[0-9a-f]{6}", slugs[1]), slugs[1]


RESERVED_AND_PLAIN_SLUGS = ["feed", "feed-me", "dragons"]


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_gives_an_article_with_a_reserved_slug_another(file_app):
    slugs = _article_slugs_after_upgrade_from_0003(RESERVED_AND_PLAIN_SLUGS)

    _assert_only_reserved_slugs_were_renamed(slugs)


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_starts_every_account_at_the_first_credentials_generation(file_app):
    upgrade(directory=MIGRATIONS, revision="0004")
    users = sa.Table("users", sa.MetaData(), autoload_with=db.engine)
    with db.engine.begin() as connection:
        _insert_jake(connection, users)

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        generation = connection.scalar(
            sa.select(sa.column("credentials_generation")).select_from(sa.table("users"))
        )
    # Tokens issued before carry no generation and count as this one.
    assert generation == 0


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_counts_each_articles_favorites_into_its_row(file_app):
    upgrade(directory=MIGRATIONS, revision="0005")
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=["users", "articles", "favorites"])
    users, articles, favorites = (metadata.tables[n] for n in ("users", "articles", "favorites"))
    with db.engine.begin() as connection:
        _insert_jake(connection, users)
        _insert_readers(connection, users, [2])
        _insert_articles(connection, articles, [1, 2, 3])
        connection.execute(
            favorites.insert(),
            [
                {"user_id": user_id, "article_id": article_id, "created_at": CREATED}
                for user_id, article_id in ((1, 1), (2, 1), (2, 2))
            ],
        )

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(sa.column("id"), sa.column("favorites_count")).select_from(
                    sa.table("articles")
                )
            ).all()
        )
    assert counts == {1: 2, 2: 1, 3: 0}


def _comment_counts_after_upgrade_from_0011(articles_made: int) -> dict[int, int]:
    """Store `articles_made` articles at 0011, comments on the first and the last two,
    upgrade; return each article's stored number of comments, by id."""
    upgrade(directory=MIGRATIONS, revision="0011")
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=["users", "articles", "comments"])
    users, articles, comments = (metadata.tables[n] for n in ("users", "articles", "comments"))
    number = sa.func.generate_series(1, articles_made).table_valued("value").render_derived()
    with db.engine.begin() as connection:
        _insert_jake(connection, users)
        _insert_readers(connection, users, [2])
        _insert_articles(connection, articles, [1, 2, 3])
        if articles_made > 3:
            rows = sa.select(
                number.c.value,
                sa.literal("s") + sa.cast(number.c.value, sa.String),
                *(sa.literal(value) for value in ("t", "d", "b", 1, CREATED, CREATED)),
            ).where(number.c.value > 3)
            columns = ["id", "slug", "title", "description", "body", "author_id"]
            connection.execute(
                articles.insert().from_select([*columns, "created_at", "updated_at"], rows)
            )
        commented = (1, 1, 1, articles_made - 1, articles_made)
        connection.execute(
            comments.insert(),
            [
                {
                    "body": "Hi",
                    "author_id": 1 + n % 2,
                    "article_id": article_id,
                    "created_at": CREATED,
                    "updated_at": CREATED,
                }
                for n, article_id in enumerate(commented)
            ],
        )

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        return dict(
            connection.execute(
                sa.select(sa.column("id"), sa.column("comments_count"))
                .select_from(sa.table("articles"))
                .where(sa.column("comments_count") != 0)
            ).all()
        )


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_counts_each_articles_comments_into_its_row(file_app):
    assert _comment_counts_after_upgrade_from_0011(3) == {1: 3, 2: 1, 3: 1}


def _notification_setting_after_upgrade_from_0006() -> object:
    """The notification setting of an account stored before revision 0007, once upgraded."""
    upgrade(directory=MIGRATIONS, revision="0006")
    users = sa.Table("users", sa.MetaData(), autoload_with=db.engine)
    with db.engine.begin() as connection:
        _insert_jake(connection, users)

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        return connection.scalar(
            sa.select(sa.column("notify_by_email")).select_from(sa.table("users"))
        )


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_leaves_every_existing_account_without_notification_mail(file_app):
    # false: SQLite keeps booleans as 0 and 1
    assert _notification_setting_after_upgrade_from_0006() == 0


def test_downgrade_of_the_notification_setting_keeps_the_users_unique_indexes(file_app):
    upgrade(directory=MIGRATIONS)

    downgrade(directory=MIGRATIONS, revision="0006")

    with db.engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("users")}
        indexes = connection.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'")
        ).scalars()
        names = set(indexes)
    assert "notify_by_email" not in columns
    assert {"uq_users_username_lower", "uq_users_email_lower"} <= names


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_counts_the_articles_each_authors_and_each_tags_into_rows(file_app):
    upgrade(directory=MIGRATIONS, revision="0006")
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=["users", "articles", "tags", "article_tags"])
    users, articles, tags, article_tags = (
        metadata.tables[name] for name in ("users", "articles", "tags", "article_tags")
    )
    with db.engine.begin() as connection:
        _insert_jake(connection, users)
        _insert_articles(connection, articles, [1, 2, 3])
        connection.execute(
            tags.insert(),
            [{"id": 1, "name": "dragons"}, {"id": 2, "name": "ice"}, {"id": 3, "name": "unused"}],
        )
        connection.execute(
            article_tags.insert(),
            [
                {"article_id": article_id, "tag_id": tag_id, "article_created_at": CREATED}
                for article_id, tag_id in ((1, 1), (2, 1), (3, 1), (2, 2))
            ],
        )

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        uses = dict(
            connection.execute(
                sa.select(sa.column("name"), sa.column("articles_count")).select_from(
                    sa.table("tags")
                )
            ).all()
        )
        total = connection.scalar(
            sa.select(sa.column("value"))
            .select_from(sa.table("counters"))
            .where(sa.column("name") == "articles")
        )
        written = connection.scalar(
            sa.select(sa.column("articles_count"))
            .select_from(sa.table("users"))
            .where(sa.column("id") == 1)
        )
    assert uses == {"dragons": 3, "ice": 1, "unused": 0}
    assert total == written == 3


def test_downgrade_of_the_credentials_generation_keeps_the_users_unique_indexes(file_app):
    upgrade(directory=MIGRATIONS)

    downgrade(directory=MIGRATIONS, revision="0004")

    with db.engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("users")}
        indexes = connection.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'")
        ).scalars()
        names = set(indexes)
    assert "credentials_generation" not in columns
    assert {"uq_users_username_lower", "uq_users_email_lower"} <= names


@contextmanager
def _app_on_scratch_postgres(suffix: str, **settings: object) -> Iterator[Flask]:
    """An app on a new, empty PostgreSQL database (not the suite's), with `settings`."""
    assert POSTGRES_URL
    with scratch_postgres_database(POSTGRES_URL, suffix) as url:

        class ScratchConfig(SuiteConfig):
            def __init__(self) -> None:
                super().__init__({})
                self.SQLALCHEMY_DATABASE_URI = url
                for name, value in settings.items():
                    setattr(self, name, value)

        app = create_app(ScratchConfig)
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


if POSTGRES_URL:

    @pytest.fixture
    def scratch_postgres_app() -> Iterator[Flask]:
        with _app_on_scratch_postgres("migrations") as app:
            yield app

    @pytest.mark.postgres
    def test_upgrade_gives_an_article_with_a_reserved_slug_another_on_postgres(
        scratch_postgres_app,
    ):
        slugs = _article_slugs_after_upgrade_from_0003(RESERVED_AND_PLAIN_SLUGS)

        _assert_only_reserved_slugs_were_renamed(slugs)

    @pytest.mark.postgres
    def test_upgrade_leaves_every_existing_account_without_notification_mail_on_postgres(
        scratch_postgres_app,
    ):
        assert _notification_setting_after_upgrade_from_0006() is False


if POSTGRES_URL:

    @pytest.fixture
    def impatient_postgres_app() -> Iterator[Flask]:
        """Requests give up after 1 ms there."""
        with _app_on_scratch_postgres(
            "impatient", DATABASE_STATEMENT_TIMEOUT_MS=1, DATABASE_REPLY_TIMEOUT_MS=1001
        ) as app:
            yield app

    @pytest.mark.postgres
    def test_migrations_are_not_held_to_the_requests_statement_timeout(impatient_postgres_app):
        slow = sa.text("SELECT pg_sleep(0.05)")
        with (
            pytest.raises(sa.exc.OperationalError, match="statement timeout"),
            db.engine.connect() as connection,
        ):
            connection.execute(slow)
        engine = migration_engine(db.engine, connect_timeout=2)
        try:
            with engine.connect() as connection:
                connection.execute(slow)
                assert connection.execute(sa.text("SHOW statement_timeout")).scalar() == "0"

            upgrade(directory=str(MIGRATIONS))

            with engine.connect() as connection:
                assert "articles" in sa.inspect(connection).get_table_names()
        finally:
            engine.dispose()


def _articles_found_after_upgrade_from_0006(count: int, *, batch_size: int) -> dict[str, int]:
    """Store `count` articles with tags at 0006, upgrade with batches of `batch_size`;
    return how many articles each of a few searches finds."""
    upgrade(directory=MIGRATIONS, revision="0006")
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=["users", "articles", "tags", "article_tags"])
    users, articles, tags, article_tags = (
        metadata.tables[name] for name in ("users", "articles", "tags", "article_tags")
    )
    with db.engine.begin() as connection:
        _insert_jake(connection, users)
        connection.execute(
            articles.insert(),
            [
                {
                    "id": number,
                    "slug": f"s{number}",
                    "title": "Dragons" if number % 2 else "Wolves",
                    "description": "d",
                    "body": "Their **roaring** [link](https://example.com/hidden)",
                    "author_id": 1,
                    "created_at": CREATED,
                    "updated_at": CREATED,
                }
                for number in range(1, count + 1)
            ],
        )
        connection.execute(tags.insert().values(id=3, name="fire"))
        connection.execute(
            article_tags.insert().values(article_id=1, tag_id=3, article_created_at=CREATED)
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.queries.search_index.FILL_BATCH", batch_size)
        upgrade(directory=MIGRATIONS)
    return {
        query: search.search_articles(viewer_id=None, query=query).total
        for query in ("dragon", "wolves", "roar", "fire", "hidden")
    }


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_fills_each_articles_searchable_words_in_batches(file_app):
    found = _articles_found_after_upgrade_from_0006(7, batch_size=3)

    assert found == {"dragon": 4, "wolves": 3, "roar": 7, "fire": 1, "hidden": 0}


if POSTGRES_URL:

    @pytest.mark.postgres
    def test_upgrade_fills_the_search_vectors_and_builds_the_gin_index_on_postgres(
        scratch_postgres_app,
    ):
        found = _articles_found_after_upgrade_from_0006(7, batch_size=3)

        assert found == {"dragon": 4, "wolves": 3, "roar": 7, "fire": 1, "hidden": 0}
        with db.engine.connect() as connection:
            indexes = {
                index["name"]: index for index in sa.inspect(connection).get_indexes("articles")
            }
            valid = connection.scalar(
                sa.select(sa.column("indisvalid"))
                .select_from(sa.table("pg_index"))
                .where(sa.column("indexrelid") == sa.cast("ix_articles_search_vector", REGCLASS))
            )
        assert indexes["ix_articles_search_vector"]["dialect_options"]["postgresql_using"] == "gin"
        assert valid is True


def _article_time(number: int) -> datetime:
    return datetime(2026, 1, 1, 3, 4, 5) + timedelta(minutes=number)


def _favorites_after_upgrade_from_0009(readers: int, articles_each: int) -> set[str]:
    """Upgrade to 0009, let `readers` users favorite each of `articles_each` articles,
    upgrade to the last revision; assert that every favorite got its article's time
    and return the favorites' index names."""
    upgrade(directory=MIGRATIONS, revision="0009")
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=["users", "articles", "favorites"])
    users, articles, favorites = (metadata.tables[n] for n in ("users", "articles", "favorites"))
    reader_ids = range(2, readers + 2)
    article_ids = range(1, articles_each + 1)
    with db.engine.begin() as connection:
        _insert_jake(connection, users)
        _insert_readers(connection, users, reader_ids)
        _insert_articles(connection, articles, article_ids, created_at=_article_time)
        connection.execute(
            favorites.insert(),
            [
                {"user_id": user_id, "article_id": article_id, "created_at": CREATED}
                for user_id in reader_ids
                for article_id in article_ids
            ],
        )

    upgrade(directory=MIGRATIONS)

    with db.engine.connect() as connection:
        times = connection.execute(
            sa.select(
                sa.column("user_id"), sa.column("article_id"), sa.column("article_created_at")
            ).select_from(sa.table("favorites"))
        ).all()
        indexes = {index["name"] for index in sa.inspect(connection).get_indexes("favorites")}
    assert len(times) == readers * articles_each
    # SQLite gives the stored text back as a naive value, PostgreSQL an aware one.
    assert {(u, a): str(t)[:19] for u, a, t in times} == {
        (u, a): str(_article_time(a)) for u in reader_ids for a in article_ids
    }
    return indexes


@SKIPPED_EXPRESSION_INDEX_REFLECTION
def test_upgrade_copies_each_articles_creation_time_beside_its_favorites(file_app):
    indexes = _favorites_after_upgrade_from_0009(readers=2, articles_each=3)

    assert "ix_favorites_user_id_article_created_at" in indexes


if POSTGRES_URL:

    @pytest.mark.postgres
    def test_upgrade_copies_each_articles_creation_time_beside_its_favorites_on_postgres(
        scratch_postgres_app,
    ):
        """In more than one batch of the fill (20,100 favorites); and a favorite inserted
        without the time, as the release before does, gets it."""
        indexes = _favorites_after_upgrade_from_0009(readers=201, articles_each=100)
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(
                    sa.table(
                        "favorites",
                        sa.column("user_id"),
                        sa.column("article_id"),
                        sa.column("created_at"),
                    )
                ),
                {"user_id": 1, "article_id": 2, "created_at": CREATED},
            )
            given = connection.scalar(
                sa.select(sa.column("article_created_at"))
                .select_from(sa.table("favorites"))
                .where(sa.column("user_id") == 1, sa.column("article_id") == 2)
            )

        assert "ix_favorites_user_id_article_created_at" in indexes
        assert str(given)[:19] == str(_article_time(2))

    @pytest.mark.postgres
    def test_upgrade_counts_each_articles_comments_in_batches_on_postgres(scratch_postgres_app):
        """More articles than one batch of the count (2,000)."""
        assert _comment_counts_after_upgrade_from_0011(2_002) == {1: 3, 2_001: 1, 2_002: 1}

    @pytest.mark.postgres
    def test_a_count_stopped_halfway_is_finished_by_upgrading_again(scratch_postgres_app):
        """As if it had stopped while counting: the column committed, its counts
        not all there, the revision not recorded."""
        assert _comment_counts_after_upgrade_from_0011(3) == {1: 3, 2: 1, 3: 1}
        with db.engine.begin() as connection:
            connection.execute(
                sa.table("articles", sa.column("comments_count")).update(),
                {"comments_count": 0},
            )
            connection.execute(
                sa.table("alembic_version", sa.column("version_num")).update(),
                {"version_num": "0011"},
            )

        upgrade(directory=MIGRATIONS)

        with db.engine.connect() as connection:
            counted = connection.execute(
                sa.select(sa.column("id"), sa.column("comments_count"))
                .select_from(sa.table("articles"))
                .where(sa.column("comments_count") != 0)
            ).all()
            version = connection.scalar(
                sa.select(sa.column("version_num")).select_from(sa.table("alembic_version"))
            )
        assert dict(counted) == {1: 3, 2: 1, 3: 1}
        assert version == "0012"

    def _trigger_functions() -> list[str]:
        with db.engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.select(sa.column("proname"))
                    .select_from(sa.table("pg_proc"))
                    .where(sa.column("proname") == "favorite_article_created_at")
                )
            )

    @pytest.mark.postgres
    @SKIPPED_EXPRESSION_INDEX_COMPARISON
    def test_the_list_order_migrations_go_down_and_up_again_and_finish_when_run_again(
        scratch_postgres_app,
    ):
        upgrade(directory=MIGRATIONS)
        downgrade(directory=MIGRATIONS, revision="0009")
        gone = _trigger_functions()
        upgrade(directory=MIGRATIONS, revision="0011")
        # As if both had stopped after their work, before their revision was recorded.
        with db.engine.begin() as connection:
            connection.execute(
                sa.table("alembic_version", sa.column("version_num")).update(),
                {"version_num": "0009"},
            )
        upgrade(directory=MIGRATIONS)

        assert gone == []
        assert _trigger_functions() == ["favorite_article_created_at"]
        with db.engine.connect() as connection:
            assert _differences(connection) == []
