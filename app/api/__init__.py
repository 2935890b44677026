"""The JSON API under /api, one blueprint per domain."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from app.api import articles, comments, profiles, tags, users
from app.api.auth import register_token_errors
from app.extensions import csrf


def register_api(app: OpenAPI) -> None:
    """Mount every API blueprint on `app`."""
    register_token_errors()
    for module in (users, profiles, articles, comments, tags):
        # The API authenticates with a header, never a cookie: CSRF cannot reach it.
        # (Exempting a parent blueprint would not reach nested ones: each is named.)
        csrf.exempt(module.bp)
        app.register_api(module.bp)
