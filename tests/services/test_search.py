"""Full-text search: what matches, in which order, with which words highlighted, and
what hostile queries get. The same tests run on SQLite (FTS5) and PostgreSQL
(tsvector), which must behave alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from app.exceptions import Invalid
from app.extensions import db
from app.models import Article, User
from app.queries.search import CANDIDATES
from app.queries.search_text import (
    ENGLISH_STOP_WORDS,
    MATCH_END,
    MATCH_START,
    fts5_expression,
    plain_text,
)
from app.rules import SEARCH_MAX, search_problem
from app.services import accounts, articles, favorites, profiles, search

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _publish(
    author: User,
    title: str,
    *,
    description: str = "A story",
    body: str = "Nothing to see.",
    tags: tuple[str, ...] = (),
    at: datetime | None = None,
) -> str:
    slug = articles.create_article(
        actor=author, title=title, description=description, body=body, tag_list=tags
    ).slug
    if at is not None:
        db.session.execute(update(Article).where(Article.slug == slug).values(created_at=at))
        db.session.commit()
    return slug


def _titles(query: str, **filters: Any) -> list[str]:
    page = search.search_articles(viewer_id=None, query=query, **filters)
    return [article.title for article in page.articles]


def test_a_title_match_ranks_above_a_body_match_however_new(user):
    _publish(user, "Gardening", body="Dragons eat the roses.", at=T0 + timedelta(days=2))
    _publish(user, "Dragons of the north", at=T0)

    assert _titles("dragons") == ["Dragons of the north", "Gardening"]


def test_equal_matches_come_newest_first(user):
    for day in (1, 3, 2):
        _publish(user, f"Dragon day {day}", at=T0 + timedelta(days=day))

    assert _titles("dragon") == ["Dragon day 3", "Dragon day 2", "Dragon day 1"]


def test_word_forms_match_by_their_stem(user):
    _publish(user, "How I trained my dragons")

    assert _titles("training dragon") == ["How I trained my dragons"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("wings", ["Tagged"]),
        ("knights", ["Described"]),
        ("scales", ["Bodied"]),
        ("important", ["Bodied"]),
        ("castle", ["Bodied"]),
    ],
)
def test_titles_descriptions_bodies_and_tags_match(user, query, found):
    _publish(user, "Tagged", tags=("wings",))
    _publish(user, "Described", description="Of knights")
    _publish(user, "Bodied", body="Its **important** scales, [a castle](https://example.com/x)")

    assert _titles(query) == found


def test_a_bodys_markdown_syntax_and_link_targets_are_not_searched(user):
    _publish(user, "Linked", body="See [the map](https://example.com/secretplace) `#heading`")

    assert _titles("secretplace") == []
    assert _titles("example") == []
    assert _titles("map") == ["Linked"]
    assert plain_text("## Title\n\n**bold** [text](https://x.example/y)") == "Title\nbold text"


def test_a_quoted_phrase_matches_its_words_in_order(user):
    _publish(user, "Big cats", body="The big cats sleep.")
    _publish(user, "Cats", body="Cats are never big.")

    assert _titles('"big cats"') == ["Big cats"]
    assert sorted(_titles("big cats")) == ["Big cats", "Cats"]


def test_stop_words_match_nothing_alone_and_stay_inside_phrases(user):
    _publish(user, "The dragon", body="Out of the cave came the dragon.")
    _publish(user, "Wolves", body="A pack in the snow.")

    assert _titles("the") == []
    assert _titles("the of and") == []
    assert _titles('"of the"') == []
    assert _titles("the dragon") == ["The dragon"]
    assert _titles('"the dragon"') == ["The dragon"]
    assert _titles("the OR wolves") == ["Wolves"]


def test_a_minus_word_excludes_and_or_offers_either(user):
    _publish(user, "Dragons and fire", at=T0)
    _publish(user, "Dragons and ice", at=T0 + timedelta(days=1))
    _publish(user, "Wolves", at=T0 + timedelta(days=2))

    assert _titles("dragons -ice") == ["Dragons and fire"]
    assert _titles("ice OR wolves") == ["Wolves", "Dragons and ice"]
    assert _titles("-dragons") == []


def test_search_combines_with_tag_author_and_favorited(user, other_user):
    mine = _publish(user, "Dragon mine", tags=("fire",))
    _publish(other_user, "Dragon theirs", tags=("fire",))
    _publish(user, "Dragon untagged")
    favorites.favorite_article(actor=other_user, slug=mine)

    assert _titles("dragon", tag="fire", author="JAKE") == ["Dragon mine"]
    assert _titles("dragon", favorited="celeb") == ["Dragon mine"]
    assert _titles("dragon", tag="missing") == []
    assert _titles("dragon", author="nobody") == []


def test_pages_and_the_total(user):
    for number in range(5):
        _publish(user, f"Dragon {number}", at=T0 + timedelta(days=number))

    first = search.search_articles(viewer_id=None, query="dragon", limit=2)
    past_the_end = search.search_articles(viewer_id=None, query="dragon", limit=2, offset=10)

    assert [a.title for a in first.articles] == ["Dragon 4", "Dragon 3"]
    assert first.total == 5
    assert (past_the_end.articles, past_the_end.total) == ([], 5)


def test_the_viewers_flags_are_shown(user, other_user):
    slug = _publish(other_user, "Dragon")
    favorites.favorite_article(actor=user, slug=slug)
    profiles.follow_user(actor=user, username="celeb")

    (found,) = search.search_articles(viewer_id=user.id, query="dragon").articles

    assert found.favorited
    assert found.author.following
    assert found.favorites_count == 1


def test_an_edit_shows_in_the_next_search(user):
    slug = _publish(user, "Dragons", tags=("fire",))

    articles.update_article(actor=user, slug=slug, title="Wolves")
    assert _titles("dragons") == []
    assert _titles("wolves") == ["Wolves"]

    articles.update_article(actor=user, slug="wolves", body="Now about griffins.")
    articles.update_article(actor=user, slug="wolves", tag_list=["ice"])
    assert _titles("griffins") == ["Wolves"]
    assert _titles("ice") == ["Wolves"]
    assert _titles("fire") == []


def test_a_deleted_article_is_not_found_again(user, other_user):
    slug = _publish(user, "Dragons")
    _publish(other_user, "Dragons too")

    articles.delete_article(actor=user, slug=slug)
    assert _titles("dragons") == ["Dragons too"]

    accounts.delete_account(user=other_user, password="password123")
    assert _titles("dragons") == []


def test_snippets_mark_the_matched_words(user):
    _publish(user, "Dragons", body="A **dragon** sleeps. <script>alert(1)</script> \x02odd\x03")

    page = search.search_articles(viewer_id=None, query="dragon sleeping", snippets=True)

    (snippet,) = page.snippets
    assert f"{MATCH_START}dragon{MATCH_END}" in snippet
    assert f"{MATCH_START}sleeps{MATCH_END}" in snippet
    assert "**" not in snippet
    # Only the database's markers are in it: the body's own are gone.
    assert snippet.count(MATCH_START) == snippet.count(MATCH_END) == 2


def test_only_the_newest_candidates_are_ranked_and_counted(user, monkeypatch):
    monkeypatch.setattr("app.queries.search.CANDIDATES", 3)
    from app.queries import search as queries

    queries._postgres_statements.cache_clear()
    queries._sqlite_statements.cache_clear()
    try:
        for number in range(5):
            _publish(user, f"Dragon {number}", at=T0 + timedelta(days=number))
        page = search.search_articles(viewer_id=None, query="dragon")
    finally:
        queries._postgres_statements.cache_clear()
        queries._sqlite_statements.cache_clear()

    assert page.total == 3
    assert [a.title for a in page.articles] == ["Dragon 4", "Dragon 3", "Dragon 2"]
    assert CANDIDATES == 1000


HOSTILE = [
    "OR",
    "OR OR AND NOT",
    "- -- ---",
    '""',
    '"unbalanced phrase',
    'dragon "',
    "the of and",
    "dragon & | ! ( ) : * <-> <2>",
    "'; DROP TABLE articles; --",
    "NEAR(dragon fire) title:dragon dragon* ^dragon {title}: dragon",
    "dragon\\",
    "שלום עולם דרקון",
    "🐉🔥 dragon 🐉",
    "🐉🔥",
    "\u202edragon\u202c",
    "%_%",
    "x" * SEARCH_MAX,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_get_a_result(user, query):
    _publish(user, "Dragon", tags=("fire",))

    page = search.search_articles(viewer_id=None, query=query, snippets=True)

    assert page.total == len(page.articles) <= 1


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "is too short (minimum is 2 characters)"),
        ("  a  ", "is too short (minimum is 2 characters)"),
        ("x" * 10_000, "is too long (maximum is 200 characters)"),
        ("dragon\x00", "must not contain NUL characters"),
        ("dragon\ud800", "must be valid Unicode text"),
    ],
)
def test_queries_that_cannot_be_searched_are_refused(app, query, problem):
    with pytest.raises(Invalid) as refused:
        search.search_articles(viewer_id=None, query=query)

    assert refused.value.errors == {"search": [problem]}


@pytest.fixture
def dragon(user: User) -> str:
    return _publish(user, "Dragon", body="Fire, ice & *wings*.", tags=("fire",))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(st.characters(codec=None), min_size=0, max_size=40))
def test_any_text_gets_a_result_or_a_refusal(dragon, query):
    if search_problem(query) is not None:
        with pytest.raises(Invalid, match="search"):
            search.search_articles(viewer_id=None, query=query, snippets=True)
        return
    page = search.search_articles(viewer_id=None, query=query, snippets=True)
    assert page.total == len(page.articles) <= 1


def test_fts5_expressions_quote_every_term():
    assert fts5_expression('dragon "big cats" -ice OR wolf') == (
        '(("dragon" AND "big cats") NOT ("ice")) OR ("wolf")'
    )
    assert fts5_expression('say "he said ""hi""') == '("say" AND "he said " AND "hi")'
    assert fts5_expression('a"b') == '("a" AND "b")'
    assert fts5_expression("-only") is None
    assert fts5_expression("OR 🐉") is None
    # No word to FTS5 either: a term of them would match nothing, and the query too.
    assert fts5_expression("dragon _ __") == '("dragon")'
    assert fts5_expression("snake_case") == '("snake_case")'


def test_a_term_of_underscores_leaves_the_rest_of_the_query_as_it_is(dragon):
    assert search.search_articles(viewer_id=None, query="dragon __", snippets=False).total == 1


def test_fts5_expressions_leave_out_stop_words_but_not_those_inside_a_phrase():
    stop = ENGLISH_STOP_WORDS
    assert fts5_expression("the dragon", stop) == '("dragon")'
    assert fts5_expression('"out of the cave" the', stop) == '("out of the cave")'
    assert fts5_expression('The OF "and the"', stop) is None
    assert fts5_expression("the dragon") == '("the" AND "dragon")'


def test_the_search_language_is_a_setting(app, user):
    _publish(user, "Dragons")
    app.config["SEARCH_LANGUAGE"] = "simple"
    try:
        search.reindex_articles()
        if db.engine.dialect.name == "postgresql":
            # No stemming in `simple`: "dragon" is not "dragons" any more.
            assert _titles("dragon") == []
        assert _titles("dragons") == ["Dragons"]
    finally:
        app.config["SEARCH_LANGUAGE"] = "english"
        search.reindex_articles()
    assert _titles("dragon") == ["Dragons"]
