"""Seed a fresh PostgreSQL database for the load benchmark.

    .venv/bin/python -m bench.seed --scale tiny         # 200 articles, through the services
    .venv/bin/python -m bench.seed --scale small        # 2,000 articles, in batches
    .venv/bin/python -m bench.seed --scale large        # 100,000 articles, in batches
    .venv/bin/python -m bench.seed --scale huge         # 1,000,000 articles, with COPY
    .venv/bin/python -m bench.seed --scale huge --articles 50000 \
        --database-url postgresql://postgres@127.0.0.1:5432/conduit_bench_huge_trial

The database named by --database-url (default `conduit_bench_<scale>` on
127.0.0.1:5432) is dropped and created again (SQLAlchemy, AUTOCOMMIT, on the
server's `postgres` database), `flask db upgrade` builds the schema, then the
data goes in. Everything is drawn from `random.Random(--seed)`: the same seed
gives the same users, titles, tags, follows, favorites and comments.

Every scale is drawn by one plan (`Draws`): users; articles with an author,
title, description, markdown body, 0-4 tags and a creation time; who follows
whom; who favorited what; comments. Popularity is skewed the way real sites are
(a few prolific authors, a few much-favorited articles, a few busy readers),
with Zipf-like weights. The proportions are the same at every scale: 10 articles
per user, 10 favorites per article, 3 comments per article, about 5 follows per
user. The first user is the benchmark's signed-in "viewer": they follow several
prolific authors and have favorites of their own. `--articles N` draws a scale's
plan for N articles, every count in proportion: to try the huge scale's seeding
on a busy machine and extrapolate.

`tiny` (20 users, 200 articles) goes entirely through the services
(`users.register_user`, `articles.create_article`, `profiles.follow_user`,
`favorites.favorite_article`, `comments.add_comment`) inside an app context,
exactly as requests would: one commit per call. Creation times are then "now",
and a slug taken twice gets the service's own random suffix. (Until the mixed
scenario came, this was `small`: the per-URL figures of docs/performance.md
were measured on it.)

`small` (200 users, 2,000 articles), `large` (10,000 users, 100,000 articles)
and `huge` (100,000 users, 1,000,000 articles, 10,000,000 favorites) would take
hours that way (argon2 alone costs ~50 ms a user), so they go in with bulk
inserts, in batches through the models or with COPY (bench/bulk.py says how,
and how they keep the services' rules). The plan is streamed into the database
table after table, so that the huge scale's rows never sit in memory at once.

- Usernames (`rules.USERNAME_PATTERN`, unique whatever their case) and e-mail
  addresses (lower case, unique) are generated unique by construction.
- Follow, favorite and article-tag pairs are drawn into sets, so each pair is
  unique (the primary keys would refuse a duplicate), nobody follows themself,
  and every tag row is used by at least one article.
- The counts the services store are computed from the rows once they are in:
  each article's favorites and comments (`count_favorites`, `count_comments`),
  the number of articles, each author's and each tag's
  (`count_articles_and_tags`); the other
  articlesCounts and `following` are computed by SQL on every request.
  Timestamps are timezone-aware UTC and in order: a user exists before their
  articles, an article before its comments and favorites.

Finally `VACUUM ANALYZE` gives the planner statistics and the visibility map,
as autovacuum would on a database that has lived for a while; without it the
first minutes of a benchmark would measure a freshly bulk-loaded table instead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config import normalise_database_url

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_PASSWORD = "benchmark-password"
# Seeded creation times start here (the large scale spans about two years after it).
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scale:
    users: int
    articles: int
    favorites: int
    comments: int
    follows_per_user: int
    tags: int
    viewer_follows: int
    viewer_favorites: int
    # How the rows go in: "services" (one service call each), "batch" (executemany
    # through the models) or "copy" (PostgreSQL COPY, see bench/bulk.py).
    method: str

    def scaled_to(self, articles: int) -> Scale:
        """The same proportions for `articles` articles: to try a large scale's seeding."""
        factor = articles / self.articles
        return replace(
            self,
            users=max(2, round(self.users * factor)),
            articles=articles,
            favorites=round(self.favorites * factor),
            comments=round(self.comments * factor),
        )


def _proportional(
    users: int,
    articles: int,
    *,
    tags: int,
    viewer_follows: int,
    viewer_favorites: int,
    method: str,
) -> Scale:
    """A scale in every scale's proportions: 10 favorites and 3 comments an article,
    about 5 follows a user."""
    return Scale(
        users=users,
        articles=articles,
        favorites=10 * articles,
        comments=3 * articles,
        follows_per_user=5,
        tags=tags,
        viewer_follows=viewer_follows,
        viewer_favorites=viewer_favorites,
        method=method,
    )


SCALES = {
    # The 200 articles the per-URL figures of docs/performance.md were measured on
    # (then called "small").
    "tiny": _proportional(
        20, 200, tags=25, viewer_follows=8, viewer_favorites=30, method="services"
    ),
    "small": _proportional(
        200, 2_000, tags=100, viewer_follows=10, viewer_favorites=50, method="batch"
    ),
    "large": _proportional(
        10_000, 100_000, tags=500, viewer_follows=40, viewer_favorites=200, method="batch"
    ),
    "huge": _proportional(
        100_000, 1_000_000, tags=1_000, viewer_follows=100, viewer_favorites=500, method="copy"
    ),
}

_WORDS_TEXT = (
    "able about above across action actually after again against agent already also always "
    "among answer anyone appear apply approach area argue around article attention author "
    "available away back balance base become before begin behind believe benefit better "
    "between beyond both bring build business cache call capital care carry case cause "
    "center certain chance change choice claim clear close code collect common company "
    "concern consider continue control cost could country course create culture current "
    "data deal debate decide deep defend degree design detail develop different direction "
    "discover discuss document during early easy economy effect effort either energy enough "
    "entire environment evening event every evidence example expect experience explain "
    "factor feature field figure final find focus follow force form forward free friend "
    "future garden general goal good great ground group grow guess happen hard health hear "
    "heavy history hold home hope however human idea image impact improve include increase "
    "indeed information inside instead interest issue itself join keep kind know language "
    "large later layer lead learn least leave level light likely line list little local "
    "long look machine main maintain major manage market matter maybe measure memory method "
    "middle might mind minute model modern moment money month morning move much music "
    "nature near need network never next night note notice number offer often open order "
    "other outside over page paper part pass pattern people perform perhaps period person "
    "picture piece place plan point policy popular position power practice prepare present "
    "pressure pretty prevent price problem process produce product program project prove "
    "provide public pull purpose quality question quickly quite rather reach read ready "
    "real reason receive record reduce reflect region remain remember report request "
    "require research resource response rest result return reveal right rise risk road role "
    "rule safe same save scale scene school science search season second section security "
    "seek seem sense series serve service session several shape share short should show "
    "side signal simple since single site size skill small social some sort source space "
    "speak special stage stand standard start state step still stock store story strategy "
    "street strong structure study style subject success suggest summer support surface "
    "system table talk task teach team tell term test than theory thing think though "
    "thought through time today together tonight total toward trade travel treat tree trial "
    "true truth turn type under understand unit until upon useful usually value various "
    "version view visit voice wait walk wall watch water wave week weight well while whole "
    "window winter within without wonder word work world worry write year young"
)
WORDS = _WORDS_TEXT.split()

_TOPICS_TEXT = (
    "python flask postgres redis docker kubernetes rust golang javascript typescript react "
    "vue svelte css html design testing devops security linux databases caching performance "
    "architecture api graphql rest cloud aws serverless machine-learning data-science ai "
    "career productivity writing open-source startups management agile remote-work "
    "accessibility mobile android ios frontend backend fullstack tutorial beginners news "
    "opinion review history music travel food photography books science health"
)
TOPICS = _TOPICS_TEXT.split()

_FIRST_NAMES_TEXT = (
    "ada alan anna ben chloe dan eva finn grace hana ian ivy jack jane kai lara leo lina "
    "mara max mia nina noah olga omar paul quinn rosa sam sara tom uma vera will xena yara zoe"
)
FIRST_NAMES = _FIRST_NAMES_TEXT.split()


# --- the plan ------------------------------------------------------------------------


@dataclass
class PlannedUser:
    username: str
    email: str
    bio: str | None
    image: str | None
    created_at: datetime


@dataclass
class PlannedArticle:
    author: int
    title: str
    description: str
    body: str
    tags: list[str]
    created_at: datetime


@dataclass
class PlannedComment:
    article: int
    author: int
    body: str
    created_at: datetime


@dataclass
class Plan:
    users: list[PlannedUser] = field(default_factory=list)
    articles: list[PlannedArticle] = field(default_factory=list)
    # (follower, followed) and (user, article) indexes into the lists above.
    follows: list[tuple[int, int]] = field(default_factory=list)
    favorites: list[tuple[int, int]] = field(default_factory=list)
    comments: list[PlannedComment] = field(default_factory=list)


def zipf_weights(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf-like weights of `count` ranks, the first the heaviest."""
    return list(itertools.accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


def _zipf_cumulative(
    count: int, rng: random.Random, exponent: float
) -> tuple[list[int], list[float]]:
    """A random order of range(count) and cumulative Zipf-like weights for it."""
    order = list(range(count))
    rng.shuffle(order)
    return order, zipf_weights(count, exponent)


def _distinct_draws(
    rng: random.Random,
    population: list[int],
    cumulative: list[float],
    count: int,
    *,
    exclude: int | None = None,
) -> set[int]:
    """`count` distinct members of `population`, drawn by weight (uniform when dense)."""
    available = len(population) - (1 if exclude is not None else 0)
    count = min(count, available)
    if count <= 0:
        return set()
    if count > available // 4:
        pool = [item for item in population if item != exclude]
        return set(rng.sample(pool, count))
    chosen: set[int] = set()
    while len(chosen) < count:
        for item in rng.choices(population, cum_weights=cumulative, k=count - len(chosen)):
            if item != exclude:
                chosen.add(item)
                if len(chosen) == count:
                    break
    return chosen


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, 6, 16) for _ in range(rng.randint(2, 5)))


def _body(rng: random.Random) -> str:
    parts = [_paragraph(rng)]
    for _ in range(rng.randint(1, 3)):
        parts.append(f"## {_sentence(rng, 2, 5)[:-1]}")
        parts.append(_paragraph(rng))
    if rng.random() < 0.3:
        parts.append("\n".join(f"- {_sentence(rng, 3, 8)}" for _ in range(rng.randint(2, 4))))
    return "\n\n".join(parts)


def _tag_names(count: int, rng: random.Random) -> list[str]:
    names = list(TOPICS[:count])
    seen = set(names)
    while len(names) < count:
        name = f"{rng.choice(TOPICS)}-{rng.choice(WORDS)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _planned_user(rng: random.Random, index: int) -> PlannedUser:
    name = f"{rng.choice(FIRST_NAMES)}_{index:05d}"
    return PlannedUser(
        username=name,
        email=f"{name}@bench.example.com",
        bio=_sentence(rng, 4, 12) if rng.random() < 0.6 else None,
        image=(f"https://images.example.com/avatars/{index}.png" if rng.random() < 0.4 else None),
        created_at=EPOCH + timedelta(minutes=index),
    )


def _spacing(articles: int) -> int:
    """Seconds between two articles, on average: beyond a thousand, two years in all."""
    return 3600 if articles <= 1000 else max(60, 60_000_000 // articles)


class Draws:
    """The plan's random draws, one table after another, from one seeded generator.

    They share the generator, so they are taken in this order, each once: the users
    (drawn here), `articles()`, `follows()`, `favorites()`, `comments()`. Streamed,
    a million articles and ten million favorites never sit in memory at once;
    `build_plan` keeps them all, for the services. The same seed gives the same data.
    """

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rng = rng = random.Random(seed)
        self.users = [_planned_user(rng, index) for index in range(scale.users)]
        # Authors: a few write a lot. The viewer (user 0) reads and follows, the most
        # prolific authors among others.
        self.authors = _zipf_cumulative(scale.users, rng, 0.9)
        self.activity = _zipf_cumulative(scale.users, rng, 0.7)
        self.tag_names = _tag_names(scale.tags, rng)
        self.tags = _zipf_cumulative(len(self.tag_names), rng, 1.0)
        # What favorites and comments need of the articles drawn before them.
        self.article_times: list[datetime] = []
        self.article_popularity: tuple[list[int], list[float]] | None = None

    def articles(self) -> Iterator[PlannedArticle]:
        rng, count = self.rng, self.scale.articles
        tag_order, tag_weights = self.tags
        first_article = EPOCH + timedelta(minutes=self.scale.users + 60)
        spacing = _spacing(count)
        authors = rng.choices(self.authors[0], cum_weights=self.authors[1], k=count)
        for index in range(count):
            tags = {
                self.tag_names[i]
                for i in rng.choices(
                    tag_order, cum_weights=tag_weights, k=rng.choice((0, 1, 2, 2, 3, 4))
                )
            }
            article = PlannedArticle(
                author=authors[index],
                title=_sentence(rng, 3, 8)[:-1].title(),
                description=_sentence(rng, 8, 20),
                body=_body(rng),
                tags=sorted(tags),
                created_at=first_article
                + timedelta(seconds=index * spacing + rng.randrange(spacing)),
            )
            self.article_times.append(article.created_at)
            yield article

    def follows(self) -> list[tuple[int, int]]:
        """About `follows_per_user` each, towards the prolific authors; sorted."""
        rng, scale = self.rng, self.scale
        follows: set[tuple[int, int]] = set()
        for follower in range(scale.users):
            wanted = (
                scale.viewer_follows
                if follower == 0
                else rng.randint(0, 2 * scale.follows_per_user)
            )
            for followed in _distinct_draws(rng, *self.authors, wanted, exclude=follower):
                follows.add((follower, followed))
        return sorted(follows)

    def favorites(self) -> Iterator[tuple[int, int]]:
        """(user, article): busy readers favorite more; popular articles are favorited more."""
        rng, scale = self.rng, self.scale
        assert len(self.article_times) == scale.articles, "draw the articles first"
        self.article_popularity = _zipf_cumulative(scale.articles, rng, 0.6)
        per_user = Counter(
            rng.choices(self.activity[0], cum_weights=self.activity[1], k=scale.favorites)
        )
        cap = scale.articles * 3 // 4
        for user in range(scale.users):
            wanted = min(per_user.get(user, 0), cap)
            if user == 0:
                wanted = max(wanted, min(scale.viewer_favorites, cap))
            for article in sorted(_distinct_draws(rng, *self.article_popularity, wanted)):
                yield user, article

    def comments(self) -> Iterator[PlannedComment]:
        """On popular articles, by busy readers, after the article was written; unsorted."""
        rng, count = self.rng, self.scale.comments
        assert self.article_popularity is not None, "draw the favorites first"
        order, weights = self.article_popularity
        commented = rng.choices(order, cum_weights=weights, k=count)
        commenters = rng.choices(self.activity[0], cum_weights=self.activity[1], k=count)
        for article, author in zip(commented, commenters, strict=True):
            yield PlannedComment(
                article=article,
                author=author,
                body=" ".join(_sentence(rng, 4, 18) for _ in range(rng.randint(1, 3))),
                created_at=self.article_times[article]
                + timedelta(seconds=rng.randrange(1, 14 * 24 * 3600)),
            )


def build_plan(scale: Scale, seed: int) -> Plan:
    """Everything to seed, in lists, the comments in the order they were written."""
    draws = Draws(scale, seed)
    plan = Plan(users=draws.users)
    plan.articles = list(draws.articles())
    plan.follows = draws.follows()
    plan.favorites = list(draws.favorites())
    plan.comments = sorted(draws.comments(), key=lambda comment: comment.created_at)
    return plan


# --- the database --------------------------------------------------------------------


def default_database_url(scale: str) -> str:
    return f"{DEFAULT_SERVER}/conduit_bench_{scale}"


def recreate_database(database_url: str) -> None:
    """DROP and CREATE the database, from the server's `postgres` database."""
    url = sa.make_url(normalise_database_url(database_url))
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(url.database)
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """What the seeding app (and `flask db upgrade`) runs with: this database, no Redis."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("BENCH_SEED_SECRET") or secrets.token_urlsafe(32),
        "JWT_SECRET_KEY": "",
        "REDIS_URL": "",
        "CACHE_TYPE": "SimpleCache",
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "console",
        # Bulk loads and index builds take minutes at the larger scales.
        "DATABASE_STATEMENT_TIMEOUT_MS": "0",
        "DATABASE_REPLY_TIMEOUT_MS": "",
        **extra,
    }
    env.pop("FLASK_DEBUG", None)
    return env


def migrate(database_url: str) -> None:
    """`flask db upgrade` on the database, as a deployment does."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=app_environment(database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask db upgrade failed:\n{done.stdout}\n{done.stderr}")


def _make_app(database_url: str, **extra: str) -> Any:
    os.environ.update(app_environment(database_url, **extra))
    from app import create_app

    return create_app()


def seed_with_services(plan: Plan) -> None:
    """Every row through a service call, as requests would make them."""
    from app.services import articles, comments, favorites, profiles, users

    actors = [
        users.register_user(username=user.username, email=user.email, password=BENCH_PASSWORD)
        for user in plan.users
    ]
    for actor, planned in zip(actors, plan.users, strict=True):
        if planned.bio or planned.image:
            users.update_user(user=actor, bio=planned.bio, image=planned.image)
    print(f"  users: {len(actors)}", flush=True)
    slugs = [
        articles.create_article(
            actor=actors[article.author],
            title=article.title,
            description=article.description,
            body=article.body,
            tag_list=article.tags,
        ).slug
        for article in plan.articles
    ]
    print(f"  articles: {len(slugs)}", flush=True)
    for follower, followed in plan.follows:
        profiles.follow_user(actor=actors[follower], username=plan.users[followed].username)
    print(f"  follows: {len(plan.follows)}", flush=True)
    for user, article in plan.favorites:
        favorites.favorite_article(actor=actors[user], slug=slugs[article])
    print(f"  favorites: {len(plan.favorites)}", flush=True)
    for comment in plan.comments:
        comments.add_comment(
            actor=actors[comment.author], slug=slugs[comment.article], body=comment.body
        )
    print(f"  comments: {len(plan.comments)}", flush=True)


def vacuum_analyze(database_url: str) -> None:
    engine = sa.create_engine(normalise_database_url(database_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def count_favorites(session: Any) -> None:
    """Store each article's favorites count, as the services keep it (the bulk paths
    insert favorites rows beside them), with the statement of migration 0006."""
    session.execute(
        sa.text(
            "UPDATE articles SET favorites_count = "
            "(SELECT count(*) FROM favorites WHERE favorites.article_id = articles.id) "
            "WHERE EXISTS (SELECT 1 FROM favorites WHERE favorites.article_id = articles.id)"
        )
    )
    session.commit()


def count_comments(session: Any) -> None:
    """Store each article's comments count, as the services keep it (the bulk paths
    insert comments rows beside them), with the statement of migration 0012."""
    session.execute(
        sa.text(
            "UPDATE articles SET comments_count = counted.number FROM "
            "(SELECT article_id, count(*) AS number FROM comments GROUP BY article_id) AS counted "
            "WHERE articles.id = counted.article_id"
        )
    )
    session.commit()


def index_for_search(app: Any) -> int:
    """Write each article's searchable words, as migration 0009 does for existing rows
    (the bulk paths insert articles beside the services): batches of 2,000, then the
    GIN index built once, as the migration builds it after filling the column."""
    from app.extensions import db
    from app.models import Article
    from app.models.search import POSTGRES_INDEX
    from app.queries.search_index import fill_documents

    (index,) = (index for index in Article.__table__.indexes if index.name == POSTGRES_INDEX)
    with db.engine.connect() as connection:
        index.drop(connection, checkfirst=True)
        connection.commit()
        count = fill_documents(connection, language=app.config["SEARCH_LANGUAGE"])
        index.create(connection)
        connection.commit()
    return count


def count_articles_and_tags(session: Any) -> None:
    """Store the number of articles, each author's and each tag's, as the services keep
    them (the bulk paths insert rows beside them), as migration 0008 counts them."""
    from app import counts
    from app.models import Article, ArticleTag, Counter, Tag, User

    written = (
        sa.select(sa.func.count())
        .select_from(Article)
        .where(Article.author_id == User.id)
        .scalar_subquery()
    )
    session.execute(
        sa.update(User)
        .where(sa.exists().where(Article.author_id == User.id))
        .values(articles_count=written, updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )
    uses = (
        sa.select(sa.func.count())
        .select_from(ArticleTag)
        .where(ArticleTag.tag_id == Tag.id)
        .scalar_subquery()
    )
    session.execute(
        sa.update(Tag)
        .where(sa.exists().where(ArticleTag.tag_id == Tag.id))
        .values(articles_count=uses)
        .execution_options(synchronize_session=False)
    )
    session.execute(sa.delete(Counter).where(Counter.name == counts.ARTICLES))
    session.execute(
        sa.insert(Counter).from_select(
            ["name", "value"],
            sa.select(sa.literal(counts.ARTICLES), sa.func.count()).select_from(Article),
        )
    )
    session.commit()


def table_counts(session: Any) -> dict[str, int]:
    from app.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User

    return {
        model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in (User, Article, Tag, ArticleTag, Follow, Favorite, Comment)
    }


def seed(
    scale_name: str,
    *,
    database_url: str,
    seed: int,
    method: str | None = None,
    articles: int | None = None,
) -> dict[str, Any]:
    """Create the database afresh, migrate it and fill it; return what went in and how long.

    `articles` scales the plan down (or up) to that many articles, every count in
    proportion: to try a scale's seeding path on a busy machine and extrapolate.
    """
    scale = SCALES[scale_name]
    if articles is not None:
        scale = scale.scaled_to(articles)
    method = method or scale.method
    started = time.monotonic()
    print(f"seeding {scale_name} ({method}) into {sa.make_url(database_url).database}", flush=True)
    recreate_database(database_url)
    migrate(database_url)
    migrated = time.monotonic()
    # The cheapest argon2id the config allows, for the bulk paths' one hash.
    cheap = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "8"} if method != "services" else {}
    app = _make_app(database_url, **cheap)
    with app.app_context():
        from app.extensions import db

        if method == "services":
            seed_with_services(build_plan(scale, seed))
            tables: dict[str, Any] = {}
        else:
            from bench import bulk

            tables = bulk.seed_in_bulk(Draws(scale, seed), seed, method)
            count_favorites(db.session)
            count_comments(db.session)
            count_articles_and_tags(db.session)
            db.session.remove()
            indexed = time.monotonic()
            searchable = index_for_search(app)
            print(
                f"  search: {searchable:,} articles indexed in {time.monotonic() - indexed:.0f}s",
                flush=True,
            )
        counts = table_counts(db.session)
        db.session.remove()
        db.engine.dispose()
    loaded = time.monotonic()
    vacuum_analyze(database_url)
    finished = time.monotonic()
    result = {
        "scale": scale_name,
        "method": method,
        "seed": seed,
        "database": sa.make_url(database_url).database,
        "plan": asdict(scale),
        "counts": counts,
        "tables": tables,
        "seconds": {
            "create_and_migrate": round(migrated - started, 1),
            # Drawing the plan and inserting it: the bulk paths stream one into the other.
            "load": round(loaded - migrated, 1),
            "vacuum_analyze": round(finished - loaded, 1),
            "total": round(finished - started, 1),
        },
    }
    seconds = result["seconds"]
    print("  " + ", ".join(f"{name} {count:,}" for name, count in counts.items()), flush=True)
    print(
        f"seeded in {seconds['total']}s (drawn and loaded in {seconds['load']}s, "
        f"vacuum analyze {seconds['vacuum_analyze']}s)",
        flush=True,
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--database-url", help="default: conduit_bench_<scale> on 127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--method",
        choices=("services", "batch", "copy"),
        help="default: the scale's (services for tiny, batch for small and large, copy for huge)",
    )
    parser.add_argument(
        "--articles",
        type=int,
        help="scale the plan to this many articles, the rest in proportion (to try a "
        "scale's seeding and extrapolate; give a --database-url of its own)",
    )
    parser.add_argument("--json-out", type=Path, help="also write what was seeded, as JSON, here")
    args = parser.parse_args(argv)
    result = seed(
        args.scale,
        database_url=args.database_url or default_database_url(args.scale),
        seed=args.seed,
        method=args.method,
        articles=args.articles,
    )
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
