"""Full-text search of articles, and keeping what it reads in step with the articles.

The statements are in app/queries/search.py (reading) and search_index.py
(writing); the query syntax (web search: phrases in quotes, `-word`, `OR`) is
PostgreSQL's `websearch_to_tsquery`, which app/queries/search_text.py reads
alike for SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog
from flask import current_app
from sqlalchemy.engine import Connection

from app import rules
from app.admission import Admission, Crowded, admission
from app.exceptions import Busy, Invalid
from app.extensions import db
from app.queries import search as queries
from app.queries.search import SearchShape, SearchTimedOut, SessionSettings
from app.queries.search_index import Document, fill_documents, write_document
from app.queries.search_text import ENGLISH_STOP_WORDS, fts5_expression
from app.read_models import ArticleView

log = structlog.get_logger(__name__)

BUSY = "too many searches are running; try again in a moment"


@dataclass(frozen=True, slots=True)
class SearchPage:
    articles: list[ArticleView]
    # How many articles matched, at most queries.CANDIDATES.
    total: int
    # Per article, the text around its matched words, each between MATCH_START and
    # MATCH_END (app/queries/search_text.py); empty unless asked for.
    snippets: list[str]


def _language() -> str:
    language: str = current_app.config["SEARCH_LANGUAGE"]
    return language


def _settings(*, time_limited: bool = True) -> SessionSettings:
    """The search's own session settings (app/queries/search.py): its time limit
    unless `time_limited` is false, and the connections' to go back to."""
    config = current_app.config
    return SessionSettings(
        search_ms=(config["SEARCH_TIME_LIMIT_MS"] or None) if time_limited else None,
        statement_ms=config["DATABASE_STATEMENT_TIMEOUT_MS"],
        plan_cache_mode=config["DATABASE_PLAN_CACHE_MODE"],
    )


def _stop_words() -> frozenset[str]:
    # SQLite stems English whatever SEARCH_LANGUAGE says; its stop words follow the
    # setting, as PostgreSQL's do (`simple` has none).
    return ENGLISH_STOP_WORDS if _language() == "english" else frozenset()


def index_article(
    article_id: int, *, title: str, description: str, body: str, tags: Sequence[str]
) -> None:
    """Write what search reads of the article in the session's transaction: the
    article's writer commits it with the article, so results change at once."""
    document = Document.of(title=title, description=description, body=body, tags=tags)
    write_document(db.session, article_id, document, _language())


def search_articles(
    *,
    viewer_id: int | None,
    query: str,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
    limit: int = 20,
    offset: int = 0,
    snippets: bool = False,
) -> SearchPage:
    """Articles matching `query`, best match first, then newest first.

    Raises Invalid for a query that cannot be searched for (too short, too long,
    NUL, half a surrogate pair).
    """
    problem = rules.search_problem(query)
    if problem is not None:
        raise Invalid.on("search", problem)
    empty = SearchPage(articles=[], total=0, snippets=[])
    if not all(rules.can_match(value) for value in (tag, author, favorited) if value is not None):
        return empty
    parameters: dict[str, Any] = {"limit": limit, "offset": offset, "window": rules.SEARCH_WINDOW}
    if db.session.get_bind().dialect.name == "postgresql":
        parameters.update(search=query.strip(), language=_language())
    else:
        match = fts5_expression(query, _stop_words())
        if match is None:
            return empty
        parameters["match"] = match
    if viewer_id is not None:
        parameters["viewer_id"] = viewer_id
    for name, value in (("tag", tag), ("author", author), ("favorited", favorited)):
        if value is not None:
            parameters[name] = value if name == "tag" else value.lower()
    shape = SearchShape(
        signed_in=viewer_id is not None,
        tag=tag is not None,
        author=author is not None,
        favorited=favorited is not None,
    )
    try:
        # The connection is taken once admitted: a search waiting its turn holds none.
        with _admission().admitted():
            found = _search_page(db.session.connection(), shape, parameters, snippets=snippets)
    except Crowded:
        raise Busy.on("search", BUSY) from None
    return SearchPage(articles=found.articles, total=found.total, snippets=found.snippets)


def _admission() -> Admission:
    config = current_app.config
    return admission(
        "search",
        size=config["SEARCH_CONCURRENCY"],
        wait_seconds=config["SEARCH_QUEUE_WAIT_MS"] / 1000,
    )


def _search_page(
    connection: Connection, shape: SearchShape, parameters: dict[str, Any], *, snippets: bool
) -> queries.Found:
    try:
        return queries.search_page(
            connection, shape, parameters, snippets=snippets, settings=_settings()
        )
    except SearchTimedOut:
        # Over the newest articles only: a bounded scan (app/queries/search.py).
        log.info("search over the newest articles only", window=rules.SEARCH_WINDOW)
        db.session.rollback()
        return queries.search_page(
            db.session.connection(),
            replace(shape, windowed=True),
            parameters,
            snippets=snippets,
            settings=_settings(time_limited=False),
        )


def reindex_articles() -> int:
    """Write again what search reads of every article (after a change of
    SEARCH_LANGUAGE), a batch per transaction; return how many articles."""
    with db.engine.connect() as connection:
        return fill_documents(connection, language=_language())
