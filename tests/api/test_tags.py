"""Tags: /api/tags."""

from __future__ import annotations

from tests.api.helpers import create_article


def _tags(client) -> list[str]:
    response = client.get("/api/tags")
    assert response.status_code == 200, response.get_data(as_text=True)
    tags: list[str] = response.json["tags"]
    return tags


def test_tags_when_there_are_none(client):
    response = client.get("/api/tags")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"tags": []}


def test_tags_are_listed_most_used_first(client, user, other_user, headers, other_headers):
    create_article(client, headers, tag_list=["rare", "common", "middle"])
    create_article(client, headers, tag_list=["common", "middle"])
    create_article(client, other_headers, tag_list=["common"])

    assert _tags(client) == ["common", "middle", "rare"]


def test_tags_used_equally_are_listed_alphabetically(client, user, headers):
    create_article(client, headers, tag_list=["zebra", "alpha", "mango"])

    assert _tags(client) == ["alpha", "mango", "zebra"]


def test_each_tag_is_listed_once(client, user, headers):
    for _ in range(3):
        create_article(client, headers, tag_list=["dragons", "dragons"])

    assert _tags(client) == ["dragons"]


def test_tags_of_a_deleted_article_are_no_longer_listed_when_unused(client, user, headers):
    doomed = create_article(client, headers, title="Doomed", tag_list=["only-here", "shared"])
    create_article(client, headers, title="Kept", tag_list=["shared"])

    client.delete(f"/api/articles/{doomed['slug']}", headers=headers)

    assert _tags(client) == ["shared"]


def test_tags_removed_from_an_article_are_no_longer_listed_when_unused(client, user, headers):
    article = create_article(client, headers, tag_list=["old", "kept"])

    client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"tagList": ["kept", "new"]}},
        headers=headers,
    )

    assert _tags(client) == ["kept", "new"]


def test_tags_need_no_token_and_ignore_a_bad_one(client, user, headers):
    create_article(client, headers, tag_list=["dragons"])

    assert client.get("/api/tags", headers={"Authorization": "Token not-a-jwt"}).json == {
        "tags": ["dragons"]
    }
