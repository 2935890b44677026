"""Races on a real gunicorn (2 workers of 4 threads): concurrent writes stay correct.

Each burst leaves from as many threads, released together by a barrier, each on a
connection of its own. Whatever the interleaving, no request may answer a 5xx or
an error body that is not JSON, each must answer what some serial order of the
burst would, and every acknowledged write must be in the database afterwards, with
exact counts. Every round is checked; the failure lists each round that went wrong. The counts
kept in rows (app/counts.py) must equal the rows they count after every burst.

The server runs on the suite's database: a scratch database on TEST_DATABASE_URL's
PostgreSQL server, else a SQLite file (several processes writing to one file is a
supported deployment, and it met the same races).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from app import counts
from app.models import Article, ArticleTag, Comment, Favorite, Tag, User
from app.models import Counter as CountRow
from app.services.users import TAKEN
from tests.conftest import POSTGRES_URL
from tests.faults.harness import (
    PASSWORD,
    ROOT,
    Outcome,
    Server,
    api_faults,
    database,
    fire_together,
    server_environment,
    serving,
    unique_name,
)
from tests.servers import migrate_database, scratch_postgres_database

WORKERS = 2
THREADS = 4
# Rounds of the mixed race on one article, and of each burst of one request sent SAME times.
ROUNDS = 10
SAME = 20
SAME_ROUNDS = 3


@pytest.fixture(scope="module")
def races_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scratch database on TEST_DATABASE_URL's PostgreSQL server, else a SQLite file."""
    if POSTGRES_URL and POSTGRES_URL.startswith("postgres"):
        with scratch_postgres_database(POSTGRES_URL, "races") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('races-db') / 'races.db'}"


@pytest.fixture(scope="module")
def server(races_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app migrated and served on the races' database, without Redis, rate limits off.

    The races send many sign-ups from one address, which the limits would refuse;
    password hashing is the cheapest argon2id, since the races are about the
    database, not the hash.
    """
    env = server_environment(
        races_database_url,
        "",
        RATELIMIT_ENABLED="false",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="8",
        ARGON2_PARALLELISM="1",
        GUNICORN_GRACEFUL_TIMEOUT="5",
        WEB_CONCURRENCY=str(WORKERS),
        GUNICORN_THREADS=str(THREADS),
    )
    migrate_database(env, ROOT)
    with serving(env, tmp_path_factory.mktemp("races") / "gunicorn.log") as server:
        yield server


@pytest.fixture(scope="module")
def stored(races_database_url: str) -> Iterator[sa.Engine]:
    """The server's database, read directly: what was really written."""
    with database(races_database_url) as engine:
        yield engine


def _count(engine: sa.Engine, model: type, *conditions: Any) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def _ok(reply: Outcome, status: int) -> Any:
    assert reply.status == status, reply.describe()
    return reply.json() if reply.body else None


def _sign_up(server: Server, prefix: str = "racer") -> tuple[str, str]:
    """A new account's (username, token)."""
    name = unique_name(prefix)
    body = {"user": {"username": name, "email": f"{name}@example.com", "password": PASSWORD}}
    return name, _ok(server.request("POST", "/api/users", body=body), 201)["user"]["token"]


def _publish(server: Server, token: str, title: str, tags: list[str] | None = None) -> str:
    article = {"title": title, "description": "Raced", "body": "Raced.", "tagList": tags or []}
    reply = server.request("POST", "/api/articles", body={"article": article}, token=token)
    slug: str = _ok(reply, 201)["article"]["slug"]
    return slug


def _report(server: Server, findings: list[str], rounds: int) -> None:
    assert not findings, (
        f"{len(findings)} of {rounds} rounds went wrong:\n"
        + "\n".join(findings)
        + f"\n--- server log (tail) ---\n{server.log_tail()}"
    )


NOT_FOUND = ({"errors": {"article": ["not found"]}}, {"errors": {"comment": ["not found"]}})


def _unexpected(replies: dict[str, Outcome], allowed: dict[str, set[int]]) -> list[str]:
    """Every answer (a 5xx aside: see `api_faults`) that no serial order would give."""
    return [
        f"{name}: {reply.describe()}"
        for name, reply in replies.items()
        if reply.status is not None
        and reply.status < 500
        and (
            reply.status not in allowed[name]
            or (reply.status == 404 and reply.json() not in NOT_FOUND)
        )
    ]


# (a) Writes racing the deletion of their article --------------------------------------


def test_writes_racing_the_deletion_of_their_article_answer_200_or_404(server, stored):
    _, author = _sign_up(server)
    _, first = _sign_up(server)
    _, second = _sign_up(server)
    findings = []
    for number in range(ROUNDS):
        slug = _publish(server, author, unique_name("Doomed "), ["doomed"])
        path = f"/api/articles/{slug}"
        _ok(server.request("POST", f"{path}/favorite", token=second), 200)
        comment = _ok(
            server.request(
                "POST", f"{path}/comments", body={"comment": {"body": "x"}}, token=second
            ),
            200,
        )["comment"]
        with stored.connect() as connection:
            article_id = connection.scalar(sa.select(Article.id).where(Article.slug == slug))
        calls: dict[str, Callable[[], Outcome]] = {
            "delete": partial(server.request, "DELETE", path, token=author),
            "update body": partial(
                server.request, "PUT", path, body={"article": {"body": "New."}}, token=author
            ),
            "update tags": partial(
                server.request, "PUT", path, body={"article": {"tagList": ["t"]}}, token=author
            ),
            "favorite": partial(server.request, "POST", f"{path}/favorite", token=first),
            "unfavorite": partial(server.request, "DELETE", f"{path}/favorite", token=second),
            "comment": partial(
                server.request,
                "POST",
                f"{path}/comments",
                body={"comment": {"body": "First!"}},
                token=first,
            ),
            "delete comment": partial(
                server.request, "DELETE", f"{path}/comments/{comment['id']}", token=second
            ),
        }
        replies = dict(zip(calls, fire_together(list(calls.values())), strict=True))
        allowed = {name: {200, 404} for name in calls}
        allowed.update({"delete": {204}, "delete comment": {204, 404}})
        problems = api_faults(list(replies.values())) + _unexpected(replies, allowed)
        # The deletion was acknowledged: nothing of the article may be left.
        left = {
            model.__name__: _count(stored, model, model.article_id == article_id)
            for model in (Favorite, Comment, ArticleTag)
        }
        left["Article"] = _count(stored, Article, Article.id == article_id)
        if any(left.values()):
            problems.append(f"left after the deletion: {left}")
        if problems:
            findings.append(f"round {number}: " + "; ".join(problems))
    _report(server, findings, ROUNDS)


# (b) One registration sent SAME times at once ------------------------------------------


def _names_taken_fields(reply: Outcome, fields: set[str]) -> bool:
    """Whether `reply` is the error body naming some of `fields` as taken, and nothing else."""
    errors = reply.json().get("errors", {})
    return bool(errors) and set(errors) <= fields and all(v == [TAKEN] for v in errors.values())


def _one_winner(replies: list[Outcome], status: int, fields: set[str]) -> list[str]:
    """Faults of a burst that only one may win: one `status`, every other a 422 naming
    some of `fields` as taken."""
    problems = api_faults(replies)
    statuses = Counter(reply.status for reply in replies)
    if statuses != {status: 1, 422: SAME - 1}:
        problems.append(f"statuses {dict(statuses)}")
    problems += [
        f"refusal {reply.describe()}"
        for reply in replies
        if reply.status == 422 and not _names_taken_fields(reply, fields)
    ]
    return problems


def test_one_registration_sent_20_times_at_once_creates_one_account(server, stored):
    findings = []
    for number in range(SAME_ROUNDS):
        name = unique_name("twin")
        email = f"{name}@example.com"
        body = {"user": {"username": name, "email": email, "password": PASSWORD}}
        replies = fire_together([partial(server.request, "POST", "/api/users", body=body)] * SAME)
        # Both fields are taken; a loser whose two look-ups straddle the winner's commit
        # names only the second one, which is true all the same.
        problems = _one_winner(replies, 201, {"username", "email"})
        accounts = _count(stored, User, sa.func.lower(User.username) == name.lower())
        if accounts != 1 or _count(stored, User, User.email == email) != 1:
            problems.append(f"{accounts} accounts named {name}")
        winners = [reply for reply in replies if reply.status == 201]
        if winners:
            token = winners[0].json()["user"]["token"]
            me = server.request("GET", "/api/user", token=token)
            if me.status != 200 or me.json()["user"]["username"] != name:
                problems.append(f"the new account's token: {me.describe()}")
        if problems:
            findings.append(f"round {number}: " + "; ".join(problems))
    _report(server, findings, SAME_ROUNDS)


# (c) One favorite sent SAME times at once -----------------------------------------------


def test_one_favorite_sent_20_times_at_once_counts_once(server, stored):
    _, author = _sign_up(server)
    _, reader = _sign_up(server)
    findings = []
    for number in range(SAME_ROUNDS):
        slug = _publish(server, author, unique_name("Loved "))
        favorite = partial(server.request, "POST", f"/api/articles/{slug}/favorite", token=reader)
        replies = fire_together([favorite] * SAME)
        problems = api_faults(replies)
        problems += [
            reply.describe()
            for reply in replies
            if reply.status != 200
            or (reply.json()["article"]["favorited"], reply.json()["article"]["favoritesCount"])
            != (True, 1)
        ]
        with stored.connect() as connection:
            article_id = connection.scalar(sa.select(Article.id).where(Article.slug == slug))
        favorites = _count(stored, Favorite, Favorite.article_id == article_id)
        if favorites != 1:
            problems.append(f"{favorites} favorites stored")
        if problems:
            findings.append(f"round {number}: " + "; ".join(problems))
    _report(server, findings, SAME_ROUNDS)


# (d) One title given SAME times at once -------------------------------------------------


def _slugs_titled(engine: sa.Engine, title: str) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(sa.select(Article.slug).where(Article.title == title)))


def _burst_of_slugs(replies: list[Outcome], status: int) -> tuple[list[str], set[str]]:
    """(faults, the slugs the replies gave) of a burst that should all answer `status`."""
    problems = api_faults(replies)
    problems += [reply.describe() for reply in replies if reply.status != status]
    slugs = {reply.json()["article"]["slug"] for reply in replies if reply.status == status}
    if len(slugs) != SAME:
        problems.append(f"{len(slugs)} distinct slugs for {SAME} articles")
    return problems, slugs


def test_one_title_given_20_times_at_once_gives_20_slugs(server, stored):
    _, author = _sign_up(server)
    findings = []
    for number in range(SAME_ROUNDS):
        title = unique_name("Same title ")
        article = {"title": title, "description": "Twin", "body": "Twin.", "tagList": ["twin"]}
        create = partial(
            server.request, "POST", "/api/articles", body={"article": article}, token=author
        )
        problems, slugs = _burst_of_slugs(fire_together([create] * SAME), 201)
        if _slugs_titled(stored, title) != slugs:
            problems.append(f"stored slugs {sorted(_slugs_titled(stored, title))}")
        problems += _counts_off(stored)

        renamed = unique_name("Renamed ")
        renames = [
            partial(
                server.request,
                "PUT",
                f"/api/articles/{slug}",
                body={"article": {"title": renamed}},
                token=author,
            )
            for slug in sorted(slugs)
        ]
        rename_problems, new_slugs = _burst_of_slugs(fire_together(renames), 200)
        problems += rename_problems
        if _slugs_titled(stored, renamed) != new_slugs or _slugs_titled(stored, title):
            problems.append(f"stored after renaming {sorted(_slugs_titled(stored, renamed))}")
        if problems:
            findings.append(f"round {number}: " + "; ".join(problems))
    _report(server, findings, SAME_ROUNDS)


# (e) SAME users taking one username at once ---------------------------------------------


def test_one_username_taken_by_20_users_at_once_goes_to_one(server, stored):
    findings = []
    for number in range(SAME_ROUNDS):
        tokens = dict(_sign_up(server, "renamer") for _ in range(SAME))
        wanted = unique_name("wanted")
        renames = [
            partial(
                server.request, "PUT", "/api/user", body={"user": {"username": wanted}}, token=t
            )
            for t in tokens.values()
        ]
        replies = fire_together(renames)
        problems = _one_winner(replies, 200, {"username"})
        winners = [old for old, reply in zip(tokens, replies, strict=True) if reply.status == 200]
        with stored.connect() as connection:
            holders = connection.scalars(
                sa.select(User.email).where(sa.func.lower(User.username) == wanted.lower())
            ).all()
        if holders != [f"{old}@example.com" for old in winners]:
            problems.append(f"held by {holders}, won by {winners}")
        if problems:
            findings.append(f"round {number}: " + "; ".join(problems))
    _report(server, findings, SAME_ROUNDS)


# (f) Article writes that change the same counts, at once ------------------------------


def _counts_off(engine: sa.Engine) -> list[str]:
    """Every count kept in a row (app/counts.py) that differs from the rows it counts."""
    uses = (
        sa.select(sa.func.count())
        .select_from(ArticleTag)
        .where(ArticleTag.tag_id == Tag.id)
        .scalar_subquery()
    )
    with engine.connect() as connection:
        tags = connection.execute(
            sa.select(Tag.name, Tag.articles_count, uses).where(Tag.articles_count != uses)
        ).all()
        kept = connection.scalar(sa.select(CountRow.value).where(CountRow.name == counts.ARTICLES))
        written = (
            sa.select(sa.func.count())
            .select_from(Article)
            .where(Article.author_id == User.id)
            .scalar_subquery()
        )
        authors = connection.execute(
            sa.select(User.username, User.articles_count, written).where(
                User.articles_count != written
            )
        ).all()
        commented = (
            sa.select(sa.func.count())
            .select_from(Comment)
            .where(Comment.article_id == Article.id)
            .scalar_subquery()
        )
        comment_counts = connection.execute(
            sa.select(Article.slug, Article.comments_count, commented).where(
                Article.comments_count != commented
            )
        ).all()
    problems = [f"tag {name}: {kept_uses} kept, {real} rows" for name, kept_uses, real in tags]
    problems += [f"author {name}: {kept_n} kept, {real} rows" for name, kept_n, real in authors]
    problems += [
        f"comments of {slug}: {kept_n} kept, {real} rows" for slug, kept_n, real in comment_counts
    ]
    articles = _count(engine, Article)
    if (kept or 0) != articles:
        problems.append(f"articles: {kept} kept, {articles} rows")
    return problems


def test_article_writes_on_the_same_tags_at_once_keep_the_counts_exact(server, stored):
    """Creations, retaggings, a deletion and an account's deletion, all changing the
    counts of the same tags (in different orders of their names and ids) and the
    number of articles: none may deadlock (a 5xx), and every count stays exact."""
    _, first = _sign_up(server)
    _, second = _sign_up(server)
    findings = []
    for number in range(ROUNDS):
        # Tag ids in another order than their names: "zz" is made first.
        z, y, x, w = (unique_name(f"{letter}{number}-").lower() for letter in "zyxw")
        retagged = _publish(server, first, unique_name("Retagged "), [z])
        _publish(server, first, unique_name("Other "), [x, y])
        doomed = _publish(server, second, unique_name("Doomed "), [y, z, w])
        leaver_name, leaver = _sign_up(server, "leaver")
        _publish(server, leaver, unique_name("Leaving "), [w, x, y, z])
        left_behind = _publish(server, leaver, unique_name("Leaving "), [z])
        # Articles the leaver commented on, which others retag and delete meanwhile.
        for slug in (retagged, doomed):
            comment = {"comment": {"body": "from the leaver"}}
            commented = server.request(
                "POST", f"/api/articles/{slug}/comments", body=comment, token=leaver
            )
            assert commented.status == 200, commented.describe()

        def create(token: str, tags: list[str]) -> Outcome:
            article = {"title": unique_name("Burst "), "description": "d", "body": "b"}
            body = {"article": {**article, "tagList": tags}}
            return server.request("POST", "/api/articles", body=body, token=token)

        password = {"user": {"password": PASSWORD}}
        calls: dict[str, Callable[[], Outcome]] = {
            "create one": partial(create, first, [w, x, y, z]),
            "create two": partial(create, second, [z, y]),
            "create three": partial(create, second, [x, w]),
            "retag": partial(
                server.request,
                "PUT",
                f"/api/articles/{retagged}",
                body={"article": {"tagList": [w, y, x]}},
                token=first,
            ),
            "delete": partial(server.request, "DELETE", f"/api/articles/{doomed}", token=second),
            "leave": partial(server.request, "DELETE", "/api/user", body=password, token=leaver),
            # The leaving account writing in another tab meanwhile.
            "leaver creates": partial(create, leaver, [y, w]),
            "leaver deletes": partial(
                server.request, "DELETE", f"/api/articles/{left_behind}", token=leaver
            ),
        }
        replies = dict(zip(calls, fire_together(list(calls.values())), strict=True))
        allowed = {name: {201} for name in calls}
        allowed.update({"retag": {200}, "delete": {204}, "leave": {204}})
        # Before the account's deletion, or refused after it (its token is no more).
        allowed.update({"leaver creates": {201, 401}, "leaver deletes": {204, 401, 404}})
        problems = api_faults(list(replies.values())) + _unexpected(replies, allowed)
        if _count(stored, User, User.username == leaver_name):
            problems.append(f"{leaver_name} is still there")
        problems += _counts_off(stored)
        if problems:
            findings.append(f"round {number}: " + "; ".join(problems))
    _report(server, findings, ROUNDS)
