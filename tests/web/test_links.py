"""`path_for` builds the same URL as `url_for`, whatever the value holds."""

from __future__ import annotations

import pytest
from flask import url_for

from app.web import path_for

VALUES = [
    "plain-slug-1",
    "jake_2",
    "with space",
    "ümlaut-ß-日本",
    "what?#fragment&x=1",
    "per%cent+plus",
    "semi;colon:at@bang!",
    "slash/inside",
    "__path_value__",
]
ENDPOINTS = [
    ("web_articles.show_article", "slug"),
    ("web_articles.favorite_article", "slug"),
    ("web_articles.unfavorite_article", "slug"),
    ("web_profiles.show_profile", "username"),
    ("web_profiles.follow_user", "username"),
    ("web_profiles.unfollow_user", "username"),
]


@pytest.mark.parametrize("script_root", ["", "/conduit"])
@pytest.mark.parametrize(("endpoint", "name"), ENDPOINTS)
def test_path_for_builds_what_url_for_builds(app, script_root, endpoint, name):
    with app.test_request_context("/", base_url=f"http://example.test{script_root}"):
        for value in VALUES:
            assert path_for(endpoint, **{name: value}) == url_for(endpoint, **{name: value})


def test_path_for_builds_each_endpoints_url_once_per_request(app, monkeypatch):
    built: list[str] = []
    real_url_for = url_for

    def counting_url_for(endpoint, **values):
        built.append(endpoint)
        return real_url_for(endpoint, **values)

    monkeypatch.setattr("app.web.url_for", counting_url_for)
    with app.test_request_context("/"):
        for value in VALUES:
            path_for("web_articles.show_article", slug=value)
            path_for("web_profiles.show_profile", username=value)
    assert built == ["web_articles.show_article", "web_profiles.show_profile"]
