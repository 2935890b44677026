"""The search box in the header and the /search page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import update

from app.admission import Admission, install
from app.extensions import db
from app.models import Article
from app.rules import SEARCH_MAX
from app.services import articles

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _publish(author, title: str, *, body: str = "Nothing here.", days: int = 0) -> str:
    slug = articles.create_article(
        actor=author, title=title, description="A story", body=body, tag_list=[]
    ).slug
    db.session.execute(
        update(Article).where(Article.slug == slug).values(created_at=T0 + timedelta(days=days))
    )
    db.session.commit()
    return slug


@pytest.mark.parametrize("url", ["/", "/login", "/search", "/profile/jake"])
def test_every_page_has_a_search_box_that_works_without_script(browser, user, url):
    page = browser.get(url)

    (form,) = page.select("nav.navbar form[role=search]")
    assert form["action"] == "/search"
    assert form["method"] == "get"
    assert form.first("input")["name"] == "q"


def test_results_are_listed_best_match_first_with_the_words_highlighted(browser, user):
    _publish(user, "Gardening", body="A **dragon** ate my <script>alert(1)</script> roses", days=2)
    _publish(user, "Dragons of the north", days=1)

    page = browser.get("/search?q=dragon+roses+OR+north")

    assert page.texts(".article-preview h1") == ["Dragons of the north", "Gardening"]
    snippet = page.select(".article-preview .snippet")[1]
    assert [mark.text for mark in snippet.select("mark")] == ["dragon", "roses"]
    # The body's text is escaped (PostgreSQL's headlines leave tag-like words out,
    # SQLite's snippets show them as text): no script element either way.
    assert page.select("script") == []
    assert "<script>" not in page.html
    assert "alert(1)" in snippet.text
    assert page.first("#search-query")["value"] == "dragon roses OR north"


def test_results_come_ten_a_page_with_the_home_pages_pager(browser, user):
    for number in range(12):
        _publish(user, f"Dragon {number}", days=number)

    first = browser.get("/search?q=dragon")
    second = browser.get("/search?q=dragon&page=2")

    assert len(first.select(".article-preview h1")) == 10
    assert first.texts(".article-preview h1")[0] == "Dragon 11"
    assert second.texts(".article-preview h1") == ["Dragon 1", "Dragon 0"]
    assert first.links_to("/search?page=2&q=dragon")
    assert "12 articles found." in first.text


def test_no_match_says_so(browser, user):
    _publish(user, "Dragons")

    page = browser.get("/search?q=unicorns")

    assert page.texts(".empty-state") == ["No articles match your search."]


@pytest.mark.parametrize("query", ["", "a", "  "])
def test_an_empty_or_too_short_query_shows_a_hint(browser, query):
    page = browser.get(f"/search?q={quote(query)}")

    assert "Type at least 2 characters to search." in page.first(".search-hint").text
    assert page.select(".article-preview") == []


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("x" * 10_000, f"is too long (maximum is {SEARCH_MAX} characters)"),
        ("dragon%00", "must not contain NUL characters"),
    ],
)
def test_a_query_that_cannot_be_searched_shows_why_in_the_form(browser, raw, problem):
    page = browser.get(f"/search?q={raw}", status=422)

    assert problem in page.first("#search-problem").text
    assert page.first("#search-query")["aria-invalid"] == "true"


@pytest.mark.parametrize(
    "raw",
    [
        "%ED%A0%80",
        '"unbalanced',
        "-",
        "OR+OR",
        "the+of",
        "%D7%A9%D7%9C%D7%95%D7%9D",
        "%F0%9F%90%89",
    ],
)
def test_hostile_queries_show_a_page(browser, user, raw):
    _publish(user, "Dragon")

    page = browser.get(f"/search?q={raw}&page=99999999999")

    assert page.select("#search-query")


def test_a_search_beyond_the_searches_at_work_shows_a_try_again_page(app, browser, user):
    _publish(user, "Dragons")
    crowded = Admission(1, wait_seconds=0.01)
    install("search", crowded)

    with crowded.admitted():
        page = browser.get("/search?q=dragons", status=503)

    assert page.response.headers["Retry-After"] == "1"
    assert "try again" in page.text.lower()
    assert "Dragons" in browser.get("/search?q=dragons").text
