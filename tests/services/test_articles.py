"""Articles: publishing, slugs, tags, updating, deleting, favorites, lists and the feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.exceptions import Forbidden, NotFound
from app.extensions import db
from app.models import Article, ArticleTag, Comment, Favorite, Tag, User
from app.queries.articles import ListShape
from app.read_models import ArticleView, ProfileView
from app.services import articles, favorites, profiles, tags
from app.services.articles import SLUG_ATTEMPTS, SLUG_MAX_LENGTH
from tests.factories import ArticleFactory, CommentFactory, UserFactory

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
SUFFIXED = r"{base}-[0-9a-f]{{6}}"


def _publish(
    author: User,
    title: str,
    *,
    tag_list: tuple[str, ...] | list[str] = (),
    at: datetime | None = None,
) -> ArticleView:
    view = articles.create_article(
        actor=author,
        title=title,
        description=f"About {title}",
        body=f"All of {title}",
        tag_list=tag_list,
    )
    if at is not None:
        db.session.execute(update(Article).where(Article.slug == view.slug).values(created_at=at))
        db.session.commit()
    return view


def _stored(slug: str) -> Article:
    db.session.expire_all()
    return db.session.scalars(select(Article).where(Article.slug == slug)).one()


def _count(model: type, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def _tags_of(slug: str) -> list[str]:
    return sorted(
        db.session.scalars(
            select(Tag.name)
            .join(ArticleTag, ArticleTag.tag_id == Tag.id)
            .join(Article, Article.id == ArticleTag.article_id)
            .where(Article.slug == slug)
        )
    )


def _slugs(page) -> list[str]:
    return [article.slug for article in page.articles]


# Creating -------------------------------------------------------------------


@pytest.mark.parametrize(("first", "recased"), [("Twin", "TWIN!"), ("Feed", "feed")])
def test_update_article_keeps_a_suffixed_slug_when_the_title_is_only_recased(
    app, user, first, recased
):
    # "feed" is reserved (a route): its article's slug always has a suffix.
    _publish(user, "Twin")
    suffixed = _publish(user, first).slug
    assert re.fullmatch(SUFFIXED.format(base=first.lower()), suffixed)

    view = articles.update_article(actor=user, slug=suffixed, title=recased)

    assert (view.slug, view.title) == (suffixed, recased)


@pytest.mark.parametrize(
    ("tag_list", "expected"),
    [
        ([], []),
        (["dragons"], ["dragons"]),
        (["training", "dragons"], ["dragons", "training"]),
        (["b", "a", "b", "c", "a"], ["a", "b", "c"]),
        (["Zeta", "alpha", "Alpha"], ["Alpha", "Zeta", "alpha"]),
    ],
)
def test_create_article_stores_tags_sorted_and_deduplicated(app, user, tag_list, expected):
    view = _publish(user, "How to train your dragon", tag_list=tag_list)

    assert view.tag_list == tuple(expected)
    assert _tags_of(view.slug) == expected
    assert articles.get_article(slug=view.slug, viewer_id=None).tag_list == tuple(expected)
    assert _count(Tag) == len(expected)


def test_create_article_returns_the_full_view(app, user):
    view = articles.create_article(
        actor=user, title="Hello", description="Greeting", body="Hi there", tag_list=["x"]
    )

    assert view == ArticleView(
        slug="hello",
        title="Hello",
        description="Greeting",
        body="Hi there",
        tag_list=("x",),
        created_at=view.created_at,
        updated_at=view.created_at,
        favorited=False,
        favorites_count=0,
        author=ProfileView(username="jake", bio=None, image=None, following=False),
    )
    assert view.created_at.tzinfo is not None
    assert articles.get_article(slug="hello", viewer_id=user.id) == view


def test_articles_share_existing_tags(app, user, other_user):
    _publish(user, "One", tag_list=["shared", "mine"])
    _publish(other_user, "Two", tag_list=["shared", "yours"])

    assert sorted(db.session.scalars(select(Tag.name))) == ["mine", "shared", "yours"]
    assert _tags_of("one") == ["mine", "shared"]
    assert _tags_of("two") == ["shared", "yours"]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("How to train your dragon", "how-to-train-your-dragon"),
        ("  Spaces   everywhere  ", "spaces-everywhere"),
        ("Déjà vu, encore!", "deja-vu-encore"),
        ("C'est la vie", "c-est-la-vie"),
        ("!!!", "article"),
        ("???  ...", "article"),
        ("🐉", "article"),
    ],
)
def test_slug_is_readable_and_never_empty(app, user, title, slug):
    assert _publish(user, title).slug == slug


def test_slug_of_a_long_title_is_cut_at_a_word_boundary(app, user):
    # The longest title the API accepts (255 characters) gives a longer slug base.
    title = " ".join(["dragon"] * 36)
    assert SLUG_MAX_LENGTH < len(title) <= 255

    slug = _publish(user, title).slug

    assert 0 < len(slug) <= SLUG_MAX_LENGTH
    assert not slug.endswith("-")
    assert set(slug.split("-")) == {"dragon"}


@pytest.mark.parametrize("title", ["Same title", "!!!"])
def test_slug_is_unique_for_equal_titles(app, user, other_user, title):
    first = _publish(user, title).slug
    second = _publish(other_user, title).slug
    third = _publish(user, title).slug

    assert len({first, second, third}) == 3
    assert re.fullmatch(SUFFIXED.format(base=first), second)
    assert re.fullmatch(SUFFIXED.format(base=first), third)
    assert _count(Article) == 3


# Slug races -------------------------------------------------------------------


def _choose_taken_slug_first(monkeypatch, *, taken: str, always: bool = False) -> list[int]:
    """Make `_choose_slug` return `taken` on attempt 0 (on every attempt if `always`), as if a
    concurrent request had committed that slug between the look-up and the write."""
    real_choose = articles._choose_slug
    attempts: list[int] = []

    def choose(title: str, *, attempt: int, current: str | None = None) -> str:
        attempts.append(attempt)
        if attempt == 0 or always:
            return taken
        return real_choose(title, attempt=attempt, current=current)

    monkeypatch.setattr(articles, "_choose_slug", choose)
    return attempts


def test_create_article_retries_when_its_slug_is_taken_concurrently(app, user, monkeypatch):
    ArticleFactory(slug="fresh", title="Fresh")
    attempts = _choose_taken_slug_first(monkeypatch, taken="fresh")

    view = _publish(user, "Fresh", tag_list=["new-tag", "other"])

    assert attempts == [0, 1]
    assert re.fullmatch(SUFFIXED.format(base="fresh"), view.slug)
    assert _count(Article) == 2
    assert _tags_of(view.slug) == ["new-tag", "other"]
    assert _count(Tag) == 2
    assert _count(ArticleTag) == 2


@pytest.mark.parametrize("tag_list", [None, ["kept"], []])
def test_update_article_retries_when_its_new_slug_is_taken_concurrently(
    app, user, monkeypatch, tag_list
):
    original = _publish(user, "Original", tag_list=["before"])
    ArticleFactory(slug="renamed", title="Renamed elsewhere")
    attempts = _choose_taken_slug_first(monkeypatch, taken="renamed")
    changes = {} if tag_list is None else {"tag_list": tag_list}

    view = articles.update_article(actor=user, slug=original.slug, title="Renamed", **changes)

    assert attempts == [0, 1]
    assert re.fullmatch(SUFFIXED.format(base="renamed"), view.slug)
    assert view.title == "Renamed"
    expected_tags = ["before"] if tag_list is None else tag_list
    assert view.tag_list == tuple(expected_tags)
    assert _tags_of(view.slug) == expected_tags
    assert _stored("renamed").title == "Renamed elsewhere"


def test_create_article_gives_up_after_every_attempt_collides(app, user, monkeypatch):
    ArticleFactory(slug="taken", title="Taken")
    attempts = _choose_taken_slug_first(monkeypatch, taken="taken", always=True)

    with pytest.raises(IntegrityError):
        _publish(user, "Anything", tag_list=["t"])

    assert attempts == list(range(SLUG_ATTEMPTS))
    assert _count(Article) == 1
    assert _count(ArticleTag) == 0


def test_update_article_gives_up_after_every_attempt_collides(app, user, monkeypatch):
    original = _publish(user, "Original")
    ArticleFactory(slug="taken", title="Taken")
    attempts = _choose_taken_slug_first(monkeypatch, taken="taken", always=True)

    with pytest.raises(IntegrityError):
        articles.update_article(actor=user, slug=original.slug, title="Changed", body="New")

    assert attempts == list(range(SLUG_ATTEMPTS))
    stored = _stored("original")
    assert (stored.title, stored.body) == ("Original", "All of Original")


# Updating -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("A new title", "a-new-title"),
        ("Original!", "original"),
        ("ORIGINAL", "original"),
        ("Original", "original"),
    ],
)
def test_update_article_gives_a_new_slug_only_for_a_new_slug_base(app, user, title, slug):
    _publish(user, "Original")

    view = articles.update_article(actor=user, slug="original", title=title)

    assert (view.slug, view.title) == (slug, title)
    assert _stored(slug).title == title
    if slug != "original":
        with pytest.raises(NotFound):
            articles.get_article(slug="original", viewer_id=None)


def test_update_article_without_a_title_keeps_the_slug(app, user):
    _publish(user, "Original", tag_list=["a"])

    view = articles.update_article(actor=user, slug="original", description="New", body="Text")

    assert (view.slug, view.title, view.description, view.body) == (
        "original",
        "Original",
        "New",
        "Text",
    )
    assert view.tag_list == ("a",)


def test_update_article_to_a_title_another_article_has_gets_a_unique_slug(app, user, other_user):
    _publish(other_user, "Popular")
    _publish(user, "Mine")

    view = articles.update_article(actor=user, slug="mine", title="Popular")

    assert re.fullmatch(SUFFIXED.format(base="popular"), view.slug)
    assert _stored("popular").author_id == other_user.id


def test_update_article_keeps_a_suffixed_slug_when_the_title_stays(app, user):
    _publish(user, "Twin")
    suffixed = _publish(user, "Twin").slug

    view = articles.update_article(actor=user, slug=suffixed, title="Twin", body="Changed")

    assert view.slug == suffixed
    assert view.body == "Changed"


@pytest.mark.parametrize(
    ("tag_list", "expected"),
    [
        (["c"], ["c"]),
        (["b", "c", "c"], ["b", "c"]),
        (["a", "b"], ["a", "b"]),
        ([], []),
    ],
)
def test_update_article_replaces_the_tag_list(app, user, tag_list, expected):
    _publish(user, "Tagged", tag_list=["a", "b"])

    view = articles.update_article(actor=user, slug="tagged", tag_list=tag_list)

    assert view.tag_list == tuple(expected)
    assert _tags_of("tagged") == expected
    # Tags no article uses any more are not listed.
    assert sorted(tags.list_tags()) == expected


def test_update_article_without_a_tag_list_keeps_the_tags(app, user):
    _publish(user, "Tagged", tag_list=["a", "b"])

    view = articles.update_article(actor=user, slug="tagged", body="New body")

    assert view.tag_list == ("a", "b")


def test_update_article_touches_updated_at_only_when_something_changes(app, user):
    _publish(user, "Stamp", at=T0)
    db.session.execute(update(Article).values(updated_at=T0))
    db.session.commit()

    unchanged = articles.update_article(
        actor=user, slug="stamp", title="Stamp", description="About Stamp"
    )
    assert unchanged.updated_at == T0

    changed = articles.update_article(actor=user, slug="stamp", body="New body")
    assert changed.updated_at > T0
    assert changed.created_at == T0


def test_an_edit_that_changes_nothing_writes_nothing(app, user, statements):
    _publish(user, "Same", tag_list=["b", "a"])
    db.session.execute(update(Article).values(updated_at=T0))
    db.session.commit()
    db.session.remove()
    statements.reset()

    # What the editor sends: every field, as stored, the tags in another order.
    view = articles.update_article(
        actor=user,
        slug="same",
        title="Same",
        description="About Same",
        body="All of Same",
        tag_list=["a", "b", "a"],
    )

    writes = [s for s in statements.statements if not s.lstrip().upper().startswith("SELECT")]
    assert writes == []
    # The article, its tags, and the article as the editor gets it back.
    assert statements.count == 3
    assert view.updated_at == T0
    assert view.tag_list == ("a", "b")


def test_update_article_returns_the_viewers_flags(app, user, other_user):
    _publish(other_user, "Theirs")
    _publish(user, "Mine")
    favorites.favorite_article(actor=other_user, slug="mine")
    favorites.favorite_article(actor=user, slug="mine")

    view = articles.update_article(actor=user, slug="mine", body="New")

    assert (view.favorited, view.favorites_count) == (True, 2)


@pytest.mark.parametrize(
    "changes",
    [{"title": "Hijacked"}, {"body": "Hijacked"}, {"tag_list": []}, {}],
)
def test_update_article_by_another_user_is_forbidden_and_changes_nothing(
    app, user, other_user, changes
):
    _publish(user, "Mine", tag_list=["a"])

    with pytest.raises(Forbidden) as caught:
        articles.update_article(actor=other_user, slug="mine", **changes)

    assert caught.value.errors == {"article": ["only the author may change this article"]}
    stored = _stored("mine")
    assert (stored.title, stored.body, stored.author_id) == ("Mine", "All of Mine", user.id)
    assert _tags_of("mine") == ["a"]


def test_require_author_accepts_the_author(app, user, other_user):
    _publish(user, "Mine")
    article = articles.load_article("mine")

    articles.require_author(article, user.id)
    with pytest.raises(Forbidden):
        articles.require_author(article, other_user.id)


# Deleting -------------------------------------------------------------------


def test_delete_article_removes_its_comments_favorites_and_tags(app, user, other_user):
    doomed = _publish(user, "Doomed", tag_list=["gone", "shared"])
    _publish(other_user, "Survivor", tag_list=["shared"])
    doomed_id = articles.load_article(doomed.slug).id
    survivor_id = articles.load_article("survivor").id
    for slug in ("doomed", "survivor"):
        favorites.favorite_article(actor=user, slug=slug)
        favorites.favorite_article(actor=other_user, slug=slug)
        CommentFactory(article=articles.load_article(slug), author=other_user)

    articles.delete_article(actor=user, slug="doomed")

    with pytest.raises(NotFound):
        articles.load_article("doomed")
    for model in (Comment, Favorite, ArticleTag):
        assert _count(model, model.article_id == doomed_id) == 0
        assert _count(model, model.article_id == survivor_id) > 0
    assert _count(Comment) == 1
    assert _count(Favorite) == 2
    assert tags.list_tags() == ["shared"]


def test_delete_article_by_another_user_is_forbidden(app, user, other_user):
    _publish(user, "Mine")
    favorites.favorite_article(actor=other_user, slug="mine")

    with pytest.raises(Forbidden):
        articles.delete_article(actor=other_user, slug="mine")

    assert _stored("mine").author_id == user.id
    assert _count(Favorite) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda user: articles.get_article(slug="missing", viewer_id=None),
        lambda user: articles.get_article(slug="missing", viewer_id=user.id),
        lambda user: articles.load_article("missing"),
        lambda user: articles.update_article(actor=user, slug="missing", title="X"),
        lambda user: articles.delete_article(actor=user, slug="missing"),
        lambda user: favorites.favorite_article(actor=user, slug="missing"),
        lambda user: favorites.unfavorite_article(actor=user, slug="missing"),
    ],
    ids=["get", "get-signed-in", "load", "update", "delete", "favorite", "unfavorite"],
)
def test_an_unknown_slug_raises_not_found(app, user, call):
    _publish(user, "Present")

    with pytest.raises(NotFound) as caught:
        call(user)

    assert caught.value.errors == {"article": ["not found"]}


# Favorites ------------------------------------------------------------------


def test_favorite_and_unfavorite_are_idempotent_with_exact_counts(app, user, other_user):
    third = UserFactory()
    _publish(other_user, "Loved")

    first = favorites.favorite_article(actor=user, slug="loved")
    again = favorites.favorite_article(actor=user, slug="loved")
    assert (first.favorited, first.favorites_count) == (True, 1)
    assert again == first

    by_third = favorites.favorite_article(actor=third, slug="loved")
    assert (by_third.favorited, by_third.favorites_count) == (True, 2)
    assert articles.get_article(slug="loved", viewer_id=other_user.id).favorites_count == 2
    assert articles.get_article(slug="loved", viewer_id=other_user.id).favorited is False

    removed = favorites.unfavorite_article(actor=user, slug="loved")
    removed_again = favorites.unfavorite_article(actor=user, slug="loved")
    assert (removed.favorited, removed.favorites_count) == (False, 1)
    assert removed_again == removed
    assert articles.get_article(slug="loved", viewer_id=third.id).favorited is True
    assert _count(Favorite) == 1


def test_the_stored_favorites_count_follows_the_rows(app, user, other_user):
    third = UserFactory()
    _publish(other_user, "Counted")
    for actor in (user, user, third):
        favorites.favorite_article(actor=actor, slug="counted")
    favorites.unfavorite_article(actor=user, slug="counted")
    favorites.unfavorite_article(actor=user, slug="counted")

    assert _stored("counted").favorites_count == _count(Favorite) == 1
    listed = articles.list_articles(viewer_id=None).articles
    assert [item.favorites_count for item in listed] == [1]


def test_unfavorite_of_an_article_never_favorited_changes_nothing(app, user, other_user):
    _publish(other_user, "Ignored")
    favorites.favorite_article(actor=other_user, slug="ignored")

    view = favorites.unfavorite_article(actor=user, slug="ignored")

    assert (view.favorited, view.favorites_count) == (False, 1)


# Lists ----------------------------------------------------------------------


@pytest.fixture
def library(app, user, other_user):
    """Six articles by three authors, one minute apart (a-oldest, f-newest)."""
    third = UserFactory(username="third")
    plan = [
        ("a", user, ["dragons"]),
        ("b", other_user, ["dragons", "training"]),
        ("c", third, ["training"]),
        ("d", user, ["dragons", "training"]),
        ("e", other_user, []),
        ("f", other_user, ["dragons"]),
    ]
    for minute, (title, author, tag_list) in enumerate(plan):
        _publish(author, title, tag_list=tag_list, at=T0 + timedelta(minutes=minute))
    for slug in ("b", "d", "f"):
        favorites.favorite_article(actor=third, slug=slug)
    favorites.favorite_article(actor=user, slug="b")
    return {"jake": user, "celeb": other_user, "third": third}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["f", "e", "d", "c", "b", "a"]),
        ({"tag": "dragons"}, ["f", "d", "b", "a"]),
        ({"tag": "training"}, ["d", "c", "b"]),
        ({"tag": "unknown"}, []),
        ({"author": "celeb"}, ["f", "e", "b"]),
        ({"author": "CELEB"}, ["f", "e", "b"]),
        ({"author": "nobody"}, []),
        ({"favorited": "third"}, ["f", "d", "b"]),
        ({"favorited": "Jake"}, ["b"]),
        ({"favorited": "celeb"}, []),
        ({"favorited": "nobody"}, []),
        ({"tag": "dragons", "author": "celeb"}, ["f", "b"]),
        ({"tag": "training", "favorited": "third"}, ["d", "b"]),
        ({"author": "jake", "favorited": "third"}, ["d"]),
        ({"tag": "dragons", "author": "celeb", "favorited": "third"}, ["f", "b"]),
        ({"tag": "training", "author": "celeb", "favorited": "jake"}, ["b"]),
        ({"tag": "dragons", "author": "third", "favorited": "third"}, []),
    ],
)
def test_list_articles_filters_by_tag_author_and_favoriting_user(library, filters, expected):
    page = articles.list_articles(viewer_id=None, **filters)

    assert _slugs(page) == expected
    assert page.total == len(expected)


def test_a_readers_favorites_come_newest_article_first_whatever_order_they_were_favorited_in(
    library,
):
    reader = UserFactory(username="reader")
    for slug in ("c", "f", "a", "d"):
        favorites.favorite_article(actor=reader, slug=slug)
    favorites.unfavorite_article(actor=reader, slug="a")

    pages = [
        articles.list_articles(viewer_id=None, favorited="reader", limit=2, offset=offset)
        for offset in (0, 2, 4)
    ]

    assert [_slugs(page) for page in pages] == [["f", "d"], ["c"], []]
    assert [page.total for page in pages] == [3, 3, 3]


def test_a_readers_favorites_show_the_viewers_own_favorites_and_follows(library):
    jake = library["jake"]
    profiles.follow_user(actor=jake, username="celeb")

    page = articles.list_articles(viewer_id=jake.id, favorited="third")

    flags = {a.slug: (a.favorited, a.author.following) for a in page.articles}
    assert flags == {"f": (False, True), "d": (False, False), "b": (True, True)}


def test_the_feed_takes_no_other_filter():
    with pytest.raises(ValueError, match="no other filter"):
        ListShape(signed_in=True, feed=True, tag=True)


def test_list_articles_leaves_out_the_body_and_shows_the_whole_tag_list(library):
    page = articles.list_articles(viewer_id=None, tag="training")

    assert {article.body for article in page.articles} == {None}
    assert [article.tag_list for article in page.articles] == [
        ("dragons", "training"),
        ("training",),
        ("dragons", "training"),
    ]
    assert [article.favorites_count for article in page.articles] == [1, 0, 2]


def test_list_articles_shows_the_viewers_favorites_and_follows(library):
    jake = library["jake"]
    profiles.follow_user(actor=jake, username="celeb")

    page = articles.list_articles(viewer_id=jake.id)

    flags = {a.slug: (a.favorited, a.author.following) for a in page.articles}
    assert flags == {
        "f": (False, True),
        "e": (False, True),
        "d": (False, False),
        "c": (False, False),
        "b": (True, True),
        "a": (False, False),
    }
    anonymous = articles.list_articles(viewer_id=None)
    assert {(a.favorited, a.author.following) for a in anonymous.articles} == {(False, False)}


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [
        (20, 0, ["f", "e", "d", "c", "b", "a"]),
        (2, 0, ["f", "e"]),
        (2, 2, ["d", "c"]),
        (2, 5, ["a"]),
        (1, 6, []),
        (20, 100, []),
    ],
)
def test_list_articles_pages_while_total_counts_every_match(library, limit, offset, expected):
    page = articles.list_articles(viewer_id=None, limit=limit, offset=offset)

    assert _slugs(page) == expected
    assert page.total == 6


def test_list_articles_breaks_ties_in_time_by_newest_id(app, user):
    for title in ("first", "second", "third"):
        _publish(user, title, at=T0)
    _publish(user, "older", at=T0 - timedelta(microseconds=1))
    _publish(user, "newer", at=T0 + timedelta(microseconds=1))

    page = articles.list_articles(viewer_id=None)

    assert _slugs(page) == ["newer", "third", "second", "first", "older"]
    assert _slugs(articles.list_articles(viewer_id=None, limit=2, offset=1)) == ["third", "second"]


def test_list_articles_of_an_empty_database(app):
    page = articles.list_articles(viewer_id=None)

    assert (page.articles, page.total) == ([], 0)


# Feed -----------------------------------------------------------------------


def test_feed_lists_only_articles_by_followed_authors(library):
    jake = library["jake"]
    profiles.follow_user(actor=jake, username="third")
    profiles.follow_user(actor=jake, username="celeb")
    profiles.follow_user(actor=library["celeb"], username="jake")

    page = articles.feed_articles(viewer_id=jake.id)

    assert _slugs(page) == ["f", "e", "c", "b"]
    assert page.total == 4
    assert {a.author.following for a in page.articles} == {True}
    assert [a.favorited for a in page.articles] == [False, False, False, True]
    assert _slugs(articles.feed_articles(viewer_id=jake.id, limit=2, offset=1)) == ["e", "c"]


def test_feed_leaves_out_unfollowed_authors(library):
    jake = library["jake"]
    profiles.follow_user(actor=jake, username="celeb")
    profiles.unfollow_user(actor=jake, username="celeb")
    profiles.follow_user(actor=jake, username="third")

    page = articles.feed_articles(viewer_id=jake.id)

    assert (_slugs(page), page.total) == (["c"], 1)


def test_feed_pages_interleave_authors_of_unequal_output_in_order(user):
    """Every page, deep ones included, is the newest-first order of all followed
    articles, however the authors' articles interleave (and ties in time)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    authors = [UserFactory(username=name) for name in ("prolific", "steady", "rare")]
    every = {"prolific": 1, "steady": 3, "rare": 7}
    expected: list[str] = []
    for minute in range(21):
        for author in authors:
            if minute % every[author.username] == 0:
                article = ArticleFactory(
                    author=author,
                    slug=f"{author.username}-{minute}",
                    created_at=start + timedelta(minutes=minute),
                )
                expected.append((article.created_at, article.id, article.slug))
    ArticleFactory(slug="unfollowed")
    for author in authors:
        profiles.follow_user(actor=user, username=author.username)
    newest_first = [slug for _, _, slug in sorted(expected, reverse=True)]

    pages = [
        articles.feed_articles(viewer_id=user.id, limit=4, offset=offset)
        for offset in range(0, len(newest_first) + 4, 4)
    ]

    assert [slug for page in pages for slug in _slugs(page)] == newest_first
    assert {page.total for page in pages} == {len(newest_first)}


def test_feed_of_a_user_who_follows_nobody_is_empty(library):
    page = articles.feed_articles(viewer_id=library["jake"].id)

    assert (page.articles, page.total) == ([], 0)
