"""What the web UI tests share: a browser-like client that reads pages and submits forms.

CSRF protection stays on, as in production: every POST is made the way a browser
makes it, from a form fetched first, with the `csrf_token` that form carries.
`Browser.submit` does exactly that; `Browser.post` sends whatever it is given, for
the tests that forge requests on purpose.

Pages are parsed by Beautiful Soup with the standard library's `html.parser` and
queried with CSS selectors (soupsieve), so attribute values that are not plain
identifiers are quoted: `form[action='/logout']`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PreformattedString
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import PASSWORD

# The message of the 400 page a forged or stale form gets (app.errors.CSRF_MESSAGE).
CSRF_REFUSAL = "This form has expired or was not sent from this site"


class Element:
    """One element of a parsed page: a Beautiful Soup tag, read the way the tests read it."""

    def __init__(self, node: Tag) -> None:
        self.node = node

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    @property
    def tag(self) -> str:
        return self.node.name

    @property
    def attrs(self) -> dict[str, str]:
        # parse_html turns off multi-valued attributes, so every value is a string.
        return self.node.attrs

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def raw_text(self) -> str:
        """The text inside, as written; runs of bare whitespace outside `textarea`/`pre` shortened.

        Like the DOM's `textContent`, script and style count and comments do not (Beautiful
        Soup's `get_text` leaves out script and style).
        """
        return "".join(
            string
            for string in self.node.descendants
            if isinstance(string, NavigableString) and not isinstance(string, PreformattedString)
        )

    @property
    def text(self) -> str:
        """The text inside, with runs of whitespace made single spaces."""
        return " ".join(self.raw_text.split())

    def descendants(self) -> Iterator[Element]:
        return (Element(node) for node in self.node.find_all(True))

    def select(self, selector: str) -> list[Element]:
        """The elements under this one that `selector` matches, in document order."""
        return [Element(node) for node in self.node.select(selector)]

    def first(self, selector: str) -> Element:
        """The first element `selector` matches; fails the test if there is none."""
        node = self.node.select_one(selector)
        assert node is not None, f"nothing matches {selector!r}"
        return Element(node)

    def texts(self, selector: str) -> list[str]:
        return [element.text for element in self.select(selector)]


def parse_html(html: str) -> Element:
    # Attributes such as `class` stay one string each, as a browser's getAttribute gives them.
    return Element(BeautifulSoup(html, "html.parser", multi_valued_attributes=None))


def form_values(form: Element) -> dict[str, str]:
    """What a browser would send for `form` as it stands (buttons left out)."""
    values: dict[str, str] = {}
    for element in form.descendants():
        name = element.get("name")
        if not name:
            continue
        if element.tag == "input" and element.get("type") not in ("submit", "button", "reset"):
            if element.get("type") in ("checkbox", "radio") and "checked" not in element.attrs:
                continue
            values[name] = element.get("value") or ""
        elif element.tag == "textarea":
            # A browser drops the one line break that follows <textarea>.
            text = element.raw_text
            values[name] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
    return values


class Page:
    """A response, with its HTML parsed on demand."""

    def __init__(self, response: TestResponse) -> None:
        self.response = response

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.response.request.path}>"

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def location(self) -> str | None:
        return self.response.headers.get("Location")

    @property
    def html(self) -> str:
        return self.response.get_data(as_text=True)

    @cached_property
    def doc(self) -> Element:
        assert self.response.mimetype == "text/html", self.response.mimetype
        return parse_html(self.html)

    def select(self, selector: str) -> list[Element]:
        return self.doc.select(selector)

    def first(self, selector: str) -> Element:
        return self.doc.first(selector)

    def texts(self, selector: str) -> list[str]:
        return self.doc.texts(selector)

    @property
    def text(self) -> str:
        return self.doc.first("body").text

    @property
    def errors(self) -> list[str]:
        """The messages of every `ul.error-messages` on the page."""
        return self.texts("ul.error-messages li")

    @property
    def flashes(self) -> list[str]:
        return self.texts("ul.flash-messages li")

    @property
    def signed_in_as(self) -> str | None:
        """The username the navbar shows, or None when it offers to sign in."""
        links = self.select("nav.navbar a.nav-link[href^='/profile/']")
        return links[0].text if links else None

    def form(self, action: str) -> Element:
        """The (first) form on the page that posts to `action`."""
        forms = [form for form in self.select("form") if form.get("action") == action]
        assert forms, f"no form posts to {action!r}"
        assert forms[0].get("method") == "post"
        return forms[0]

    def links_to(self, href: str) -> list[Element]:
        return [link for link in self.select("a") if link.get("href") == href]


class Browser:
    """A test client used the way a person uses the site: read a page, fill in its form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, *, status: int | None = 200, **kwargs: Any) -> Page:
        page = Page(self.client.get(url, **kwargs))
        if status is not None:
            assert page.status == status, (page.status, page.location, page.html[:2000])
        return page

    def post(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> Page:
        """POST exactly `data` (no CSRF token is added)."""
        return Page(self.client.post(url, data=data or {}, **kwargs))

    def form_data(self, url: str, *, action: str | None = None) -> dict[str, str]:
        """The fields of the form at `url` that posts to `action` (the page itself by default)."""
        return form_values(self.get(url).form(action or urlsplit(url).path))

    def submit(
        self, url: str, data: dict[str, str] | None = None, *, action: str | None = None
    ) -> Page:
        """Open `url`, fill its form (the one posting to `action`) with `data`, and send it."""
        action = action or urlsplit(url).path
        values = self.form_data(url, action=action)
        values.update(data or {})
        return self.post(action, values)

    def csrf_token(self, url: str = "/login", *, action: str | None = None) -> str:
        """The CSRF token of the form at `url`, valid for this browser's session."""
        return self.form_data(url, action=action)["csrf_token"]

    def sign_in(self, email: str, password: str = PASSWORD) -> Page:
        page = self.submit("/login", {"email": email, "password": password})
        assert page.status == 302, page.errors
        return page

    def sign_out(self) -> Page:
        page = self.submit("/settings", action="/logout")
        assert page.status == 302
        return page

    def whoami(self) -> str | None:
        """Who the site thinks this browser is, from the home page's navbar."""
        return self.get("/").signed_in_as

    @property
    def session_cookie(self) -> str:
        cookie = self.client.get_cookie("session")
        assert cookie is not None, "no session cookie"
        return cookie.value
