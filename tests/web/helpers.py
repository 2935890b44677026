"""What the web UI tests share: a browser-like client that reads pages and submits forms.

CSRF protection stays on, as in production: every POST is made the way a browser
makes it, from a form fetched first, with the `csrf_token` that form carries.
`Browser.submit` does exactly that; `Browser.post` sends whatever it is given, for
the tests that forge requests on purpose.

Pages are parsed with the standard library's `html.parser` into a small tree that
answers simple CSS selectors: `tag`, `.class`, `#id`, `[attr]`, `[attr=value]`,
`[attr^=prefix]`, `[attr$=suffix]`, `[attr*=part]`, combined, and joined by
spaces for descendants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cached_property
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import PASSWORD

# The message of the 400 page a forged or stale form gets (app.errors.CSRF_MESSAGE).
CSRF_REFUSAL = "This form has expired or was not sent from this site"

_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_COMPOUND = re.compile(r"^(?P<tag>[a-z0-9]+|\*)?(?P<rest>(?:\.[\w-]+|#[\w-]+|\[[^\]]+\])*)$")
_PART = re.compile(r"\.(?P<cls>[\w-]+)|#(?P<id>[\w-]+)|\[(?P<attr>[^\]]+)\]")
_ATTRIBUTE = re.compile(
    r"^(?P<name>[\w:-]+)(?:(?P<op>[$^*]?=)(?P<quote>[\"']?)(?P<value>.*)(?P=quote))?$"
)


class Element:
    """One element of a parsed page."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Element | str] = []

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def raw_text(self) -> str:
        """The text inside, as written."""
        return "".join(
            child if isinstance(child, str) else child.raw_text for child in self.children
        )

    @property
    def text(self) -> str:
        """The text inside, with runs of whitespace made single spaces."""
        return " ".join(self.raw_text.split())

    def descendants(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.descendants()

    def select(self, selector: str) -> list[Element]:
        """The elements under this one that `selector` matches, in document order."""
        found: list[Element] = [self]
        for compound in selector.split():
            predicate = _compile(compound)
            seen: set[int] = set()
            matches: list[Element] = []
            for ancestor in found:
                for element in ancestor.descendants():
                    if id(element) not in seen and predicate(element):
                        seen.add(id(element))
                        matches.append(element)
            found = matches
        return found

    def first(self, selector: str) -> Element:
        """The first element `selector` matches; fails the test if there is none."""
        matches = self.select(selector)
        assert matches, f"nothing matches {selector!r}"
        return matches[0]

    def texts(self, selector: str) -> list[str]:
        return [element.text for element in self.select(selector)]


def _compile(compound: str) -> Callable[[Element], bool]:
    match = _COMPOUND.match(compound)
    assert match, f"unsupported selector {compound!r}"
    checks: list[Callable[[Element], bool]] = []
    tag = match["tag"]
    if tag and tag != "*":
        checks.append(lambda element: element.tag == tag)
    for part in _PART.finditer(match["rest"]):
        if part["cls"]:
            checks.append(lambda element, name=part["cls"]: name in element.classes)
        elif part["id"]:
            checks.append(lambda element, name=part["id"]: element.get("id") == name)
        else:
            attribute = _ATTRIBUTE.match(part["attr"])
            assert attribute, f"unsupported selector {compound!r}"
            checks.append(_attribute_check(attribute["name"], attribute["op"], attribute["value"]))
    return lambda element: all(check(element) for check in checks)


def _attribute_check(name: str, op: str | None, value: str | None) -> Callable[[Element], bool]:
    if op is None:
        return lambda element: name in element.attrs
    wanted = value or ""
    if op == "=":
        return lambda element: element.get(name) == wanted
    if op == "^=":
        return lambda element: (element.get(name) or "").startswith(wanted)
    if op == "$=":
        return lambda element: (element.get(name) or "").endswith(wanted)
    return lambda element: wanted in (element.get(name) or "")


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node is not self.root and node.tag != tag:
            node = node.parent
        if node is not None and node is not self.root and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_html(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


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
        links = self.select("nav.navbar a.nav-link[href^=/profile/]")
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
