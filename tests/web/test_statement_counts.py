"""Every page runs a fixed number of SQL statements, whatever it shows (no N+1).

Each page is fetched twice: over a small world (one article per list, one comment)
and again after the world has grown (full pages of ten articles with several tags
and favorites each, fifteen comments). The count must be the same, and exactly:

    page                            anonymous   signed in
    /              (global feed)        2           3
    /?tag=dragons  (tag feed)           2           3
    /?feed=yours   (your feed)          -           3
    /article/<slug>                     2           3
    /profile/<username>                 2           3
    /profile/<username>/favorites       2           3
    /editor                             -           1
    /editor/<slug>                      -           3
    /settings                           -           2
    /search?q=dragons                  1 (4)       2 (5)

A list is one statement: the page of articles with authors, counts, flags and
tags, and the number of matches; the home page adds the popular tags, a profile
page the profile. The article page is: the article with its tags, then a page
of its comments with their number (a page with no comment counts them apart).
The editor page reads nothing but the session's account; the edit page adds the
article (a row to check its author, then the article with its tags), the
settings page the account itself, whose fields fill its form. Signed in, one
more statement finds the session's account (its id, name and picture, as every
page shows them).

A search page is one statement on SQLite, where the page carries its snippets;
PostgreSQL adds three (in brackets): the search's own time limit set and set
back around the page (app/queries/search.py), and the snippets of the page's
ten bodies.

The article page shows one page of comments: an article with 1,205 comments
costs what one with three does, in statements and in rows fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import User
from app.services import articles, favorites, profiles
from app.web import articles as web_articles
from tests.conftest import POSTGRES_URL, StatementCounter
from tests.factories import CommentFactory, UserFactory, insert_comments
from tests.web.helpers import Browser, Page

TAGS = ["fire", "ice", "scales", "wings", "hoard"]
LARGE_ARTICLES = 25
LARGE_COMMENTS = 15
SEARCH_STATEMENTS = 4 if POSTGRES_URL else 1


@dataclass
class World:
    jake: User
    celeb: User
    fan: User
    own_slug: str
    busy_slug: str
    grown: bool = field(default=False)

    def grow(self) -> None:
        """Fill every list: full pages of articles, many tags and favorites, 15 comments."""
        for number in range(1, LARGE_ARTICLES):
            slug = _write(self.celeb, f"Dragons {number}", ["dragons", *_tags(number)])
            favorites.favorite_article(actor=self.fan, slug=slug)
            if number % 2:
                favorites.favorite_article(actor=self.jake, slug=slug)
        articles.update_article(actor=self.jake, slug=self.own_slug, tag_list=["dragons", *TAGS])
        busy = articles.load_article(self.busy_slug)
        for number in range(1, LARGE_COMMENTS):
            author = (self.jake, self.celeb, self.fan)[number % 3]
            CommentFactory(article=busy, author=author)
        self.grown = True


def _tags(number: int) -> list[str]:
    return [TAGS[number % len(TAGS)], TAGS[(number + 2) % len(TAGS)]]


def _write(author: User, title: str, tags: list[str]) -> str:
    return articles.create_article(
        actor=author, title=title, description="d", body="b", tag_list=tags
    ).slug


@pytest.fixture
def world(user: User, other_user: User) -> World:
    """One article by celeb (favorited by fan, commented once), one by jake; jake follows celeb."""
    fan = UserFactory(username="fan")
    busy = _write(other_user, "Dragons 0", ["dragons", "fire"])
    own = _write(user, "Own", ["dragons"])
    favorites.favorite_article(actor=fan, slug=busy)
    profiles.follow_user(actor=user, username="celeb")
    CommentFactory(article=articles.load_article(busy), author=fan)
    return World(jake=user, celeb=other_user, fan=fan, own_slug=own, busy_slug=busy)


@dataclass(frozen=True)
class Case:
    page: str
    url: str
    anonymous: int | None
    signed_in: int
    # What grows on the page: a CSS selector and its counts in the small and large worlds.
    items: str
    small: int
    large: int


CASES = [
    Case("global feed", "/", 2, 3, ".article-preview h1", 2, 10),
    Case("tag feed", "/?tag=dragons", 2, 3, ".article-preview h1", 2, 10),
    Case("your feed", "/?feed=yours", None, 3, ".article-preview h1", 1, 10),
    Case("article page", "/article/{busy}", 2, 3, "#comments .card-text", 1, LARGE_COMMENTS),
    Case("profile", "/profile/celeb", 2, 3, ".article-preview h1", 1, 10),
    Case("favorites tab", "/profile/fan/favorites", 2, 3, ".article-preview h1", 1, 10),
    # The forms of the page itself, not the header's search box.
    Case("editor", "/editor", None, 1, "main form", 1, 1),
    Case("edit page", "/editor/{own}", None, 3, "main form", 1, 1),
    Case("settings", "/settings", None, 2, "main form", 3, 3),
    Case(
        "search",
        "/search?q=dragons",
        SEARCH_STATEMENTS,
        SEARCH_STATEMENTS + 1,
        ".article-preview .snippet",
        2,
        10,
    ),
]


def _fetch(browser: Browser, statements: StatementCounter, url: str) -> tuple[int, Page]:
    statements.reset()
    page = browser.get(url)
    return statements.count, page


def _cases(viewer: str) -> list[pytest.param]:
    return [
        pytest.param(case, id=case.page)
        for case in CASES
        if viewer == "signed in" or case.anonymous is not None
    ]


def _check(
    case: Case, browser: Browser, statements: StatementCounter, world: World, *, expected: int
) -> None:
    url = case.url.format(busy=world.busy_slug, own=world.own_slug)

    small_count, small_page = _fetch(browser, statements, url)
    world.grow()
    large_count, large_page = _fetch(browser, statements, url)

    assert len(small_page.select(case.items)) == case.small
    assert len(large_page.select(case.items)) == case.large
    assert (small_count, large_count) == (expected, expected), statements.statements


@pytest.mark.parametrize("case", _cases("anonymous"))
def test_anonymous_pages_run_a_fixed_number_of_statements(browser, statements, world, case):
    _check(case, browser, statements, world, expected=case.anonymous)


@pytest.mark.parametrize("case", _cases("signed in"))
def test_signed_in_pages_run_a_fixed_number_of_statements(signed_in, statements, world, case):
    _check(case, signed_in, statements, world, expected=case.signed_in)


def test_signed_in_pages_cost_one_statement_more_than_anonymous_ones():
    assert all(case.signed_in == case.anonymous + 1 for case in CASES if case.anonymous is not None)


# Comments by the thousand -----------------------------------------------------------


class FetchCounter(StatementCounter):
    """Counts the SQL statements the app sends, and the rows its queries return."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        super().__call__(conn, cursor, statement, parameters, *args)
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.queries.append((statement, parameters))

    def reset(self) -> None:
        super().reset()
        self.queries.clear()

    def rows(self) -> int:
        """The rows the queries since the last reset fetched (each is run again to count)."""
        queries = list(self.queries)
        with db.engine.connect() as connection:
            return sum(
                len(connection.exec_driver_sql(statement, parameters).all())
                for statement, parameters in queries
            )


@pytest.fixture
def fetches(app: Flask) -> Iterator[FetchCounter]:
    counter = FetchCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(db.engine, "before_cursor_execute", counter)


def _cost(browser: Browser, fetches: FetchCounter, url: str) -> tuple[int, int, Page]:
    fetches.reset()
    page = browser.get(url)
    count = fetches.count
    return count, fetches.rows(), page


@pytest.fixture
def short_and_long(user: User, other_user: User, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs of an article with 3 comments and of one with 1,205, 3 comments a page.

    Pages of three: the short article fills its page too, so both pages show as many
    comments, and must send as many statements and fetch as many rows.
    """
    monkeypatch.setattr(web_articles, "COMMENTS_PER_PAGE", 3)
    slugs = []
    for title, count in (("Short", 3), ("Long", 1205)):
        slug = _write(other_user, title, ["dragons"])
        insert_comments(article=articles.load_article(slug), author=user, count=count)
        slugs.append(slug)
    return slugs


@pytest.mark.parametrize("viewer", ["anonymous", "signed in"])
def test_an_article_with_1205_comments_costs_what_one_with_3_does(
    browser, user, fetches, short_and_long, viewer
):
    short, long = short_and_long
    if viewer == "signed in":
        browser.sign_in(user.email)

    short_statements, short_rows, short_page = _cost(browser, fetches, f"/article/{short}")
    long_statements, long_rows, long_page = _cost(browser, fetches, f"/article/{long}")

    assert (long_statements, long_rows) == (short_statements, short_rows), fetches.statements
    assert short_statements == (2 if viewer == "anonymous" else 3)
    assert short_page.texts("#comments .card-text") == ["Comment 2", "Comment 1", "Comment 0"]
    assert long_page.texts("#comments .card-text") == [
        "Comment 1204",
        "Comment 1203",
        "Comment 1202",
    ]
    assert long_page.texts(".pagination a.page-link")[-1] == "402"
