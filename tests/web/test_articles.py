"""The home page and its feeds, the editor, deleting, and favorite buttons."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.exceptions import Invalid
from app.extensions import db
from app.models import Article, Favorite, User
from app.services import articles, profiles
from app.web.articles import POPULAR_TAGS
from app.web.pages import Pager
from tests.api.helpers import create_article
from tests.conftest import auth_headers
from tests.factories import UserFactory
from tests.web.helpers import Page

PAGE_SIZE = 10


def _write(author: User, title: str, *, tags: Sequence[str] = (), body: str = "The body") -> str:
    """Publish an article by `author`; return its slug."""
    return articles.create_article(
        actor=author, title=title, description=f"About {title}", body=body, tag_list=tags
    ).slug


def _titles(page: Page) -> list[str]:
    return page.texts(".article-preview h1")


def _tabs(page: Page) -> list[str]:
    return page.texts(".feed-toggle a.nav-link")


def _active_tab(page: Page) -> str:
    return page.first(".feed-toggle a.nav-link.active").text


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _article_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Article)) or 0


def _article(slug: str) -> Article | None:
    db.session.remove()
    return db.session.scalar(select(Article).where(Article.slug == slug))


def _favorite_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Favorite)) or 0


@pytest.fixture
def third_user(app) -> User:
    return UserFactory(username="third", email="third@example.com")


@pytest.fixture
def library(user, other_user, third_user) -> dict[str, str]:
    """celeb, third and jake have each written articles; jake follows celeb."""
    slugs = {
        "dragons": _write(other_user, "Dragons", tags=["dragons", "fire"]),
        "ice": _write(third_user, "Ice", tags=["ice"]),
        "own": _write(user, "Own", tags=["dragons"]),
        "wings": _write(other_user, "Wings", tags=["dragons"]),
    }
    profiles.follow_user(actor=user, username="celeb")
    return slugs


# The home page -------------------------------------------------------------------


def test_home_shows_the_global_feed_newest_first_to_anyone(browser, library):
    page = browser.get("/")

    assert _titles(page) == ["Wings", "Own", "Ice", "Dragons"]
    assert _tabs(page) == ["Global Feed"]
    assert _active_tab(page) == "Global Feed"
    assert page.select(".banner")
    assert page.signed_in_as is None
    preview = page.select(".article-preview")[3]
    assert preview.first(".author").text == "celeb"
    assert preview.first(".author")["href"] == "/profile/celeb"
    assert preview.first("p").text == "About Dragons"
    assert preview.texts(".tag-list li") == ["dragons", "fire"]
    assert preview.first("a.preview-link")["href"] == f"/article/{library['dragons']}"


def test_home_lists_the_popular_tags_most_used_first(browser, library):
    page = browser.get("/")

    assert page.texts(".sidebar .tag-list a") == ["dragons", "fire", "ice"]
    assert page.first(".sidebar .tag-list a")["href"] == "/?tag=dragons"


def test_home_shows_only_the_most_used_tags(browser, user):
    many = [f"tag-{number:02}" for number in range(POPULAR_TAGS + 5)]
    for number, name in enumerate(many):
        _write(user, f"Article {number}", tags=["common", name])

    shown = browser.get("/").texts(".sidebar .tag-list a")

    # Most used first, ties in alphabetical order.
    assert shown == ["common", *many[: POPULAR_TAGS - 1]]


def test_an_empty_home_says_so(browser):
    page = browser.get("/")

    assert _titles(page) == []
    assert page.first(".article-preview.empty-state").text == "No articles are here... yet."
    assert page.first(".sidebar .empty-state").text == "No tags are here... yet."


def test_your_feed_is_offered_only_when_signed_in(new_browser, signed_in, library):
    assert "Your Feed" not in _tabs(new_browser().get("/"))

    assert _tabs(signed_in.get("/")) == ["Your Feed", "Global Feed"]
    assert signed_in.get("/").select(".banner") == []


def test_your_feed_shows_only_the_authors_you_follow(signed_in, library):
    page = signed_in.get("/?feed=yours")

    assert _active_tab(page) == "Your Feed"
    assert _titles(page) == ["Wings", "Dragons"]
    assert {author.text for author in page.select(".article-preview .author")} == {"celeb"}


def test_your_feed_is_empty_until_you_follow_someone(browser, other_user, third_user):
    _write(other_user, "Unfollowed")
    browser.sign_in(third_user.email)

    page = browser.get("/?feed=yours")

    assert _titles(page) == []
    assert page.first(".empty-state").text == "No articles are here... yet."


def test_your_feed_asked_for_anonymously_is_the_global_feed(browser, library):
    page = browser.get("/?feed=yours")

    assert _active_tab(page) == "Global Feed"
    assert _titles(page) == ["Wings", "Own", "Ice", "Dragons"]


def test_an_unknown_feed_is_the_global_feed(signed_in, library):
    page = signed_in.get("/?feed=nonsense")

    assert _active_tab(page) == "Global Feed"
    assert _titles(page) == ["Wings", "Own", "Ice", "Dragons"]


@pytest.mark.parametrize("viewer", ["anonymous", "signed in"])
def test_a_tag_tab_shows_only_that_tags_articles(browser, user, library, viewer):
    if viewer == "signed in":
        browser.sign_in(user.email)

    page = browser.get("/?tag=dragons")

    assert _active_tab(page) == "# dragons"
    assert _tabs(page)[-2:] == ["Global Feed", "# dragons"]
    assert _titles(page) == ["Wings", "Own", "Dragons"]
    assert page.first("title").text == "#dragons — Conduit"


def test_a_tag_nobody_uses_shows_an_empty_tab(browser, library):
    page = browser.get("/?tag=nothing")

    assert _active_tab(page) == "# nothing"
    assert _titles(page) == []


def test_a_tag_is_shown_as_text_not_html(browser, library):
    page = browser.get("/?tag=%3Cscript%3Ealert(1)%3C/script%3E")

    assert _active_tab(page) == "# <script>alert(1)</script>"
    assert page.select("script") == []


@pytest.mark.parametrize("url", ["/", "/article/{slug}", "/profile/celeb", "/?tag=dragons"])
def test_an_anonymous_reader_is_given_no_session_cookie(browser, library, url):
    page = browser.get(url.format(slug=library["dragons"]))

    assert "Set-Cookie" not in page.response.headers


def test_a_signed_in_reader_is_sent_the_cookie_only_when_the_session_changes(signed_in, library):
    signed_in.get(f"/article/{library['dragons']}")  # the first form puts a CSRF key in

    again = signed_in.get(f"/article/{library['dragons']}")
    home = signed_in.get("/")

    assert "Set-Cookie" not in again.response.headers
    assert "Set-Cookie" not in home.response.headers
    assert again.select("form.comment-form")


# Pagination --------------------------------------------------------------------


@pytest.fixture
def many(other_user) -> list[str]:
    """25 articles, the first 12 tagged `even`-ly; returned newest first."""
    titles = [f"Article {number:02d}" for number in range(25)]
    for number, title in enumerate(titles):
        _write(other_user, title, tags=["paged"] if number < 12 else [])
    return titles[::-1]


def test_the_home_page_shows_ten_articles_a_page(browser, many):
    pages = [browser.get(f"/?page={number}") for number in (1, 2, 3)]

    assert [len(_titles(page)) for page in pages] == [10, 10, 5]
    assert [title for page in pages for title in _titles(page)] == many


def test_the_pager_links_every_page_and_marks_the_current_one(browser, many):
    page = browser.get("/?page=2")

    links = page.select(".pagination a.page-link")
    assert [link.text for link in links] == ["1", "2", "3"]
    assert [_query(link["href"]) for link in links] == [{"page": [n]} for n in ("1", "2", "3")]
    current = page.first(".pagination li.active a")
    assert current.text == "2"
    assert current["aria-current"] == "page"


def test_the_first_page_is_the_default(browser, many):
    assert _titles(browser.get("/")) == _titles(browser.get("/?page=1")) == many[:PAGE_SIZE]


@pytest.mark.parametrize("page_number", ["0", "-3", "abc", "", "1.5"])
def test_a_nonsense_page_number_shows_the_first_page(browser, many, page_number):
    page = browser.get(f"/?page={page_number}")

    assert _titles(page) == many[:PAGE_SIZE]
    assert page.first(".pagination li.active a").text == "1"


@pytest.mark.parametrize("page_number", ["4", "999999999999"])
def test_a_page_past_the_end_is_empty_but_keeps_the_pager(browser, many, page_number):
    page = browser.get(f"/?page={page_number}")

    assert _titles(page) == []
    assert page.first(".empty-state").text == "No articles are here... yet."
    assert page.texts(".pagination a.page-link") == ["1", "2", "3"]


def test_a_tag_tab_pages_within_the_tag(browser, many):
    first = browser.get("/?tag=paged")
    second = browser.get("/?tag=paged&page=2")

    assert len(_titles(first)) == 10
    assert len(_titles(second)) == 2
    assert set(_titles(first)) | set(_titles(second)) == set(many[-12:])
    links = first.select(".pagination a.page-link")
    assert [_query(link["href"]) for link in links] == [
        {"tag": ["paged"], "page": ["1"]},
        {"tag": ["paged"], "page": ["2"]},
    ]


def test_one_page_of_articles_has_no_pager(browser, other_user):
    for number in range(PAGE_SIZE):
        _write(other_user, f"Only {number}")

    page = browser.get("/")

    assert len(_titles(page)) == PAGE_SIZE
    assert page.select(".pagination") == []


# Writing -----------------------------------------------------------------------


NEW_ARTICLE = {
    "title": "How to train your dragon",
    "description": "Ever wonder how?",
    "body": "You have to *believe*.",
    "tags": "dragons, training",
}


def test_the_editor_needs_sign_in(browser):
    page = browser.get("/editor", status=302)

    assert urlsplit(page.location).path == "/login"
    assert _query(page.location) == {"next": ["/editor"]}


def test_the_editor_shows_an_empty_form(signed_in):
    page = signed_in.get("/editor")

    form = page.form("/editor")
    assert form.first("#title").get("value", "") == ""
    assert form.first("#body").text == ""
    assert form.first("button").text == "Publish Article"


def test_publishing_an_article_shows_it(signed_in, user):
    page = signed_in.submit("/editor", NEW_ARTICLE)

    assert page.status == 302
    assert page.location == "/article/how-to-train-your-dragon"
    article = signed_in.get(page.location)
    assert article.flashes == ["Your article is published."]
    assert article.first(".banner h1").text == "How to train your dragon"
    assert article.first(".article-content em").text == "believe"
    assert article.texts(".article-content .tag-list li") == ["dragons", "training"]
    assert article.first(".banner .author").text == "jake"
    saved = _article("how-to-train-your-dragon")
    assert saved is not None
    assert saved.author_id == user.id
    assert saved.description == "Ever wonder how?"


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("a, b, a", ["a", "b"]),
        ("  dragons ,, training , ", ["dragons", "training"]),
        ("single", ["single"]),
        ("", []),
        (" , ,", []),
    ],
)
def test_tags_are_split_on_commas_trimmed_and_deduplicated(signed_in, typed, tags):
    page = signed_in.submit("/editor", {**NEW_ARTICLE, "tags": typed})

    article = signed_in.get(page.location)
    assert article.texts(".article-content .tag-list li") == tags


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Article Title can't be blank"),
        ("title", "   ", "Article Title can't be blank"),
        ("title", "t" * 256, "Article Title is too long (maximum is 255 characters)"),
        ("description", "", "What's this article about? can't be blank"),
        ("body", "", "Body can't be blank"),
        ("body", " \n\t ", "Body can't be blank"),
        ("tags", ", ".join(f"tag{n}" for n in range(21)), "Tags can't be more than 20"),
        ("tags", "x" * 65, "Tags can't be longer than 64 characters each"),
    ],
)
def test_the_editor_shows_errors_with_422_and_publishes_nothing(signed_in, field, value, message):
    page = signed_in.submit("/editor", {**NEW_ARTICLE, field: value})

    assert page.status == 422
    assert page.errors == [message]
    assert _article_count() == 0
    # What was typed is still there, to be corrected.
    form = page.form("/editor")
    assert form.first("#description")["value"] == (
        value if field == "description" else NEW_ARTICLE["description"]
    )


def test_saving_the_editor_unchanged_writes_nothing(signed_in, statements):
    slug = signed_in.submit("/editor", {**NEW_ARTICLE, "body": "One\nline, then another"})
    slug = urlsplit(slug.location).path.rsplit("/", 1)[1]
    statements.reset()

    page = signed_in.submit(f"/editor/{slug}")

    assert page.status == 302
    writes = [s for s in statements.statements if not s.lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_saving_the_editor_unchanged_keeps_tags_that_hold_a_comma(signed_in, client, user):
    created = create_article(client, auth_headers(user), tag_list=["rock,roll", "jazz"])
    before = client.get(f"/api/articles/{created['slug']}").json["article"]

    page = signed_in.submit(f"/editor/{created['slug']}")

    assert page.status == 302
    after = client.get(f"/api/articles/{created['slug']}").json["article"]
    assert after["tagList"] == ["jazz", "rock,roll"]
    assert after["updatedAt"] == before["updatedAt"]


def test_a_body_sent_with_a_browsers_crlf_line_ends_is_stored_with_lf(signed_in, client, user):
    body = "line one\nline two\n\nmore"
    created = create_article(client, auth_headers(user), body=body)
    before = client.get(f"/api/articles/{created['slug']}").json["article"]

    # A browser sends a text area's line ends as CRLF, whatever the page held.
    page = signed_in.submit(f"/editor/{created['slug']}", {"body": body.replace("\n", "\r\n")})

    assert page.status == 302
    after = client.get(f"/api/articles/{created['slug']}").json["article"]
    assert after["body"] == body
    assert after["updatedAt"] == before["updatedAt"]


def test_a_body_at_its_limit_saved_from_a_browser_is_not_too_long(signed_in, client, user):
    body = ("x" * 99 + "\n") * 1000
    created = create_article(client, auth_headers(user), body=body)

    page = signed_in.submit(f"/editor/{created['slug']}", {"body": body.replace("\n", "\r\n")})

    assert page.status == 302, page.errors


def test_a_tag_field_the_author_changed_is_split_on_its_commas(signed_in, client, user):
    created = create_article(client, auth_headers(user), tag_list=["rock,roll"])

    page = signed_in.submit(f"/editor/{created['slug']}", {"tags": "rock,roll, jazz"})

    assert page.status == 302
    after = client.get(f"/api/articles/{created['slug']}").json["article"]
    assert after["tagList"] == ["jazz", "rock", "roll"]


def test_a_title_on_two_lines_is_a_field_error_in_the_editor(signed_in):
    page = signed_in.submit("/editor", {**NEW_ARTICLE, "title": "How to\ntrain"})

    assert page.status == 422
    assert page.errors == ["Article Title must be a single line"]


def test_the_editor_with_everything_blank_names_every_field(signed_in):
    page = signed_in.submit("/editor", {"title": "", "description": "", "body": ""})

    assert page.status == 422
    assert page.errors == [
        "Article Title can't be blank",
        "What's this article about? can't be blank",
        "Body can't be blank",
    ]


@pytest.mark.parametrize(
    ("url", "service"), [("/editor", "create_article"), ("/editor/{own}", "update_article")]
)
def test_a_refusal_from_the_service_is_shown_in_the_editor_with_422(
    signed_in, own_article, monkeypatch, url, service
):
    def refuse(**_kwargs: object) -> None:
        raise Invalid({"title": ["is reserved"]})

    monkeypatch.setattr(articles, service, refuse)

    page = signed_in.submit(url.format(own=own_article), NEW_ARTICLE)

    assert page.status == 422
    assert page.errors == ["title is reserved"]
    assert page.form(url.format(own=own_article)).first("#title")["value"] == NEW_ARTICLE["title"]


def test_two_articles_with_one_title_get_two_slugs(signed_in):
    first = signed_in.submit("/editor", NEW_ARTICLE).location
    second = signed_in.submit("/editor", NEW_ARTICLE).location

    assert first != second
    assert second.startswith("/article/how-to-train-your-dragon-")
    signed_in.get(first)
    signed_in.get(second)


# Editing -----------------------------------------------------------------------


@pytest.fixture
def own_article(user) -> str:
    return _write(user, "Own article", tags=["dragons", "training"], body="Own *body*")


def test_the_edit_page_is_filled_with_the_article(signed_in, own_article):
    form = signed_in.get(f"/editor/{own_article}").form(f"/editor/{own_article}")

    assert form.first("#title")["value"] == "Own article"
    assert form.first("#description")["value"] == "About Own article"
    assert form.first("#body").text == "Own *body*"
    assert form.first("#tags")["value"] == "dragons, training"


def test_editing_an_article_saves_it_under_its_new_slug(signed_in, own_article):
    page = signed_in.submit(
        f"/editor/{own_article}",
        {"title": "Renamed", "body": "New body", "tags": "fresh"},
    )

    assert page.status == 302
    assert page.location == "/article/renamed"
    article = signed_in.get("/article/renamed")
    assert article.flashes == ["Your article is updated."]
    assert article.first(".banner h1").text == "Renamed"
    assert article.first(".article-content p").text == "New body"
    assert article.texts(".article-content .tag-list li") == ["fresh"]
    signed_in.get(f"/article/{own_article}", status=404)


def test_editing_without_changes_keeps_the_slug(signed_in, own_article):
    page = signed_in.submit(f"/editor/{own_article}")

    assert page.location == f"/article/{own_article}"
    assert signed_in.get(page.location).texts(".article-content .tag-list li") == [
        "dragons",
        "training",
    ]


def test_editing_with_errors_shows_them_with_422_and_changes_nothing(signed_in, own_article):
    page = signed_in.submit(f"/editor/{own_article}", {"title": "", "body": "Changed"})

    assert page.status == 422
    assert page.errors == ["Article Title can't be blank"]
    saved = _article(own_article)
    assert (saved.title, saved.body) == ("Own article", "Own *body*")


def test_the_edit_page_of_a_missing_article_is_404(signed_in):
    page = signed_in.get("/editor/no-such-article", status=404)

    assert page.first("h1").text == "404"


def test_the_edit_page_needs_sign_in(browser, own_article):
    page = browser.get(f"/editor/{own_article}", status=302)

    assert _query(page.location) == {"next": [f"/editor/{own_article}"]}


def test_another_users_edit_page_is_403(other_signed_in, own_article):
    page = other_signed_in.get(f"/editor/{own_article}", status=403)

    assert page.first("h1").text == "403"
    assert page.select("form[action^='/editor']") == []


def test_editing_another_users_article_is_403_and_changes_nothing(other_signed_in, own_article):
    token = other_signed_in.csrf_token("/editor")

    page = other_signed_in.post(
        f"/editor/{own_article}",
        {"csrf_token": token, "title": "Hijacked", "description": "x", "body": "x"},
    )

    assert page.status == 403
    assert _article(own_article).title == "Own article"


def test_only_the_author_sees_edit_and_delete(signed_in, other_signed_in, own_article):
    own = signed_in.get(f"/article/{own_article}")
    theirs = other_signed_in.get(f"/article/{own_article}")

    assert len(own.links_to(f"/editor/{own_article}")) == 2  # in the banner and below
    assert len(own.select(f"form[action='/article/{own_article}/delete']")) == 2
    assert theirs.links_to(f"/editor/{own_article}") == []
    assert theirs.select(f"form[action='/article/{own_article}/delete']") == []


# Deleting ----------------------------------------------------------------------


def test_deleting_an_article_removes_it_and_goes_home(signed_in, own_article):
    page = signed_in.submit(f"/article/{own_article}", action=f"/article/{own_article}/delete")

    assert page.status == 302
    assert page.location == "/"
    assert signed_in.get("/").flashes == ["The article is deleted."]
    signed_in.get(f"/article/{own_article}", status=404)
    assert _article(own_article) is None


def test_deleting_another_users_article_is_403_and_keeps_it(other_signed_in, own_article):
    token = other_signed_in.csrf_token("/editor")

    page = other_signed_in.post(f"/article/{own_article}/delete", {"csrf_token": token})

    assert page.status == 403
    assert page.first("h1").text == "403"
    assert _article(own_article) is not None


def test_deleting_a_missing_article_is_404(signed_in):
    token = signed_in.csrf_token("/editor")

    page = signed_in.post("/article/no-such-article/delete", {"csrf_token": token})

    assert page.status == 404


# Favorites ---------------------------------------------------------------------


def _favorite_button(page: Page, slug: str) -> tuple[str, str]:
    """(what the article page's favorite button says, where it posts)."""
    form = page.select(f"form[action^='/article/{slug}/']")
    buttons = [f for f in form if f["action"].endswith("favorite")]
    return buttons[0].first("button").text, buttons[0]["action"]


def test_favoriting_from_the_article_page_counts_and_comes_back(signed_in, library):
    slug = library["dragons"]
    page = signed_in.get(f"/article/{slug}")
    assert _favorite_button(page, slug) == ("♥ Favorite Article (0)", f"/article/{slug}/favorite")

    done = signed_in.submit(f"/article/{slug}", action=f"/article/{slug}/favorite")

    assert done.status == 302
    assert done.location == f"/article/{slug}"
    page = signed_in.get(f"/article/{slug}")
    assert _favorite_button(page, slug) == (
        "♥ Unfavorite Article (1)",
        f"/article/{slug}/unfavorite",
    )
    assert "btn-primary" in page.first(f"form[action='/article/{slug}/unfavorite'] button").classes

    signed_in.submit(f"/article/{slug}", action=f"/article/{slug}/unfavorite")

    page = signed_in.get(f"/article/{slug}")
    assert _favorite_button(page, slug) == ("♥ Favorite Article (0)", f"/article/{slug}/favorite")
    assert _favorite_count() == 0


def test_the_count_adds_up_favorites_of_everyone(signed_in, other_signed_in, third_user, library):
    slug = library["ice"]
    signed_in.submit(f"/article/{slug}", action=f"/article/{slug}/favorite")
    other_signed_in.submit(f"/article/{slug}", action=f"/article/{slug}/favorite")

    mine = signed_in.get(f"/article/{slug}")
    assert _favorite_button(mine, slug)[0] == "♥ Unfavorite Article (2)"
    # Favoriting twice (two tabs open, say) counts once.
    token = signed_in.csrf_token("/editor")
    signed_in.post(f"/article/{slug}/favorite", {"csrf_token": token})
    assert _favorite_count() == 2


def test_the_home_page_favorite_buttons_count_and_come_back_to_the_page(signed_in, many):
    page = signed_in.get("/?page=2")
    form = page.select("form[action$=favorite]")
    assert len(form) == PAGE_SIZE
    first = page.select(".article-preview")[0]
    button = first.first("form")
    assert button["action"].endswith("/favorite")
    assert button.first("input[name=next]")["value"] == "/?page=2"
    assert button.first("button").text == "♥ 0 Favorite Article"

    done = signed_in.submit("/?page=2", action=button["action"])

    assert done.location == "/?page=2"
    again = signed_in.get("/?page=2").select(".article-preview")[0].first("form")
    assert again["action"].endswith("/unfavorite")
    assert again.first("button").text == "♥ 1 Unfavorite Article"


def test_a_favorite_never_goes_back_to_another_site(signed_in, library):
    slug = library["dragons"]
    token = signed_in.csrf_token(f"/article/{slug}", action=f"/article/{slug}/favorite")

    page = signed_in.post(
        f"/article/{slug}/favorite", {"csrf_token": token, "next": "//evil.com/x"}
    )

    assert page.location == f"/article/{slug}"


def test_favoriting_a_missing_article_is_404(signed_in):
    token = signed_in.csrf_token("/editor")

    assert signed_in.post("/article/nothing/favorite", {"csrf_token": token}).status == 404
    assert signed_in.post("/article/nothing/unfavorite", {"csrf_token": token}).status == 404


def test_the_favorite_button_for_anonymous_users_links_to_sign_in(browser, library):
    slug = library["dragons"]
    page = browser.get(f"/article/{slug}")

    links = [a for a in page.select(".article-meta a.btn") if "Favorite Article" in a.text]
    assert len(links) == 2
    assert all(link.text == "♥ Favorite Article (0)" for link in links)
    assert urlsplit(links[0]["href"]).path == "/login"
    assert _query(links[0]["href"]) == {"next": [f"/article/{slug}"]}
    assert page.select("form[action$=favorite]") == []


def test_the_home_favorite_links_for_anonymous_users_come_back_to_the_same_page(browser, many):
    page = browser.get("/?tag=paged&page=2")

    link = page.select(".article-preview")[0].first("a.btn")
    assert urlsplit(link["href"]).path == "/login"
    assert _query(link["href"]) == {"next": ["/?tag=paged&page=2"]}
    assert link.text == "♥ 0"

    login = browser.get(link["href"])
    assert login.form("/login").first("input[name=next]")["value"] == "/?tag=paged&page=2"


def test_an_anonymous_favorite_post_asks_to_sign_in_and_changes_nothing(browser, library):
    slug = library["dragons"]
    token = browser.csrf_token("/login")

    page = browser.post(
        f"/article/{slug}/favorite",
        {"csrf_token": token},
        headers={"Referer": f"http://localhost/article/{slug}"},
    )

    assert page.status == 302
    assert urlsplit(page.location).path == "/login"
    # Back to the page the button was on, once signed in.
    assert _query(page.location) == {"next": [f"/article/{slug}"]}
    assert _favorite_count() == 0


def test_an_anonymous_post_from_another_site_is_not_sent_back_there(browser, library):
    slug = library["dragons"]
    token = browser.csrf_token("/login")

    page = browser.post(
        f"/article/{slug}/favorite",
        {"csrf_token": token},
        headers={"Referer": "https://evil.com/article/x"},
    )

    assert urlsplit(page.location).path == "/login"
    assert _query(page.location) == {}


@pytest.mark.parametrize(
    ("page", "pages", "links"),
    [
        (1, 1, [1]),
        (1, 5, [1, 2, 3, 4, 5]),
        (1, 10_000, [1, 2, 3, 4, None, 10_000]),
        (50, 10_000, [1, None, 47, 48, 49, 50, 51, 52, 53, None, 10_000]),
        (10_000, 10_000, [1, None, 9_997, 9_998, 9_999, 10_000]),
        (5, 9, [1, 2, 3, 4, 5, 6, 7, 8, 9]),
        (100_000, 3, [1, 2, 3]),
    ],
)
def test_the_pager_links_the_ends_and_the_pages_around_the_current_one(page, pages, links):
    assert Pager(page=page, pages=pages).links() == links


def test_a_popular_tag_with_characters_a_query_must_quote_links_to_its_articles(browser, user):
    _write(user, "Systems", tags=["c++ & rust/go?"])

    link = browser.get("/").first(".sidebar .tag-list a")
    page = browser.get(link["href"])

    assert link["href"] == "/?tag=c%2B%2B%20%26%20rust%2Fgo%3F"
    assert page.texts(".article-preview h1") == ["Systems"]
