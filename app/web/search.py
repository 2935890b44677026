"""The search page: /search?q=… lists the matching articles as the home page does."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from markupsafe import Markup, escape

from app import rules
from app.exceptions import Invalid
from app.queries.search_text import MATCH_END, MATCH_START
from app.services import search
from app.web.auth import viewer
from app.web.pages import PAGE_SIZE, pager, requested_page

bp = Blueprint("web_search", __name__)


def highlighted(snippet: str) -> Markup:
    """`snippet` as HTML: its text escaped, the matched words in <mark>.

    The database marks matched words with control characters that no article's
    text holds (they are taken out before it sees the text), so the only tags
    in the result are the marks put in here after escaping.
    """
    escaped = str(escape(snippet))
    return Markup(escaped.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


@bp.get("/search")
def search_articles() -> tuple[str, int]:
    """Articles matching the query `q`, best match first, 10 a page."""
    text = request.args.get("q", "")
    page = requested_page()
    problem = rules.search_problem(text) if text.strip() else None
    result = None
    if text.strip() and problem is None:
        user = viewer()
        try:
            result = search.search_articles(
                viewer_id=user.id if user else None,
                query=text,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
                snippets=True,
            )
        except Invalid as error:
            problem = error.errors["search"][0]
    # Too short is a hint (200); too long, NUL or broken text is a refused form (422).
    status = 422 if problem and len(text.strip()) >= rules.SEARCH_MIN else 200
    return render_template(
        "search/results.html",
        # The field shows what was typed, but never more than a search can hold.
        query=text[: rules.SEARCH_MAX * 2],
        problem=problem,
        hint=rules.SEARCH_HINT,
        page=result,
        snippets=[highlighted(snippet) for snippet in result.snippets] if result else [],
        pager=pager(page, result.total if result else 0),
    ), status
