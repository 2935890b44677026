"""A list response is ArticleListOut's JSON, built from items rendered once each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask

from app.api.articles import _list_item_json, _page_response
from app.read_models import ArticlePage, ArticleView, ProfileView
from app.schemas.articles import ArticleListOut

CREATED = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)


def _item(number: int, **changes: object) -> ArticleView:
    view = ArticleView(
        slug=f"article-{number}",
        title=f"Article {number}",
        description="About it",
        body=None,
        tag_list=("dragons", "training"),
        created_at=CREATED + timedelta(minutes=number),
        updated_at=CREATED + timedelta(minutes=number, seconds=1),
        favorited=False,
        favorites_count=number,
        author=ProfileView(username=f"author{number}", bio=None, image=None, following=False),
    )
    return replace(view, **changes)


def _wire_json(page: ArticlePage) -> str:
    model = ArticleListOut.model_validate({"articles": page.articles, "articles_count": page.total})
    return model.model_dump_json(by_alias=True)


@pytest.fixture
def rendered_afresh(app: Flask) -> Iterator[None]:
    """No item rendered by an earlier test; none left for a later one."""
    _list_item_json.cache_clear()
    with app.test_request_context():
        yield
    _list_item_json.cache_clear()


PAGES = {
    "empty": ArticlePage(articles=[], total=0),
    "past the end": ArticlePage(articles=[], total=41),
    "varied": ArticlePage(
        articles=[
            _item(1),
            _item(2, favorited=True),
            _item(
                3,
                title='Quotes " and \\ backslashes </script>',
                description="Déjà vu 🐉\nnew line\ttab \u2028",
                tag_list=(),
                author=ProfileView(
                    username="ünïcode", bio="Bio", image="https://example.com/a.png", following=True
                ),
            ),
            _item(4, created_at=datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))),
        ],
        total=57,
    ),
}


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
@pytest.mark.usefixtures("rendered_afresh")
def test_a_page_is_the_wire_models_json_byte_for_byte(page: ArticlePage) -> None:
    response = _page_response(page)

    assert response.mimetype == "application/json"
    assert response.get_data(as_text=True) == _wire_json(page)
    assert json.loads(response.get_data())["articlesCount"] == page.total


@pytest.mark.usefixtures("rendered_afresh")
def test_equal_items_are_rendered_once() -> None:
    page = ArticlePage(articles=[_item(number) for number in range(5)], total=5)
    # Equal views, not the same objects: what a page read again from Redis holds.
    again = ArticlePage(articles=[replace(view) for view in page.articles], total=5)

    first = _page_response(page).get_data()
    second = _page_response(again).get_data()

    assert first == second
    info = _list_item_json.cache_info()
    assert (info.misses, info.hits) == (5, 5)


@pytest.mark.usefixtures("rendered_afresh")
def test_an_item_that_changed_in_any_field_is_rendered_anew() -> None:
    original = _item(1)
    changes: list[dict[str, object]] = [
        {"favorites_count": 2},
        {"favorited": True},
        {"title": "Renamed"},
        {"tag_list": ("dragons",)},
        {"updated_at": original.updated_at + timedelta(seconds=1)},
        {"author": replace(original.author, following=True)},
        {"author": replace(original.author, bio="New bio")},
    ]
    _page_response(ArticlePage(articles=[original], total=1))

    for change in changes:
        page = ArticlePage(articles=[replace(original, **change)], total=1)
        assert _page_response(page).get_data(as_text=True) == _wire_json(page), change
