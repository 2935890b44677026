"""Whole journeys through the web UI in a real browser, against real gunicorn."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewPage, PageEvents, unique_name
from tests.e2e.steps import (
    PASSWORD,
    article_title,
    assert_anonymous,
    comment_card,
    fill_editor,
    flash,
    navbar,
    post_comment,
    publish,
    sign_in,
    sign_out,
    sign_up,
)


def favorite_count(button_text: str) -> int:
    match = re.search(r"\d+", button_text)
    assert match, f"no counter in {button_text!r}"
    return int(match.group())


def test_author_writes_comments_favorites_edits_and_signs_out(page: Page) -> None:
    name = unique_name("author")
    sign_up(page, name)

    title = f"How to train your dragon {name}"
    published = publish(
        page,
        title=title,
        description="Ever wonder how?",
        body="## Dragons\n\nThey are **big**.\n\n- fire\n- wings",
        tags="training, dragons, dragons",
    )
    content = page.locator(".article-content")
    expect(content.locator("h2")).to_have_text("Dragons")
    expect(content.locator("strong")).to_have_text("big")
    expect(content.locator("ul:not(.tag-list) > li")).to_have_text(["fire", "wings"])
    expect(content.locator(".tag-list li")).to_have_text(["dragons", "training"])
    expect(page.locator(".article-page .banner .author")).to_have_text(name)

    card = post_comment(page, f"First comment by {name}")
    expect(card.locator("a.comment-author")).to_have_text(["", name])
    card.get_by_role("button", name="Delete").click()
    expect(flash(page)).to_contain_text("The comment is deleted.")
    expect(comment_card(page, f"First comment by {name}")).to_have_count(0)

    # An author favorites from an article list: the article page offers Edit and Delete.
    navbar(page).get_by_role("link", name=name).click()
    preview = page.locator(".article-preview", has_text=title)
    favorite = preview.get_by_title("Favorite Article", exact=True)
    unfavorite = preview.get_by_title("Unfavorite Article", exact=True)
    expect(favorite).to_contain_text("0")
    favorite.click()
    expect(unfavorite).to_be_visible()
    assert favorite_count(unfavorite.inner_text()) == 1
    page.get_by_role("link", name="Favorited Articles").click()
    expect(page.locator(".article-preview", has_text=title)).to_be_visible()
    page.locator(".article-preview", has_text=title).get_by_title("Unfavorite Article").click()
    expect(page.locator(".article-preview", has_text=title)).to_have_count(0)
    page.get_by_role("link", name="My Articles").click()
    expect(favorite).to_be_visible()
    assert favorite_count(favorite.inner_text()) == 0

    # Edit: the editor comes back filled in; a new title gives a new address.
    preview.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(re.escape(published.path) + "$"))
    page.get_by_role("link", name="Edit Article").first.click()
    expect(page.get_by_label("Article Title")).to_have_value(title)
    expect(page.get_by_label("Tags")).to_have_value("dragons, training")
    fill_editor(
        page,
        title=f"{title} (revised)",
        description="Ever wonder how? Revised.",
        body="## Dragons, revised\n\nThey are *bigger*.",
        tags="dragons",
    )
    page.get_by_role("button", name="Publish Article").click()
    expect(flash(page)).to_contain_text("Your article is updated.")
    expect(article_title(page)).to_have_text(f"{title} (revised)")
    expect(content.locator("h2")).to_have_text("Dragons, revised")
    expect(content.locator("em")).to_have_text("bigger")
    expect(content.locator(".tag-list li")).to_have_text(["dragons"])
    revised_path = page.url.removeprefix(page.url.split("/article/")[0])
    assert revised_path != published.path

    sign_out(page)
    page.goto(revised_path)
    assert_anonymous(page)
    expect(page.get_by_text("to add comments on this article.")).to_be_visible()
    expect(page.get_by_role("link", name="Edit Article")).to_have_count(0)
    page.goto("/editor")
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)editor$"))
    expect(flash(page)).to_contain_text("Please sign in first.")


def test_reader_follows_author_and_sees_the_article_in_their_feed(new_page: NewPage) -> None:
    author_page = new_page()
    author = unique_name("writer")
    sign_up(author_page, author)
    published = publish(author_page, title=f"Dispatch from {author}")

    reader = new_page()
    sign_up(reader, unique_name("reader"))
    reader.get_by_role("link", name="Your Feed").click()
    expect(reader.locator(".article-preview", has_text=published.title)).to_have_count(0)

    reader.goto(published.path)
    reader.get_by_role("button", name=f"Follow {author}", exact=True).first.click()
    expect(reader).to_have_url(re.compile(re.escape(published.path) + "$"))
    expect(reader.get_by_role("button", name=f"Unfollow {author}", exact=True)).to_have_count(2)

    navbar(reader).get_by_role("link", name="Home").click()
    reader.get_by_role("link", name="Your Feed").click()
    in_feed = reader.locator(".article-preview", has_text=published.title)
    expect(in_feed).to_be_visible()

    in_feed.get_by_role("link", name=author, exact=True).click()
    expect(reader.get_by_role("heading", name=author, exact=True)).to_be_visible()
    reader.get_by_role("button", name=f"Unfollow {author}", exact=True).click()
    expect(reader.get_by_role("button", name=f"Follow {author}", exact=True)).to_be_visible()

    reader.goto("/?feed=yours")
    expect(reader.locator(".article-preview", has_text=published.title)).to_have_count(0)
    expect(reader.locator(".article-preview.empty-state")).to_have_text(
        "No articles are here... yet."
    )


HOSTILE_BODY = "\n\n".join(
    [
        "Harmless intro.",
        "<script>window.__pwned=1</script>",
        '<img src=x onerror="window.__pwned=1">',
        "[click](javascript:window.__pwned=1)",
        '<iframe src="javascript:window.__pwned=1"></iframe>',
        '<a href="javascript:window.__pwned=1">raw link</a>',
        "[fine](https://example.com/)",
    ]
)


def test_hostile_markdown_runs_nothing(page: Page, page_events: PageEvents) -> None:
    name = unique_name("mallory")
    sign_up(page, name)
    published = publish(
        page,
        title=f"<script>window.__pwned=1</script> {name}",
        description='<img src=x onerror="window.__pwned=1">',
        body=HOSTILE_BODY,
        tags="<b>bold</b>",
    )

    for path in (published.path, "/", f"/profile/{name}"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        assert page.locator("main script, main iframe, main img[onerror]").count() == 0, path

    page.goto(published.path)
    content = page.locator(".article-content")
    expect(content).to_contain_text("Harmless intro.")
    expect(content.locator("script")).to_have_count(0)
    expect(content.locator("iframe")).to_have_count(0)
    expect(content.locator("[onerror]")).to_have_count(0)
    # The raw HTML is shown as text, not dropped silently and not run.
    expect(content).to_contain_text("<script>window.__pwned=1</script>")
    expect(content).to_contain_text("[click](javascript:window.__pwned=1)")
    hrefs = content.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(not (href or "").strip().lower().startswith("javascript:") for href in hrefs)
    assert "https://example.com/" in hrefs
    expect(content.get_by_role("link", name="click")).to_have_count(0)
    expect(article_title(page)).to_have_text(f"<script>window.__pwned=1</script> {name}")

    # Clicking what looks like the link runs nothing either.
    content.get_by_text("[click](javascript:window.__pwned=1)").click()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page_events.dialogs == []


def test_the_whole_site_works_without_javascript(new_page: NewPage) -> None:
    author_page = new_page(javascript=False)
    author = unique_name("nojs-author")
    sign_up(author_page, author)
    published = publish(
        author_page, title=f"Written without scripts {author}", body="Plain **HTML**.", tags="nojs"
    )
    expect(author_page.locator(".article-content strong")).to_have_text("HTML")
    post_comment(author_page, "A comment without JavaScript")

    reader = new_page(javascript=False)
    reader_name = unique_name("nojs-reader")
    sign_up(reader, reader_name)
    reader.goto(published.path)
    expect(comment_card(reader, "A comment without JavaScript")).to_be_visible()
    reader.get_by_role("button", name="Favorite Article").first.click()
    unfavorite = reader.get_by_role("button", name="Unfavorite Article").first
    expect(unfavorite).to_contain_text("(1)")
    reader.get_by_role("button", name=f"Follow {author}", exact=True).first.click()
    expect(reader.get_by_role("button", name=f"Unfollow {author}", exact=True)).to_have_count(2)
    reader.goto("/?feed=yours")
    expect(reader.locator(".article-preview", has_text=published.title)).to_be_visible()
    reader.goto(published.path)
    post_comment(reader, f"Nice one, from {reader_name}")
    sign_out(reader)

    author_page.goto(published.path)
    expect(comment_card(author_page, f"Nice one, from {reader_name}")).to_be_visible()
    sign_out(author_page)


def test_sign_in_errors_and_return_to_the_page_asked_for(new_page: NewPage) -> None:
    first = new_page()
    name = unique_name("returning")
    sign_up(first, name)
    sign_out(first)

    page = new_page()
    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)settings$"))
    expect(flash(page)).to_contain_text("Please sign in first.")

    page.goto("/login?next=/settings")
    sign_in(page, name, password="not the password")
    expect(page.locator("ul.error-messages")).to_have_text("email or password is invalid")
    expect(page.get_by_label("Email", exact=True)).to_have_value(f"{name}@example.com")
    assert_anonymous(page)

    # The failed attempt kept where to go: the next one lands on /settings.
    sign_in(page, name, password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", name="Your Settings")).to_be_visible()
    expect(page.get_by_label("Your Name")).to_have_value(name)
    expect(navbar(page).get_by_role("link", name=name)).to_be_visible()


def test_comments_page_through_links_without_javascript(new_page: NewPage) -> None:
    page = new_page(javascript=False)
    author = unique_name("pager")
    sign_up(page, author)
    published = publish(page, title=f"Much discussed {author}", body="Talk.", tags="talk")
    # One more comment than a page holds (20): the first one lands on page 2.
    for number in range(21):
        post_comment(page, f"Remark {number:02d}")

    expect(page.locator("#comments .card-text")).to_have_count(20)
    expect(comment_card(page, "Remark 00")).to_have_count(0)
    pager = page.get_by_role("navigation", name="Comment pages")
    pager.get_by_role("link", name="2", exact=True).click()

    expect(page).to_have_url(re.compile(r"\?page=2#comments$"))
    expect(page.locator("#comments .card-text")).to_have_text(["Remark 00"])
    comment_card(page, "Remark 00").get_by_role("button", name="Delete").click()

    # Back where the comment was: page 2 is gone, so its last page, the first.
    expect(flash(page)).to_have_text("The comment is deleted.")
    expect(page.locator("#comments .card-text")).to_have_count(20)
    expect(page.get_by_role("navigation", name="Comment pages")).to_have_count(0)
    assert page.url.split("#")[0].endswith(f"{published.path}?page=2")


def test_a_reader_searches_from_the_header_with_javascript_off(new_page: NewPage) -> None:
    page = new_page(javascript=False)
    name = unique_name("searcher")
    sign_up(page, name)
    title = f"Taming wyverns {name}"
    publish(page, title=title, description="A guide", body="Wyverns **sleep** at noon.", tags="")

    box = navbar(page).get_by_role("searchbox", name="Search articles")
    box.fill(f"sleeping wyvern {name}")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=sleeping"))
    preview = page.locator(".article-preview", has_text=title)
    expect(preview).to_have_count(1)
    expect(preview.locator(".snippet mark").first).to_have_text(re.compile("wyvern", re.IGNORECASE))
