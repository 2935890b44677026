"""Helpers the web views share: forms with their errors, paging and where to go after a form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, g, redirect, render_template, request
from werkzeug.wrappers import Response

from app.exceptions import DomainError
from app.rules import LOOKUP_MAX
from app.web.auth import safe_next
from app.web.forms import ActionForm, Form, SafeRedirectForm

PAGE_SIZE = 10
# How many page links stand on each side of the current page in the pager.
PAGER_RADIUS = 3
# Far beyond any real page, small enough for every database's OFFSET.
MAX_PAGE = 100_000


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    pages: int

    def links(self) -> list[int | None]:
        """The page numbers to link: the first, the last and those around the current
        one; None where numbers are left out. A feed of 10,000 pages gets about ten
        links, not 10,000."""
        # A page past the end (an old link, say) is shown the last pages to go back to.
        centre = min(self.page, self.pages)
        shown = {1, self.pages, *range(centre - PAGER_RADIUS, centre + PAGER_RADIUS + 1)}
        numbers = sorted(number for number in shown if 1 <= number <= self.pages)
        links: list[int | None] = []
        for number in numbers:
            if links and number - (links[-1] or 0) > 1:
                links.append(None)
            links.append(number)
        return links


def requested_page() -> int:
    """The `page` query argument, 1 when it is missing or not a sensible number."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def pager(page: int, total: int, *, per_page: int = PAGE_SIZE) -> Pager:
    return Pager(page=page, pages=max(1, -(-total // per_page)))


def query_text(name: str) -> str | None:
    """A text query argument, or None when missing, blank or one no lookup could match."""
    value = (request.args.get(name) or "").strip()
    if not value or len(value) > LOOKUP_MAX or "\x00" in value:
        return None
    return value


def checked_action() -> ActionForm:
    """The posted action button's form; 400 if its CSRF token is missing or stale."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def redirect_next(form: SafeRedirectForm, *, default: str) -> Response:
    """Go where the form says to, if that is a page of this site; else to `default`."""
    return redirect(safe_next(form.next.data, default=default))


def show_refusal(form: Form, error: DomainError) -> None:
    """Show a service's refusal in `form`: beside the fields it names if the form says
    so (`Form.REFUSALS_BESIDE_FIELDS`), otherwise above the form."""
    for name, messages in error.errors.items():
        if form.REFUSALS_BESIDE_FIELDS and name in form:
            field = form[name]
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(f"{name} {message}" for message in messages)


def form_page(
    template: str, form: Form, *, form_name: str = "form", **context: Any
) -> tuple[str, int]:
    """The page of `form`: 422 when it shows what was wrong with the form sent, else 200.

    The page gets the form as `form_name`, and `context` besides.
    """
    # `errors` holds the form's own errors (`form_errors`) as well as the fields'.
    status = 422 if form.errors else 200
    return render_template(template, **{form_name: form}, **context), status


def this_page() -> str:
    """The path and query of the page being drawn, where its forms come back to:
    the page's own, also when a refused form posted elsewhere draws it again
    (`drawn_as`), whose URL only takes a POST."""
    path: str | None = g.get("page_path")
    return path or request.full_path.rstrip("?")


def drawn_as(path: str) -> None:
    """Draw this request's page as the page at `path` (see `this_page`)."""
    g.page_path = path
