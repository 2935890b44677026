"""Two public RealWorld front ends, vue3 and angular, against this API in Chromium.

Each front end is served by nginx (tests/e2e/frontends.py) with /api passed to
a gunicorn of this module's own, on a database of its own. Every journey runs in
both; what a person sees is checked on the page, and what the app holds
afterwards through the API. The second person a journey needs is made through
the API.

tests/conftest.py leaves this module out when the front ends or nginx are
missing, except in CI, where their absence fails the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import (
    LiveServer,
    NewPage,
    empty_database,
    run_live_server,
    unique_name,
)
from tests.e2e.frontend_steps import (
    FRONT_ENDS,
    FrontEnd,
    add_tags,
    api_answer,
    article_heading,
    article_tags,
    assert_signed_in,
    button,
    comment_card,
    field,
    fill_editor,
    navbar,
    open_settings,
    preview_title,
    sign_in,
    sign_out,
    sign_up,
)
from tests.e2e.frontends import NAMES, Api, ServedFrontends, email_of, serve_frontends
from tests.e2e.frontends import require as require_front_ends


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's gunicorn, with one worker, on an empty database of its own.

    One worker: without Redis each worker keeps its own copy of the popular tags
    for up to TAGS_CACHE_SECONDS, and the tag filter needs the tag just written.
    """
    require_front_ends()
    work = tmp_path_factory.mktemp("frontends-server")
    with (
        empty_database(work, "frontends") as database_url,
        run_live_server(database_url, work, WEB_CONCURRENCY="1") as server,
    ):
        yield server


@pytest.fixture(scope="module")
def served(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedFrontends]:
    with serve_frontends(tmp_path_factory.mktemp("nginx"), live_server.url) as served:
        yield served


@pytest.fixture(scope="module", params=NAMES)
def front_end(request: pytest.FixtureRequest) -> FrontEnd:
    return FRONT_ENDS[request.param]


@pytest.fixture(scope="module")
def base_url(served: ServedFrontends, front_end: FrontEnd) -> str:
    """The front end's address: every page of these tests opens there."""
    return served.urls[front_end.name]


@pytest.fixture
def api(live_server: LiveServer) -> Api:
    return Api(live_server.url)


@pytest.fixture
def page(new_page: NewPage, base_url: str) -> Iterator[Page]:
    """A page of the front end that reaches nothing but its own origin, and no 5xx.

    The front ends link stylesheets and fonts on CDNs: those requests are refused
    in the browser, so that no traffic leaves the machine.
    """
    page = new_page()
    origin = urlsplit(base_url).netloc
    page.context.route(
        lambda url: urlsplit(url).netloc != origin, lambda route: route.abort("blockedbyclient")
    )
    server_errors: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 500:
            server_errors.append(f"{response.request.method} {response.url}: {response.status}")

    page.on("response", on_response)
    yield page
    assert not server_errors, f"the front end met server errors: {server_errors}"


def test_sign_up_then_sign_out_and_back_in(page: Page, front_end: FrontEnd, api: Api) -> None:
    name = unique_name("reader")
    sign_up(page, front_end, name)

    token = api.sign_in(name)
    assert api.ok("GET", "/user", token=token)["user"]["email"] == email_of(name)
    # The front end kept the token: a reload is still signed in.
    page.reload()
    assert_signed_in(page, name)

    sign_out(page)
    page.reload()
    expect(navbar(page).get_by_role("link", name="Sign in")).to_be_visible()
    sign_in(page, front_end, name)


def test_publish_an_article_with_tags(page: Page, front_end: FrontEnd, api: Api) -> None:
    name = unique_name("author")
    api.sign_up(name)
    sign_in(page, front_end, name)

    title = f"Dragons of {name}"
    navbar(page).get_by_role("link", name=front_end.new_article_link).click()
    fill_editor(page, title=title, description="Ever wondered?", body="They are **big**.")
    add_tags(page, ["training", "dragons"])
    publish = button(page, "Publish Article")
    slug = api_answer(page, "POST", "/articles", publish.click).json()["article"]["slug"]

    expect(article_heading(page, title)).to_be_visible()
    expect(page.locator("strong", has_text="big")).to_be_visible()
    expect(article_tags(page)).to_have_text(["dragons", "training"])
    article = api.ok("GET", f"/articles/{slug}")["article"]
    assert (article["title"], article["body"], article["author"]["username"]) == (
        title,
        "They are **big**.",
        name,
    )
    assert sorted(article["tagList"]) == ["dragons", "training"]


def test_edit_then_delete_an_article(page: Page, front_end: FrontEnd, api: Api) -> None:
    name = unique_name("editor")
    token = api.sign_up(name)
    title = f"First draft of {name}"
    slug = api.publish(token, title, ["drafts"])
    sign_in(page, front_end, name)
    page.goto(front_end.route(f"/article/{slug}"))
    expect(article_heading(page, title)).to_be_visible()

    page.get_by_text("Edit Article").first.click()
    expect(page.get_by_placeholder("Article Title")).to_have_value(title)
    new_title = f"Second draft of {name}"
    fill_editor(page, title=new_title, description="Revised", body="Now *better*.")
    publish = button(page, "Publish Article")
    answer = api_answer(page, "PUT", f"/articles/{slug}", publish.click)
    new_slug = answer.json()["article"]["slug"]
    expect(article_heading(page, new_title)).to_be_visible()
    expect(page.locator("em", has_text="better")).to_be_visible()
    edited = api.ok("GET", f"/articles/{new_slug}")["article"]
    assert (edited["title"], edited["description"], edited["body"], edited["tagList"]) == (
        new_title,
        "Revised",
        "Now *better*.",
        ["drafts"],
    )

    api_answer(page, "DELETE", f"/articles/{new_slug}", button(page, "Delete Article").first.click)
    expect(page.get_by_text("Global Feed")).to_be_visible()
    expect(article_heading(page, new_title)).to_have_count(0)
    assert api.call("GET", f"/articles/{new_slug}")[0] == 404


def test_comment_favorite_and_delete_the_comment(page: Page, front_end: FrontEnd, api: Api) -> None:
    author = unique_name("author")
    slug = api.publish(api.sign_up(author), f"Comment on me, {author}")
    reader = unique_name("reader")
    token = api.sign_up(reader)
    sign_in(page, front_end, reader)
    page.goto(front_end.route(f"/article/{slug}"))

    text = f"Well written, from {reader}"
    page.get_by_placeholder("Write a comment...").fill(text)
    post = button(page, "Post Comment")
    api_answer(page, "POST", f"/articles/{slug}/comments", post.click)
    card = comment_card(page, text)
    expect(card).to_be_visible()
    expect(card.get_by_text(reader, exact=True)).to_be_visible()
    (comment,) = api.ok("GET", f"/articles/{slug}/comments")["comments"]
    assert (comment["body"], comment["author"]["username"]) == (text, reader)

    favorite = button(page, "Favorite Article").first
    api_answer(page, "POST", f"/articles/{slug}/favorite", favorite.click)
    expect(button(page, "Unfavorite Article").first).to_have_text(re.compile(r"\(1\)"))
    article = api.ok("GET", f"/articles/{slug}", token=token)["article"]
    assert (article["favorited"], article["favoritesCount"]) == (True, 1)

    trash = card.locator(".ion-trash-a")
    path = f"/articles/{slug}/comments/{comment['id']}"
    api_answer(page, "DELETE", path, lambda: trash.dispatch_event("click"))
    expect(card).to_have_count(0)
    assert api.ok("GET", f"/articles/{slug}/comments")["comments"] == []


def test_settings_save_a_new_bio_and_image(
    page: Page, front_end: FrontEnd, api: Api, base_url: str
) -> None:
    name = unique_name("settler")
    api.sign_up(name)
    sign_in(page, front_end, name)
    open_settings(page)

    bio = f"{name} likes dragons."
    # An image on the front end's own origin: it loads, and nothing leaves the machine.
    image = f"{base_url}/favicon.ico"
    field(page, "URL of profile picture").fill(image)
    field(page, "Short bio about you").fill(bio)
    api_answer(page, "PUT", "/user", button(page, "Update Settings").click)

    expect(page.get_by_text(bio)).to_be_visible()
    expect(page.locator(f'img[src="{image}"]').first).to_be_visible()
    user = api.ok("GET", "/user", token=api.sign_in(name))["user"]
    assert (user["username"], user["email"], user["bio"], user["image"]) == (
        name,
        email_of(name),
        bio,
        image,
    )


def test_follow_an_author_then_your_feed_and_a_tag(
    page: Page, front_end: FrontEnd, api: Api
) -> None:
    author = unique_name("followed")
    author_token = api.sign_up(author)
    tag = unique_name("tag")
    tagged = f"Tagged by {author}"
    untagged = f"Untagged by {author}"
    api.publish(author_token, untagged)
    api.publish(author_token, tagged, [tag])
    reader = unique_name("follower")
    reader_token = api.sign_up(reader)
    own = f"Written by {reader}"
    api.publish(reader_token, own, [tag])
    sign_in(page, front_end, reader)

    page.goto(front_end.route(f"/profile/{author}"))
    follow = button(page, f"Follow {author}").first
    api_answer(page, "POST", f"/profiles/{author}/follow", follow.click)
    expect(button(page, f"Unfollow {author}").first).to_be_visible()
    profile = api.ok("GET", f"/profiles/{author}", token=reader_token)["profile"]
    assert profile["following"] is True

    # The home page's own list first, so that it cannot land after the feed.
    api_answer(page, "GET", "/articles", navbar(page).get_by_role("link", name="Home").click)
    your_feed = page.get_by_text("Your Feed", exact=True)
    api_answer(page, "GET", "/articles/feed", your_feed.click)
    expect(preview_title(page, own)).to_have_count(0)
    expect(preview_title(page, tagged)).to_be_visible()
    expect(preview_title(page, untagged)).to_be_visible()

    sidebar_tag = page.locator(".sidebar").get_by_text(tag, exact=True)
    api_answer(page, "GET", "/articles", sidebar_tag.click)
    expect(preview_title(page, untagged)).to_have_count(0)
    expect(preview_title(page, tagged)).to_be_visible()
    expect(preview_title(page, own)).to_be_visible()
