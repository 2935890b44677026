"""PostgreSQL's plan of every list query, as the services send it, on a seeded database.

    .venv/bin/python -m bench.explain --scale large          # after make bench SCALE=large

Runs each list the benchmark measures (the global list, ?tag=, ?author=,
?favorited=, the feed, the searches; signed in as the benchmark's viewer, so with the
`favorited` and `following` subqueries) through the articles service, captures
the statements each sends, and prints `EXPLAIN (ANALYZE, BUFFERS)` of each as the
app's connections run it once psycopg has prepared it (on its sixth run there), in
the connections' plan cache mode (DATABASE_PLAN_CACHE_MODE: a generic plan by
default; a search sets its own, and its statements to set it are run here too),
after warm-up runs so that caches are warm as on a busy server. The statements
themselves are SQLAlchemy's; only the EXPLAIN is added here.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from psycopg import sql

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
                    print("\n".join(_plan_as_run(cursor, statement, parameters)))
            print("```\n")
            db.session.rollback()


# Runs before the one explained: prepared at once (`prepare=True`), caches warmed.
WARM_UP_RUNS = 2
NAMED = re.compile(r"%\((\w+)\)s")


def _plan_as_run(cursor: Any, statement: str, parameters: dict[str, Any]) -> list[str]:
    """EXPLAIN ANALYZE of `statement` prepared, as the app runs it once psycopg has
    prepared it: planned in the connection's plan cache mode."""
    for _ in range(WARM_UP_RUNS):
        cursor.execute(statement, parameters, prepare=True)
    # psycopg numbers the parameters in their order of first appearance.
    names = list(dict.fromkeys(NAMED.findall(statement)))
    numbered = NAMED.sub(lambda found: f"${names.index(found.group(1)) + 1}", statement)
    cursor.execute(
        "SELECT name FROM pg_prepared_statements WHERE statement = %s",
        (numbered.replace("%%", "%"),),
    )
    (name,) = cursor.fetchone()
    values = sql.SQL(", ").join(sql.Literal(parameters[key]) for key in names)
    arguments = sql.SQL(" ({})").format(values) if names else sql.SQL("")
    cursor.execute(
        sql.SQL("EXPLAIN (ANALYZE, BUFFERS) EXECUTE {}{}").format(sql.Identifier(name), arguments)
    )
    return [row[0] for row in cursor.fetchall()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "small", "large", "huge"], default="large")
    parser.add_argument("--database-url", help="default: the benchmark's database of that scale")
    args = parser.parse_args(argv)
    url = args.database_url or f"postgresql://postgres@127.0.0.1:5432/conduit_bench_{args.scale}"
    explain(normalise_database_url(url))


if __name__ == "__main__":
    main()
