"""The article page: the body as safe HTML, and its comments."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, User
from app.services import articles
from app.web.articles import COMMENTS_PER_PAGE
from tests.factories import CommentFactory, insert_comments
from tests.web.helpers import Element, Page, form_values


def _write(author: User, body: str, *, title: str = "Markdown") -> str:
    return articles.create_article(
        actor=author, title=title, description="Described", body=body, tag_list=["md"]
    ).slug


def _content(page: Page) -> Element:
    """The rendered body of the article, followed by its tag list."""
    return page.first(".article-content .col-md-12")


def _comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment)) or 0


def _all_attributes(element: Element) -> list[tuple[str, str]]:
    return [(name, value) for node in element.descendants() for name, value in node.attrs.items()]


# The body -------------------------------------------------------------------------


def test_the_body_is_rendered_from_markdown(browser, other_user):
    body = (
        "# Heading\n\nSome **bold** and *em*.\n\n- one\n- two\n\n`code` [link](https://example.com)"
    )
    slug = _write(other_user, body)

    content = _content(browser.get(f"/article/{slug}"))

    assert content.first("h1").text == "Heading"
    assert content.first("strong").text == "bold"
    assert content.first("em").text == "em"
    assert content.first("ul").texts("li") == ["one", "two"]
    assert content.first("code").text == "code"
    link = content.first("a[href='https://example.com']")
    assert link.text == "link"
    assert set(link["rel"].split()) >= {"noopener", "noreferrer", "nofollow"}


def test_the_page_shows_title_author_date_and_tags(browser, other_user):
    slug = _write(other_user, "Body", title="A title")

    page = browser.get(f"/article/{slug}")

    assert page.first("title").text == "A title — Conduit"
    assert page.first(".banner h1").text == "A title"
    assert page.first(".banner .author").text == "celeb"
    assert page.first(".banner time")["datetime"]
    tags = page.select(".article-content .tag-list a")
    assert [(tag.text, tag["href"]) for tag in tags] == [("md", "/?tag=md")]


HOSTILE = [
    pytest.param("<script>alert('body')</script>", id="script"),
    pytest.param("<img src=x onerror=alert(1)>", id="onerror"),
    pytest.param('<a href="javascript:alert(1)">click</a>', id="raw javascript link"),
    pytest.param("[click](javascript:alert(1))", id="markdown javascript link"),
    pytest.param("[click](JaVaScRiPt:alert(1))", id="mixed-case javascript link"),
    pytest.param("[click](&#106;avascript:alert(1))", id="entity javascript link"),
    pytest.param("![x](javascript:alert(1))", id="javascript image"),
    pytest.param('<div class="raw" style="color:red">raw</div>', id="raw html"),
    pytest.param('<iframe src="https://evil.com"></iframe>', id="iframe"),
    pytest.param("<svg onload=alert(1)></svg>", id="svg"),
    pytest.param('<form action="/logout" method="post"><button>x</button></form>', id="form"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD4=)", id="data link"),
]


@pytest.mark.parametrize("body", HOSTILE)
def test_nothing_in_a_body_can_run_or_inject_markup(browser, other_user, body):
    slug = _write(other_user, f"Before\n\n{body}\n\nAfter")

    page = browser.get(f"/article/{slug}")

    content = _content(page)
    # Raw HTML is shown as text at most, never as elements.
    assert {element.tag for element in content.descendants()} <= {"p", "a", "img", "ul", "li"}
    for name, value in _all_attributes(content):
        assert not name.startswith("on"), (name, value)
        assert name not in ("style", "class", "src") or not value.strip().lower().startswith(
            ("javascript:", "data:")
        )
        if name in ("href", "src"):
            assert value.lower().startswith(("http://", "https://", "/", "#")) or not value
    # The whole page: no script, no iframe, no extra form.
    assert page.select("script") == []
    assert page.select("iframe") == []
    assert page.select("svg") == []
    assert page.select("div.raw") == []
    assert page.select("form[action='/logout']") == []
    assert "Before" in content.text
    assert "After" in content.text


def test_a_hostile_title_and_description_are_text(browser, other_user):
    slug = articles.create_article(
        actor=other_user,
        title="<script>alert(1)</script>",
        description='"><img src=x onerror=alert(2)>',
        body="Body",
    ).slug

    page = browser.get(f"/article/{slug}")
    home = browser.get("/")

    assert page.first(".banner h1").text == "<script>alert(1)</script>"
    for shown in (page, home):
        assert shown.select("script") == []
        assert [a for a in _all_attributes(shown.doc) if a[0].startswith("on")] == []
    assert home.first(".article-preview p").text == '"><img src=x onerror=alert(2)>'


def test_a_missing_article_is_a_404_page(browser):
    page = browser.get("/article/no-such-article", status=404)

    assert page.first("h1").text == "404"


# Comments --------------------------------------------------------------------------


@pytest.fixture
def slug(other_user) -> str:
    return _write(other_user, "Commented on", title="Commented")


def test_anonymous_readers_are_invited_to_sign_in_to_comment(browser, slug):
    page = browser.get(f"/article/{slug}")

    assert page.select("form.comment-form") == []
    sign_in = page.first("#comments p a")
    assert sign_in.text == "Sign in"
    assert urlsplit(sign_in["href"]).path == "/login"
    assert parse_qs(urlsplit(sign_in["href"]).query) == {"next": [f"/article/{slug}"]}


def test_posting_a_comment_shows_it_under_the_article(signed_in, slug):
    page = signed_in.submit(
        f"/article/{slug}", {"body": "First!"}, action=f"/article/{slug}/comments"
    )

    assert page.status == 302
    comment = db.session.scalar(select(Comment))
    assert page.location == f"/article/{slug}#comment-{comment.id}"
    shown = signed_in.get(f"/article/{slug}")
    card = shown.first(f"#comment-{comment.id}")
    assert card.first(".card-text").text == "First!"
    assert card.texts("a.comment-author")[-1] == "jake"


def test_comments_are_newest_first(signed_in, slug):
    for body in ("one", "two", "three"):
        signed_in.submit(f"/article/{slug}", {"body": body}, action=f"/article/{slug}/comments")

    page = signed_in.get(f"/article/{slug}")

    assert page.texts("#comments .card-text") == ["three", "two", "one"]


def test_a_comment_is_shown_as_text(signed_in, slug):
    signed_in.submit(
        f"/article/{slug}",
        {"body": "<script>alert(1)</script> **not bold**"},
        action=f"/article/{slug}/comments",
    )

    page = signed_in.get(f"/article/{slug}")

    assert page.first("#comments .card-text").text == "<script>alert(1)</script> **not bold**"
    assert page.select("script") == []


@pytest.mark.parametrize("body", ["", "   ", "\r\n\t"])
def test_an_empty_comment_shows_the_error_in_the_page_with_422(signed_in, slug, body):
    page = signed_in.submit(f"/article/{slug}", {"body": body}, action=f"/article/{slug}/comments")

    assert page.status == 422
    assert page.errors == ["Comment can't be blank"]
    # The article page itself, with its body and the comment form, not an error page.
    assert page.first(".banner h1").text == "Commented"
    assert page.form(f"/article/{slug}/comments")
    assert _comment_count() == 0


def test_the_buttons_of_a_page_drawn_again_for_a_refused_comment_come_back_to_it(signed_in, slug):
    page = signed_in.submit(f"/article/{slug}", {"body": " "}, action=f"/article/{slug}/comments")
    assert page.status == 422
    nexts = {field["value"] for field in page.select("form input[name='next']")}

    favorite = form_values(page.form(f"/article/{slug}/favorite"))
    answer = signed_in.post(f"/article/{slug}/favorite", favorite)

    # The URL the comment was posted to takes only a POST: coming back there was a 405.
    assert nexts == {f"/article/{slug}"}
    assert answer.status == 302
    assert answer.location == f"/article/{slug}"


def test_a_comment_sent_with_a_browsers_crlf_line_ends_is_stored_with_lf(signed_in, slug):
    page = signed_in.submit(
        f"/article/{slug}", {"body": "one\r\ntwo"}, action=f"/article/{slug}/comments"
    )

    assert page.status == 302
    assert db.session.scalars(select(Comment.body)).all() == ["one\ntwo"]


def test_a_too_long_comment_is_refused_and_kept_in_the_form(signed_in, slug):
    body = "c" * 20_001

    page = signed_in.submit(f"/article/{slug}", {"body": body}, action=f"/article/{slug}/comments")

    assert page.status == 422
    assert page.errors == ["Comment is too long (maximum is 20000 characters)"]
    assert page.form(f"/article/{slug}/comments").first("textarea").text == body
    assert _comment_count() == 0


def test_commenting_on_a_missing_article_is_404(signed_in, slug):
    token = signed_in.csrf_token(f"/article/{slug}", action=f"/article/{slug}/comments")

    page = signed_in.post("/article/missing/comments", {"csrf_token": token, "body": "Hi"})

    assert page.status == 404
    assert _comment_count() == 0


def test_commenting_needs_sign_in(browser, slug):
    token = browser.csrf_token("/login")

    page = browser.post(f"/article/{slug}/comments", {"csrf_token": token, "body": "Hi"})

    assert page.status == 302
    assert urlsplit(page.location).path == "/login"
    assert _comment_count() == 0


@pytest.fixture
def comments(slug, user, other_user) -> dict[str, int]:
    article = articles.load_article(slug)
    return {
        "mine": CommentFactory(article=article, author=user, body="Mine").id,
        "theirs": CommentFactory(article=article, author=other_user, body="Theirs").id,
    }


def _delete_action(slug: str, comment_id: int) -> str:
    return f"/article/{slug}/comments/{comment_id}/delete"


def test_only_your_own_comments_have_a_delete_button(signed_in, slug, comments):
    page = signed_in.get(f"/article/{slug}")

    assert page.select(f"form[action='{_delete_action(slug, comments['mine'])}']")
    assert page.select(f"form[action='{_delete_action(slug, comments['theirs'])}']") == []


def test_deleting_your_comment_removes_it(signed_in, slug, comments):
    page = signed_in.submit(f"/article/{slug}", action=_delete_action(slug, comments["mine"]))

    assert page.status == 302
    assert page.location == f"/article/{slug}#comments"
    shown = signed_in.get(f"/article/{slug}")
    assert shown.flashes == ["The comment is deleted."]
    assert shown.texts("#comments .card-text") == ["Theirs"]
    assert db.session.get(Comment, comments["mine"]) is None


def test_deleting_another_users_comment_is_403_and_keeps_it(signed_in, slug, comments):
    token = signed_in.csrf_token(f"/article/{slug}", action=f"/article/{slug}/comments")

    page = signed_in.post(_delete_action(slug, comments["theirs"]), {"csrf_token": token})

    assert page.status == 403
    assert page.first("h1").text == "403"
    assert db.session.get(Comment, comments["theirs"]) is not None


@pytest.mark.parametrize("comment_id", ["999999", "0", str(2**31), str(2**63)])
def test_deleting_a_missing_comment_is_404(signed_in, slug, comments, comment_id):
    token = signed_in.csrf_token(f"/article/{slug}", action=f"/article/{slug}/comments")

    page = signed_in.post(f"/article/{slug}/comments/{comment_id}/delete", {"csrf_token": token})

    assert page.status == 404
    assert _comment_count() == 2


def test_a_comment_cannot_be_deleted_through_another_article(signed_in, user, slug, comments):
    elsewhere = _write(user, "Elsewhere", title="Elsewhere")
    token = signed_in.csrf_token(f"/article/{slug}", action=f"/article/{slug}/comments")

    page = signed_in.post(_delete_action(elsewhere, comments["mine"]), {"csrf_token": token})

    assert page.status == 404
    assert db.session.get(Comment, comments["mine"]) is not None


# Pages of comments -------------------------------------------------------------------


def _bodies(page: Page) -> list[str]:
    return page.texts("#comments .card-text")


def _newest(count: int, *, skip: int = 0, of: int) -> list[str]:
    """The bodies of `count` comments, newest first, after skipping `skip`, of `of`."""
    return [f"Comment {number}" for number in range(of - 1 - skip, of - 1 - skip - count, -1)]


@pytest.fixture
def many_comments(slug, user) -> int:
    """Two pages of comments and a bit, all by jake ("Comment 0" the oldest)."""
    count = 2 * COMMENTS_PER_PAGE + 1
    insert_comments(article=articles.load_article(slug), author=user, count=count)
    return count


def test_comments_come_twenty_a_page_newest_first(browser, slug, many_comments):
    pages = [browser.get(f"/article/{slug}?page={number}") for number in (1, 2, 3)]

    assert COMMENTS_PER_PAGE == 20
    assert [_bodies(page) for page in pages] == [
        _newest(20, of=41),
        _newest(20, skip=20, of=41),
        ["Comment 0"],
    ]
    assert _bodies(browser.get(f"/article/{slug}")) == _bodies(pages[0])


def test_the_comment_pager_links_each_page_at_the_comments(browser, slug, many_comments):
    page = browser.get(f"/article/{slug}?page=2")

    pager = page.first("#comments nav[aria-label='Comment pages']")
    links = pager.select("a.page-link")
    assert [link.text for link in links] == ["1", "2", "3"]
    assert [link["href"] for link in links] == [
        f"/article/{slug}?page={number}#comments" for number in (1, 2, 3)
    ]
    current = pager.first("li.active a")
    assert (current.text, current["aria-current"]) == ("2", "page")


def test_one_page_of_comments_has_no_pager(browser, slug, user):
    insert_comments(article=articles.load_article(slug), author=user, count=COMMENTS_PER_PAGE)

    page = browser.get(f"/article/{slug}")

    assert len(_bodies(page)) == COMMENTS_PER_PAGE
    assert page.select(".pagination") == []


@pytest.mark.parametrize("number", ["0", "-3", "abc", "", "1.5", "%00", "9" * 5000])
def test_a_nonsense_comment_page_shows_the_first(browser, slug, many_comments, number):
    page = browser.get(f"/article/{slug}?page={number}")

    assert _bodies(page) == _newest(20, of=41)
    assert page.first(".pagination li.active a").text == "1"


@pytest.mark.parametrize("number", ["4", "999999999999", "9" * 400])
def test_a_comment_page_past_the_last_shows_the_last(browser, slug, many_comments, number):
    page = browser.get(f"/article/{slug}?page={number}")

    assert _bodies(page) == ["Comment 0"]
    assert page.first(".pagination li.active a").text == "3"


def test_a_comment_posted_from_a_later_page_is_shown_first_on_the_first(
    signed_in, slug, many_comments
):
    posted = signed_in.submit(
        f"/article/{slug}?page=3", {"body": "Newest"}, action=f"/article/{slug}/comments"
    )

    comment = db.session.scalar(select(Comment).where(Comment.body == "Newest"))
    assert posted.location == f"/article/{slug}#comment-{comment.id}"
    assert _bodies(signed_in.get(posted.location))[0] == "Newest"


def test_deleting_a_comment_goes_back_to_its_page(signed_in, slug, many_comments):
    target = db.session.scalar(select(Comment).where(Comment.body == "Comment 10"))
    action = _delete_action(slug, target.id)

    page = signed_in.submit(f"/article/{slug}?page=2", action=action)

    assert page.location == f"/article/{slug}?page=2#comments"
    shown = signed_in.get(page.location)
    assert shown.flashes == ["The comment is deleted."]
    assert "Comment 10" not in _bodies(shown)
    assert _bodies(shown)[-1] == "Comment 0"


def test_deleting_the_last_comment_of_the_last_page_shows_the_page_before(signed_in, slug, user):
    insert_comments(article=articles.load_article(slug), author=user, count=COMMENTS_PER_PAGE + 1)
    oldest = db.session.scalar(select(Comment).where(Comment.body == "Comment 0"))

    page = signed_in.submit(f"/article/{slug}?page=2", action=_delete_action(slug, oldest.id))

    assert page.location == f"/article/{slug}?page=2#comments"
    shown = signed_in.get(page.location)
    assert _bodies(shown) == _newest(20, skip=0, of=21)
    assert shown.select(".pagination") == []


def test_a_delete_button_cannot_send_you_off_the_site(signed_in, slug, comments):
    token = signed_in.csrf_token(f"/article/{slug}", action=f"/article/{slug}/comments")

    page = signed_in.post(
        _delete_action(slug, comments["mine"]),
        {"csrf_token": token, "next": "https://evil.example/"},
    )

    assert page.location == f"/article/{slug}#comments"
