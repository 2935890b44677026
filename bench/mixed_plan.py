"""The mixed workload's plan: which reads, by whom, and what the writers may write.

Popularity is skewed the way real traffic is: every subject of a read is drawn
from a pool ordered most popular first, with Zipf-like weights (rank r weighs
1/r^s). Articles are ordered by their favorites (in the seeded data the most
favorited are also the most commented), tags by their articles, authors by the
articles they wrote, the users whose favorites are listed and the signed-in
viewers by the favorites they made (the busy readers). Offsets are skewed too:
most lists are read from the first page, some from the second, a few further.

The list is drawn once per run from a seeded generator: the same seed and the
same database give the same requests. Each kind has a fixed share of the list
(`KINDS`); about half of the requests are signed in (the feed always is).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa

from bench.seed import zipf_weights

API_PAGE = 20
# app/web/pages.py's PAGE_SIZE.
WEB_PAGE = 10
# The pools hold the most popular subjects, this many at the most: beyond them a
# Zipf draw would pick each subject about once in the whole list.
POOL = 20_000
# Exponents of the Zipf-like weights.
ARTICLE_SKEW = 0.9
TAG_SKEW = 1.0
AUTHOR_SKEW = 0.9
USER_SKEW = 0.8
PAGE_SKEW = 1.5
MAX_PAGES = 50
FEED_PAGES = 5
# Of every kind but the feed: with the feed, about half of all requests.
SIGNED_IN = 0.46
# What the writers create; the pools leave such articles out on a reused database.
WRITTEN_TITLE = "Write mix article"
WRITTEN_TAGS = ("benchmark", "write-mix")


@dataclass(frozen=True)
class Kind:
    key: str
    share: float
    web: bool
    what: str


KINDS = (
    Kind("list", 0.12, False, "GET /api/articles?limit=20, offsets skewed to the first page"),
    Kind("list-tag", 0.08, False, "GET /api/articles?tag=<tag>&limit=20"),
    Kind("list-author", 0.05, False, "GET /api/articles?author=<author>&limit=20"),
    Kind("list-favorited", 0.03, False, "GET /api/articles?favorited=<user>&limit=20"),
    Kind("feed", 0.07, False, "GET /api/articles/feed?limit=20, always signed in"),
    Kind("article", 0.10, False, "GET /api/articles/<slug>"),
    Kind("comments", 0.08, False, "GET /api/articles/<slug>/comments"),
    Kind("profile", 0.04, False, "GET /api/profiles/<author>"),
    Kind("tags", 0.03, False, "GET /api/tags"),
    Kind("web-home", 0.15, True, "GET / : the global list, ?tag=, ?feed=yours, ?page="),
    Kind("web-article", 0.18, True, "GET /article/<slug>"),
    Kind("web-profile", 0.07, True, "GET /profile/<author> or /profile/<user>/favorites"),
)


@dataclass(frozen=True)
class Read:
    kind: str
    path: str
    # An index into Pools.viewers, or None for an anonymous request.
    viewer: int | None = None


@dataclass
class Pools:
    """The subjects of the reads, most popular first, with their article counts."""

    articles: list[str]
    tags: list[tuple[str, int]]
    authors: list[tuple[str, int]]
    favoriters: list[tuple[str, int]]
    # (username, email) of the signed-in viewers.
    viewers: list[tuple[str, str]]
    total_articles: int


@dataclass
class Popular:
    """Zipf-like draws from one pool."""

    items: Sequence[Any]
    skew: float
    weights: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.weights = zipf_weights(len(self.items), self.skew)

    def draw(self, rng: random.Random) -> Any:
        return rng.choices(self.items, cum_weights=self.weights)[0]


def load_pools(viewers: int) -> Pools:
    """Read the pools from the seeded data (app context); the writers' additions left out."""
    from app.extensions import db
    from app.models import Article, ArticleTag, Favorite, Tag, User

    session = db.session
    seeded = ~Article.title.startswith(WRITTEN_TITLE)
    favorites = (
        sa.select(Favorite.article_id, sa.func.count().label("n"))
        .group_by(Favorite.article_id)
        .subquery()
    )
    articles = session.scalars(
        sa.select(Article.slug)
        .outerjoin(favorites, favorites.c.article_id == Article.id)
        .where(seeded)
        .order_by(sa.func.coalesce(favorites.c.n, 0).desc(), Article.id)
        .limit(POOL)
    ).all()
    n = sa.func.count().label("n")
    tags = session.execute(
        sa.select(Tag.name, n)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(Tag.name.not_in(WRITTEN_TAGS))
        .group_by(Tag.id, Tag.name)
        .order_by(n.desc(), Tag.name)
        .limit(POOL)
    ).all()
    authors = session.execute(
        sa.select(User.username, n)
        .join(Article, Article.author_id == User.id)
        .where(seeded)
        .group_by(User.id, User.username)
        .order_by(n.desc(), User.id)
        .limit(POOL)
    ).all()
    favoriters = session.execute(
        sa.select(User.username, User.email, n)
        .join(Favorite, Favorite.user_id == User.id)
        .group_by(User.id, User.username, User.email)
        .order_by(n.desc(), User.id)
        .limit(POOL)
    ).all()
    total = session.scalar(sa.select(sa.func.count()).select_from(Article).where(seeded)) or 0
    return Pools(
        articles=list(articles),
        tags=[(row.name, row.n) for row in tags],
        authors=[(row.username, row.n) for row in authors],
        favoriters=[(row.username, row.n) for row in favoriters],
        viewers=[(row.username, row.email) for row in favoriters[:viewers]],
        total_articles=total,
    )


def _pages(articles: int, page_size: int) -> int:
    return max(1, min(MAX_PAGES, -(-articles // page_size)))


class _Drawer:
    """Draws one read of each kind; every subject from its pool, Zipf-like."""

    def __init__(self, pools: Pools, rng: random.Random) -> None:
        self.rng = rng
        self.articles = Popular(pools.articles, ARTICLE_SKEW)
        self.tags = Popular(pools.tags, TAG_SKEW)
        self.authors = Popular(pools.authors, AUTHOR_SKEW)
        self.favoriters = Popular(pools.favoriters, USER_SKEW)
        self.viewers = Popular(range(len(pools.viewers)), USER_SKEW)
        self.total = pools.total_articles
        self.page_weights = zipf_weights(MAX_PAGES, PAGE_SKEW)

    def page(self, pages: int) -> int:
        """0 for the first page; further ones ever less often."""
        return self.rng.choices(range(pages), cum_weights=self.page_weights[:pages])[0]

    def api_list(self, articles: int, filters: dict[str, str] | None = None) -> str:
        """A page of a list of `articles` articles."""
        query: dict[str, Any] = {**(filters or {}), "limit": API_PAGE}
        offset = self.page(_pages(articles, API_PAGE)) * API_PAGE
        if offset:
            query["offset"] = offset
        return "/api/articles?" + urlencode(query)

    def path(self, kind: str, signed_in: bool) -> str:
        paths: dict[str, Callable[[], str]] = {
            "list": lambda: self.api_list(self.total),
            "list-tag": lambda: self.filtered(self.tags, "tag"),
            "list-author": lambda: self.filtered(self.authors, "author"),
            "list-favorited": lambda: self.filtered(self.favoriters, "favorited"),
            "feed": self.feed,
            "article": lambda: f"/api/articles/{self.slug()}",
            "comments": lambda: f"/api/articles/{self.slug()}/comments",
            "profile": lambda: f"/api/profiles/{quote(self.authors.draw(self.rng)[0])}",
            "tags": lambda: "/api/tags",
            "web-home": lambda: self.home_page(signed_in),
            "web-article": lambda: f"/article/{self.slug()}",
            "web-profile": self.profile_page,
        }
        return paths[kind]()

    def filtered(self, pool: Popular, key: str) -> str:
        """A page of the list filtered by `key`, its value drawn from `pool`."""
        value, articles = pool.draw(self.rng)
        return self.api_list(articles, {key: value})

    def slug(self) -> str:
        return quote(self.articles.draw(self.rng))

    def feed(self) -> str:
        offset = self.page(FEED_PAGES) * API_PAGE
        return f"/api/articles/feed?limit={API_PAGE}" + (f"&offset={offset}" if offset else "")

    def profile_page(self) -> str:
        if self.rng.random() < 0.25:
            return f"/profile/{quote(self.favoriters.draw(self.rng)[0])}/favorites"
        return f"/profile/{quote(self.authors.draw(self.rng)[0])}"

    def home_page(self, signed_in: bool) -> str:
        rng = self.rng
        if signed_in and rng.random() < 0.3:
            return "/?feed=yours"
        if rng.random() < 0.3:
            return "/?" + urlencode({"tag": self.tags.draw(rng)[0]})
        page = self.page(_pages(self.total, WEB_PAGE))
        return f"/?page={page + 1}" if page else "/"


def draw_reads(pools: Pools, count: int, seed: int) -> list[Read]:
    """`count` reads, each kind its share of them, in a shuffled order."""
    rng = random.Random(seed)
    drawer = _Drawer(pools, rng)
    counts = {kind.key: round(kind.share * count) for kind in KINDS}
    # Rounding's leftover goes to the largest share.
    counts[max(KINDS, key=lambda kind: kind.share).key] += count - sum(counts.values())
    reads = []
    for kind in KINDS:
        for _ in range(counts[kind.key]):
            signed_in = kind.key == "feed" or rng.random() < SIGNED_IN
            viewer = drawer.viewers.draw(rng) if signed_in else None
            reads.append(Read(kind.key, drawer.path(kind.key, signed_in), viewer))
    rng.shuffle(reads)
    return reads


def write_reader_plan(
    reads: Sequence[Read], tokens: Sequence[str], cookies: dict[int, str], path: Any
) -> None:
    """The file bench/mixed.lua reads: the kinds, the credentials, one line a request.

    API reads carry the viewer's `Authorization` token, web reads their session cookie.
    """
    lines = [f"kind {index} {kind.key}" for index, kind in enumerate(KINDS, start=1)]
    for viewer in sorted({read.viewer for read in reads if read.viewer is not None}):
        lines.append(f"auth t{viewer} Authorization: Token {tokens[viewer]}")
        if viewer in cookies:
            lines.append(f"auth c{viewer} Cookie: {cookies[viewer]}")
    index = {kind.key: number for number, kind in enumerate(KINDS, start=1)}
    web = {kind.key for kind in KINDS if kind.web}
    for read in reads:
        auth = "-"
        if read.viewer is not None:
            auth = f"{'c' if read.kind in web else 't'}{read.viewer}"
        lines.append(f"get {index[read.kind]} {auth} {read.path}")
    path.write_text("\n".join(lines) + "\n")


def web_viewers(reads: Sequence[Read]) -> set[int]:
    """The viewers who read web pages signed in: each needs a session cookie."""
    web = {kind.key for kind in KINDS if kind.web}
    return {read.viewer for read in reads if read.viewer is not None and read.kind in web}


def load_writer_users(count: int, articles_each: int = 20) -> list[dict[str, Any]]:
    """The `count` most prolific authors, each with their newest seeded articles as an
    editor shows them (slug, title, description, tags): what the writers edit (app context)."""
    from app.extensions import db
    from app.models import Article, ArticleTag, Tag, User

    session = db.session
    seeded = ~Article.title.startswith(WRITTEN_TITLE)
    n = sa.func.count().label("n")
    names = session.scalars(
        sa.select(User.username)
        .join(Article, Article.author_id == User.id)
        .where(seeded)
        .group_by(User.id, User.username)
        .order_by(n.desc(), User.id)
        .limit(count)
    ).all()
    users = []
    for name in names:
        rows = session.execute(
            sa.select(Article.id, Article.slug, Article.title, Article.description)
            .join(User, User.id == Article.author_id)
            .where(User.username == name, seeded)
            .order_by(Article.created_at.desc(), Article.id.desc())
            .limit(articles_each)
        ).all()
        tags: dict[int, list[str]] = {row.id: [] for row in rows}
        for article_id, tag in session.execute(
            sa.select(ArticleTag.article_id, Tag.name)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .where(ArticleTag.article_id.in_(tags))
            .order_by(ArticleTag.article_id, Tag.name)
        ):
            tags[article_id].append(tag)
        users.append(
            {
                "username": name,
                "articles": [
                    {
                        "slug": row.slug,
                        "title": row.title,
                        "description": row.description,
                        "tagList": tags[row.id],
                    }
                    for row in rows
                ],
            }
        )
    return users
