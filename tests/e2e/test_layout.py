"""Layout: the site fits a phone, and screenshots of the main pages for people to look at."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewPage, unique_name
from tests.e2e.steps import (
    RICH_BODY,
    RICH_TAGS,
    article_title,
    navbar,
    post_comment,
    publish,
    sign_up,
)

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def assert_fits(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.locator("footer")).to_be_visible()
    overflow = horizontal_overflow(page)
    assert overflow <= 0, f"{path} is {overflow}px wider than a {PHONE['width']}px phone"


def test_pages_fit_a_phone_without_horizontal_scrolling(new_page: NewPage) -> None:
    author_page = new_page(viewport=PHONE)
    author = unique_name("long-name-on-a-tiny-phone-xx")
    sign_up(author_page, author)
    title = f"A title with a Pneumonoultramicroscopicsilicovolcanoconiosis-like word {author}"
    published = publish(
        author_page,
        title=title,
        description="Long words, code, a table",
        body=RICH_BODY,
        tags=RICH_TAGS,
    )
    post_comment(author_page, "A comment with https://example.com/a/long/unbroken/address/" * 2)

    reader = new_page(viewport=PHONE)
    anonymous = new_page(viewport=PHONE)
    for path in ("/", published.path, f"/profile/{author}", "/login", "/register"):
        assert_fits(anonymous, path)

    sign_up(reader, unique_name("phone-reader"))
    for path in ("/", "/?feed=yours", published.path, f"/profile/{author}", "/editor", "/settings"):
        assert_fits(reader, path)

    for path in ("/", published.path, f"/profile/{author}"):
        assert_fits(author_page, path)
    author_page.goto(published.path)
    author_page.get_by_role("link", name="Edit Article").first.click()
    expect(author_page.get_by_label("Article Title")).to_have_value(title)
    assert horizontal_overflow(author_page) <= 0


def screenshot_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshots_of_the_main_pages(new_page: NewPage, tmp_path: Path) -> None:
    """Full-page screenshots for people to look at (E2E_SCREENSHOTS=folder keeps them)."""
    folder = screenshot_folder(tmp_path)
    shots: list[Path] = []

    def shoot(page: Page, name: str) -> None:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    author_page = new_page(viewport=DESKTOP)
    author = unique_name("eleanor")
    sign_up(author_page, author)
    published = publish(
        author_page,
        title="How Conduit renders an article",
        description="Markdown, tags and comments, all rendered on the server.",
        body=RICH_BODY,
        tags=RICH_TAGS,
    )
    post_comment(author_page, "Thanks for reading! Comments are plain text.")

    reader = new_page(viewport=DESKTOP)
    sign_up(reader, unique_name("reader"))
    reader.goto(published.path)
    post_comment(reader, "Great article, the table is handy.")
    reader.get_by_role("button", name="Favorite Article").first.click()
    expect(reader.get_by_role("button", name="Unfavorite Article").first).to_be_visible()
    # Users without a picture get a placeholder of the picture's size, not a gap.
    expect(reader.locator(".banner .article-meta .avatar-blank")).to_have_css("width", "32px")
    expect(reader.locator(".card:not(.comment-form) .comment-author-img").first).to_have_css(
        "width", "20px"
    )
    expect(reader.locator(".article-content .tag-list a").first).to_have_css(
        "text-decoration-line", "none"
    )
    shoot(reader, "article")

    author_page.goto(published.path)
    author_page.get_by_role("link", name="Edit Article").first.click()
    expect(author_page.get_by_label("Article Title")).to_have_value(published.title)
    shoot(author_page, "editor")
    navbar(author_page).get_by_role("link", name=author).click()
    expect(author_page.get_by_role("heading", name=author, exact=True)).to_be_visible()
    expect(author_page.locator(".user-info .user-img")).to_have_css("height", "100px")
    shoot(author_page, "profile")

    anonymous = new_page(viewport=DESKTOP)
    anonymous.goto("/")
    expect(anonymous.locator(".article-preview", has_text=published.title)).to_be_visible()
    shoot(anonymous, "home-signed-out")

    phone = new_page(viewport=PHONE)
    phone.goto("/")
    shoot(phone, "phone-home")
    phone.goto(published.path)
    expect(article_title(phone)).to_have_text(published.title)
    shoot(phone, "phone-article")

    for path in shots:
        assert path.is_file(), path
        assert path.stat().st_size > 1000, f"{path} is (nearly) empty"
