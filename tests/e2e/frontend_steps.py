"""What a person does in the RealWorld front ends, step by step, with what each step shows.

Both front ends follow the RealWorld page templates, so one set of steps drives
either: by link and button text, by placeholders and labels. What differs is in
`FrontEnd`. Their stylesheets and icon fonts are not there (they come from CDNs
that cannot be reached), so the icon-only comment trash can has no size: it gets
a dispatched click.

Each step that sends a request to the API waits for its answer and fails with the
request and the answer unless it is a success, so a failing journey names the
request the app refused rather than a text that never appeared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, Response, expect

from tests.e2e.frontends import PASSWORD, email_of


@dataclass(frozen=True)
class FrontEnd:
    name: str
    # vue3 routes in the fragment (/#/article/<slug>), angular in the path (/article/<slug>).
    route_prefix: str
    new_article_link: str

    def route(self, path: str) -> str:
        return f"{self.route_prefix}{path}"


FRONT_ENDS = {
    "vue3": FrontEnd(name="vue3", route_prefix="/#", new_article_link="New Post"),
    "angular": FrontEnd(name="angular", route_prefix="", new_article_link="New Article"),
}


def navbar(page: Page) -> Locator:
    return page.locator("nav.navbar")


def field(page: Page, name: str) -> Locator:
    """A form field named `name` by its label (aria-label) or else by its placeholder."""
    return page.get_by_label(name, exact=True).or_(page.get_by_placeholder(name, exact=True))


def button(scope: Page | Locator, text: str) -> Locator:
    """Buttons whose text starts with `text` ("Follow x" is not "Unfollow x")."""
    return scope.locator("button", has_text=re.compile(rf"^\s*{re.escape(text)}"))


def api_answer(page: Page, method: str, path: str, action: Callable[[], object]) -> Response:
    """Do `action`; return the answer to the `method /api<path>` request it makes.

    A trailing slash on the request's path still matches, so that a front end that
    sends one is caught by the status check rather than by a timeout. Anything but
    a 2xx answer fails the test with the request and the answer.
    """
    expected = re.compile(rf"^/api{re.escape(path)}/?$")

    def is_expected(response: Response) -> bool:
        return response.request.method == method and bool(
            expected.match(urlsplit(response.url).path)
        )

    with page.expect_response(is_expected) as answer:
        action()
    response = answer.value
    sent = response.request.post_data
    assert response.ok, (
        f"{method} {urlsplit(response.url).path} answered {response.status}: "
        f"{response.text()}\n(the front end sent: {sent})"
    )
    return response


def assert_signed_in(page: Page, username: str) -> None:
    expect(navbar(page).get_by_role("link", name=username, exact=True)).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Sign in")).to_have_count(0)


def assert_anonymous(page: Page) -> None:
    expect(navbar(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Sign up")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Settings")).to_have_count(0)


def sign_up(page: Page, front_end: FrontEnd, username: str) -> None:
    page.goto(front_end.route("/"))
    navbar(page).get_by_role("link", name="Sign up").click()
    field(page, "Username").fill(username)
    field(page, "Email").fill(email_of(username))
    field(page, "Password").fill(PASSWORD)
    submit = page.get_by_role("button", name="Sign up")
    api_answer(page, "POST", "/users", submit.click)
    assert_signed_in(page, username)


def sign_in(page: Page, front_end: FrontEnd, username: str) -> None:
    page.goto(front_end.route("/"))
    navbar(page).get_by_role("link", name="Sign in").click()
    field(page, "Email").fill(email_of(username))
    field(page, "Password").fill(PASSWORD)
    submit = page.get_by_role("button", name="Sign in")
    api_answer(page, "POST", "/users/login", submit.click)
    assert_signed_in(page, username)


def open_settings(page: Page) -> None:
    navbar(page).get_by_role("link", name="Settings").click()
    expect(page.get_by_text("Your Settings")).to_be_visible()


def sign_out(page: Page) -> None:
    open_settings(page)
    button(page, "Or click here to logout.").click()
    assert_anonymous(page)


def fill_editor(page: Page, *, title: str, description: str, body: str) -> None:
    page.get_by_placeholder("Article Title").fill(title)
    page.get_by_placeholder("What's this article about?").fill(description)
    page.get_by_placeholder("Write your article (in markdown)").fill(body)


def add_tags(page: Page, tags: list[str]) -> None:
    """Type each tag into the tag field and press Enter, as both editors expect."""
    for tag in tags:
        page.get_by_placeholder("Enter tags").fill(tag)
        page.get_by_placeholder("Enter tags").press("Enter")


def article_heading(page: Page, title: str) -> Locator:
    return page.get_by_role("heading", name=title, exact=True, level=1)


def article_tags(page: Page) -> Locator:
    return page.locator(".article-content .tag-list li")


def comment_card(page: Page, text: str) -> Locator:
    return page.locator(".card:not(.comment-form)").filter(has_text=text)


def preview_title(page: Page, title: str) -> Locator:
    """An article's title in an article list."""
    return page.locator(".article-preview").get_by_role("heading", name=title, exact=True)
