"""The JSON API under /api, one blueprint per domain."""

from __future__ import annotations

import re

from flask_openapi3 import OpenAPI
from werkzeug.routing import BaseConverter

from app.api import articles, comments, profiles, tags, users
from app.api.auth import register_token_errors
from app.extensions import csrf
from app.rules import RESERVED_SLUGS

_RESERVED = "|".join(re.escape(word) for word in sorted(RESERVED_SLUGS))


class SlugConverter(BaseConverter):
    """A path segment that can be an article's slug: any but the reserved words.

    /api/articles/feed then matches the feed's rule alone, so that its OPTIONS and
    405 answers list the feed's methods, not those of /api/articles/<slug> too.
    """

    regex = rf"(?!(?:{_RESERVED})\Z)[^/]+"
    # The regex holds a "/", from which Werkzeug would guess that it spans segments.
    part_isolating = True


def register_api(app: OpenAPI) -> None:
    """Mount every API blueprint on `app`."""
    register_token_errors()
    app.url_map.converters["slug"] = SlugConverter
    for module in (users, profiles, articles, comments, tags):
        # The API authenticates with a header, never a cookie: CSRF cannot reach it.
        # (Exempting a parent blueprint would not reach nested ones: each is named.)
        csrf.exempt(module.bp)
        app.register_api(module.bp)
