"""The server-rendered web UI: HTML pages and forms on the same services as the API."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import Flask, current_app, g, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.routing import Map, UnicodeConverter

from app.web import articles, comments, password_reset, profiles, search, users
from app.web.auth import init_web_auth
from app.web.pages import this_page


@cache
def _asset_version(static_folder: str, filename: str) -> str:
    return hashlib.sha256((Path(static_folder) / filename).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """The URL of a static file, versioned by its content.

    Proxies and browsers may keep static files for long; a changed file gets a
    new URL, so nobody is served yesterday's stylesheet.
    """
    version = _asset_version(str(current_app.static_folder), filename)
    return url_for("static", filename=filename, v=version)


def show_date(value: datetime) -> Markup:
    """A date as the pages show it. A function rather than a macro: a list page shows
    one per article, and calling a Jinja macro costs more than the markup it makes
    (as does `Markup.format`; the ISO form and the English date have nothing to escape)."""
    return Markup(f'<time datetime="{value.isoformat()}">{value.strftime("%B %-d, %Y")}</time>')


def avatar(image: str | None, classes: str = "") -> Markup:
    """A user's picture, or a blank of the same size (a function for the same reason)."""
    if image:
        return Markup(f'<img src="{escape(image)}" class="{escape(classes)}" alt="">')
    return Markup(f'<span class="{escape(classes)} avatar-blank" aria-hidden="true"></span>')


def sign_in_url() -> str:
    """The sign-in page, coming back to this page after it.

    Every favorite and follow button of a page links there for anonymous readers
    (a list page has one per article): built once per request, since building a
    URL with a query is a noticeable part of rendering a list page.
    """
    url: str | None = g.get("sign_in_url")
    if url is None:
        url = g.sign_in_url = url_for("web_users.login", next=this_page())
    return url


def tag_url(name: str) -> str:
    """The home page's list of the articles tagged `name`.

    The sidebar links twenty tags: `url_for` builds the page's URL once per request
    and each link adds its quoted tag, where `url_for` with the tag as a query
    cost more than the rest of the sidebar.
    """
    base: str | None = g.get("tag_url_base")
    if base is None:
        base = g.tag_url_base = url_for("web_articles.home")
    return f"{base}?{urlencode({'tag': name}, quote_via=quote)}"


# Stands for the value in the URL built once per request; quoting leaves it alone.
_VALUE_MARK = "__path_value__"
_PATH_SEGMENT = UnicodeConverter(Map())


def path_for(endpoint: str, **value: str) -> str:
    """`url_for(endpoint, name=value)` for an endpoint whose one path variable is a
    plain string (a slug, a username), as fast as joining three strings.

    A list page links every article, its author and its favorite button: with
    `url_for` each, building the links cost a tenth of drawing the page. The
    endpoint's URL is built once per request around a mark, and each link puts its
    value, quoted as Werkzeug quotes it, in the mark's place.
    """
    ((name, item),) = value.items()
    split: dict[str, list[str]] = g.setdefault("path_splits", {})
    parts = split.get(endpoint)
    if parts is None:
        parts = split[endpoint] = url_for(endpoint, **{name: _VALUE_MARK}).split(_VALUE_MARK)
    head, tail = parts
    return head + _PATH_SEGMENT.to_url(item) + tail


def register_web(app: Flask) -> None:
    """Mount the web UI's blueprints and its sign-in on `app`."""
    init_web_auth(app)
    app.jinja_env.globals.update(
        anonymous_layout=False,
        asset_url=asset_url,
        avatar=avatar,
        # A global as well as Flask-Login's context variable: the shared macros are
        # then imported without the page's context, so Jinja builds them once, not
        # on every page drawn.
        current_user=current_user,
        date=show_date,
        path_for=path_for,
        sign_in_url=sign_in_url,
        tag_url=tag_url,
        this_page=this_page,
    )
    for module in (articles, comments, password_reset, profiles, search, users):
        app.register_blueprint(module.bp)
