"""Article bodies: markdown rendered on the server, then sanitised.

markdown-it-py's `js-default` preset leaves raw HTML out; nh3 (ammonia) then
removes whatever could still run: scripts, event handlers, `javascript:` URLs.
"""

from __future__ import annotations

import hashlib

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.cache import cached

_markdown = MarkdownIt("js-default")
# Rendered bodies are kept a day after their last use at most.
MARKDOWN_CACHE_SECONDS = 24 * 3600


def _render(text: str) -> str:
    return nh3.clean(_markdown.render(text), link_rel="noopener noreferrer nofollow")


def render_markdown(text: str) -> Markup:
    """Safe HTML for `text`, ready to be placed in a template as it is.

    Cached by the text's digest: the same body always gives the same HTML, so an
    edited article simply has another key, and nothing needs forgetting.
    """
    key = "markdown:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return Markup(cached(key, lambda: _render(text), timeout=MARKDOWN_CACHE_SECONDS))
