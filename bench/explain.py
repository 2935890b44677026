"""PostgreSQL's plan of every list query, as the services send it, on a seeded database.

    .venv/bin/python -m bench.explain --scale large          # after make bench SCALE=large

Runs each list the benchmark measures (the global list, ?tag=, ?author=,
?favorited=, the feed, the searches; signed in as the benchmark's viewer, so with the
`favorited` and `following` subqueries) through the articles service, captures
the statements each sends, and prints `EXPLAIN (ANALYZE, BUFFERS)` of it, run twice so that the
second, printed run has warm caches as a busy server would. The statements
themselves are SQLAlchemy's; only the EXPLAIN prefix is added here.
"""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from bench.run import SEARCH_WORD, SEARCH_WORDS, local_app, pick_subjects
from config import normalise_database_url


def _captured(engine: sa.Engine, read: Callable[[], object]) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        read()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return statements


def explain(database_url: str) -> None:
    # Choosing the subjects scans whole tables once; the plans are what is timed.
    os.environ["DATABASE_STATEMENT_TIMEOUT_MS"] = "120000"
    app = local_app(database_url, secrets.token_urlsafe(32))
    from app.extensions import db
    from app.models import User
    from app.services import articles, search

    with app.app_context():
        subjects = pick_subjects()
        viewer_id = db.session.scalar(sa.select(User.id).where(User.username == subjects.viewer))
        lists: dict[str, Callable[[], object]] = {
            "GET /api/articles?limit=20": lambda: articles.list_articles(viewer_id=viewer_id),
            f"GET /api/articles?tag={subjects.tag}&limit=20": lambda: articles.list_articles(
                viewer_id=viewer_id, tag=subjects.tag
            ),
            f"GET /api/articles?author={subjects.author}&limit=20": lambda: articles.list_articles(
                viewer_id=viewer_id, author=subjects.author
            ),
            f"GET /api/articles?favorited={subjects.viewer}&limit=20": lambda: (
                articles.list_articles(viewer_id=viewer_id, favorited=subjects.viewer)
            ),
            "GET /api/articles/feed?limit=20": lambda: articles.feed_articles(viewer_id=viewer_id),
            f"GET /api/articles?search={SEARCH_WORD}&limit=20": lambda: articles.list_articles(
                viewer_id=viewer_id, search_query=SEARCH_WORD
            ),
            f"GET /api/articles?search={SEARCH_WORDS}&limit=20": lambda: articles.list_articles(
                viewer_id=viewer_id, search_query=SEARCH_WORDS
            ),
            f"GET /search?q={SEARCH_WORD} (page and snippets)": lambda: search.search_articles(
                viewer_id=viewer_id, query=SEARCH_WORD, limit=10, snippets=True
            ),
        }
        for title, read in lists.items():
            statements = _captured(db.engine, read)
            print(f"### {title}\n")
            print(f"{len(statements)} statement(s); the plan:\n\n```")
            dbapi_connection = db.session.connection().connection.dbapi_connection
            with dbapi_connection.cursor() as cursor:
                for statement, parameters in statements:
                    for _ in range(2):
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                        plan = [row[0] for row in cursor.fetchall()]
                    print("\n".join(plan))
            print("```\n")
            db.session.rollback()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "small", "large", "huge"], default="large")
    parser.add_argument("--database-url", help="default: the benchmark's database of that scale")
    args = parser.parse_args(argv)
    url = args.database_url or f"postgresql://postgres@127.0.0.1:5432/conduit_bench_{args.scale}"
    explain(normalise_database_url(url))


if __name__ == "__main__":
    main()
