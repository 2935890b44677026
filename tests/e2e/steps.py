"""What a person does in the web UI, step by step, with the checks that each step worked.

Every step goes through the page as a person would (links, labels, buttons), so
the same steps serve with JavaScript on and off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Published:
    title: str
    path: str


def navbar(page: Page) -> Locator:
    return page.locator("nav.navbar")


def flash(page: Page) -> Locator:
    return page.locator(".flash-messages")


def email_of(username: str) -> str:
    return f"{username}@example.com"


def sign_up(page: Page, username: str) -> None:
    page.goto("/")
    navbar(page).get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email", exact=True).fill(email_of(username))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(flash(page)).to_contain_text(f"Welcome to Conduit, {username}!")
    expect(navbar(page).get_by_role("link", name=username)).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Sign in")).to_have_count(0)


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email", exact=True).fill(email_of(username))
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    """Sign out with the button at the bottom of the settings page."""
    navbar(page).get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Your Settings")).to_be_visible()
    page.get_by_role("button", name="Or click here to logout.").click()
    expect(flash(page)).to_contain_text("You are signed out.")
    assert_anonymous(page)


def assert_anonymous(page: Page) -> None:
    expect(navbar(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Sign up")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Settings")).to_have_count(0)
    expect(navbar(page).get_by_role("link", name="New Article")).to_have_count(0)


def fill_editor(page: Page, *, title: str, description: str, body: str, tags: str) -> None:
    page.get_by_label("Article Title").fill(title)
    page.get_by_label("What's this article about?").fill(description)
    page.get_by_label("Write your article (in markdown)").fill(body)
    page.get_by_label("Tags").fill(tags)


def publish(
    page: Page,
    *,
    title: str,
    body: str = "Some **words**.",
    description: str = "A test article",
    tags: str = "",
) -> Published:
    """Write an article in the editor and publish it; end on its page."""
    navbar(page).get_by_role("link", name="New Article").click()
    expect(page).to_have_url(re.compile(r"/editor$"))
    fill_editor(page, title=title, description=description, body=body, tags=tags)
    page.get_by_role("button", name="Publish Article").click()
    expect(flash(page)).to_contain_text("Your article is published.")
    expect(article_title(page)).to_have_text(title)
    path = re.sub(r"^https?://[^/]+", "", page.url)
    return Published(title=title, path=path)


def article_title(page: Page) -> Locator:
    return page.locator(".article-page .banner h1")


def post_comment(page: Page, text: str) -> Locator:
    """Post a comment on the article page; return its card."""
    page.get_by_label("Write a comment...").fill(text)
    page.get_by_role("button", name="Post Comment").click()
    card = comment_card(page, text)
    expect(card).to_be_visible()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    return card


def comment_card(page: Page, text: str) -> Locator:
    return page.locator("#comments .card:not(.comment-form)").filter(
        has=page.locator(".card-text", has_text=text)
    )


# An article body that uses most of what markdown offers, with the long words,
# URLs, code lines and tables that push a page wider than a phone.
RICH_BODY = """\
Conduit renders **markdown** on the server; this article uses most of it.

## A list, a quote and a link

- server-rendered pages
- forms that work *without* JavaScript
- sanitised HTML, see https://example.com/a/very/long/address/that/goes/on/and/on/without/any/break

> Simplicity is prerequisite for reliability.

Read [the RealWorld spec](https://realworld-docs.netlify.app/) for the details.

## Some code

```python
def handler(request):
LONG_CODE_LINE
```

Inline `code` too, and a word that never ends: \
Supercalifragilisticexpialidociousandthensomemorelettersuntilitiswiderthanaphone.

## A table

| Column | Another column | A third, quite wide column | And a fourth one |
| ------ | -------------- | -------------------------- | ---------------- |
| 1      | two            | three three three three    | four four four   |
| 5      | six            | seven seven seven seven    | eight eight      |
""".replace(
    "LONG_CODE_LINE",
    '    return render_template("article.html", '
    'article=load_article(request.view_args["slug"]), comments=[])',
)
RICH_TAGS = "markdown, flask, realworld, server-rendered, a-rather-long-tag-name-for-phones"
