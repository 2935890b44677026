"""The server-rendered web UI: HTML pages and forms on the same services as the API."""

from __future__ import annotations

from flask import Flask

from app.web import articles, comments, profiles, users
from app.web.auth import init_web_auth


def register_web(app: Flask) -> None:
    """Mount the web UI's blueprints and its sign-in on `app`."""
    init_web_auth(app)
    app.jinja_env.globals["anonymous_layout"] = False
    for module in (articles, comments, profiles, users):
        app.register_blueprint(module.bp)
