"""GET /api/articles?search=…: the search extension of the article list."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.admission import Admission, install
from app.queries.search import CANDIDATES
from app.rules import SEARCH_MAX
from tests.api.helpers import assert_error, create_article
from tests.conftest import auth_headers

LIST_ITEM_KEYS = {
    "slug",
    "title",
    "description",
    "tagList",
    "createdAt",
    "updatedAt",
    "favorited",
    "favoritesCount",
    "author",
}


@pytest.fixture
def headers(user) -> dict[str, str]:
    return auth_headers(user)


def _search(client, query: str, **params: str) -> dict:
    url = f"/api/articles?search={quote(query)}" + "".join(
        f"&{name}={quote(value)}" for name, value in params.items()
    )
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_search_answers_the_usual_list_best_match_first(client, headers):
    create_article(client, headers, title="Gardening", body="A dragon ate my roses")
    create_article(client, headers, title="Dragons", body="All about them", tag_list=["fire"])

    found = _search(client, "dragons")

    assert [article["title"] for article in found["articles"]] == ["Dragons", "Gardening"]
    assert found["articlesCount"] == 2
    assert set(found["articles"][0]) == LIST_ITEM_KEYS
    assert found["articles"][0]["tagList"] == ["fire"]


def test_search_combines_with_the_other_filters_and_the_page(client, headers, other_user):
    create_article(client, headers, title="Dragon one", tag_list=["fire"])
    create_article(client, headers, title="Dragon two", tag_list=["ice"])
    create_article(client, auth_headers(other_user), title="Dragon three", tag_list=["fire"])

    by_tag = _search(client, "dragon", tag="fire", author="jake")
    paged = _search(client, "dragon", limit="1", offset="1")

    assert [article["title"] for article in by_tag["articles"]] == ["Dragon one"]
    assert by_tag["articlesCount"] == 1
    assert len(paged["articles"]) == 1
    assert paged["articlesCount"] == 3


def test_without_search_the_list_is_newest_first_as_before(client, headers):
    create_article(client, headers, title="Dragons")
    create_article(client, headers, title="Gardening", body="dragons")

    listed = client.get("/api/articles").json

    assert [article["title"] for article in listed["articles"]] == ["Gardening", "Dragons"]


def test_an_edit_and_a_deletion_show_at_once(client, headers):
    slug = create_article(client, headers, title="Dragons")["slug"]

    client.put(f"/api/articles/{slug}", json={"article": {"title": "Wolves"}}, headers=headers)
    assert _search(client, "dragons")["articlesCount"] == 0
    assert _search(client, "wolves")["articlesCount"] == 1

    client.delete("/api/articles/wolves", headers=headers)
    assert _search(client, "wolves")["articlesCount"] == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "is too short (minimum is 2 characters)"),
        ("a", "is too short (minimum is 2 characters)"),
        ("   ", "is too short (minimum is 2 characters)"),
        ("x" * 10_000, f"is too long (maximum is {SEARCH_MAX} characters)"),
        ("dragon\x00", "must not contain NUL characters"),
    ],
)
def test_a_search_that_cannot_be_made_is_a_422_with_the_error_body(client, query, message):
    response = client.get(f"/api/articles?search={quote(query)}")

    errors = assert_error(response, 422, "search")
    assert any(message in text for text in errors["search"]), errors


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("%ED%A0%80dragon", id="lone-surrogate-bytes"),
        pytest.param("%FF%FEdragon", id="invalid-utf8"),
        pytest.param("%22unbalanced", id="unbalanced-quote"),
        pytest.param("OR%20OR%20-", id="operators-only"),
        pytest.param("the%20of", id="stop-words"),
        pytest.param("%D7%A9%D7%9C%D7%95%D7%9D", id="right-to-left"),
        pytest.param("%F0%9F%90%89%F0%9F%94%A5", id="emoji"),
        pytest.param("%27%3B%20DROP%20TABLE%20articles%3B--", id="sql"),
        pytest.param("NEAR(a%20b)%20title%3Ax%20a*", id="fts5-syntax"),
    ],
)
def test_hostile_searches_get_a_result(client, headers, raw):
    create_article(client, headers, title="Dragon")

    response = client.get(f"/api/articles?search={raw}")

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["articlesCount"] == len(response.json["articles"]) <= 1


def test_the_document_describes_the_search_parameter(client):
    document = client.get("/api/docs/openapi.json").json

    parameters = document["paths"]["/api/articles"]["get"]["parameters"]
    (search,) = [parameter for parameter in parameters if parameter["name"] == "search"]
    assert search["in"] == "query"
    assert search["required"] is False
    assert search["schema"]["maxLength"] == SEARCH_MAX
    assert f"at most {CANDIDATES}" in search["schema"]["description"]


def test_a_search_beyond_the_searches_at_work_is_answered_503_and_runs_nothing(
    client, headers, statements
):
    create_article(client, headers, title="Dragons")
    crowded = Admission(1, wait_seconds=0.01)
    install("search", crowded)

    statements.statements.clear()
    with crowded.admitted():
        response = client.get("/api/articles?search=dragons")
    counted = list(statements.statements)

    errors = assert_error(response, 503, "search")
    assert errors == {"search": ["too many searches are running; try again in a moment"]}
    assert response.headers["Retry-After"] == "1"
    assert not [sql for sql in counted if "articles" in sql.lower()]
    assert _search(client, "dragons")["articlesCount"] == 1
