"""Article bodies: markdown rendered on the server, then sanitised.

The parser (app/markdown.py) leaves raw HTML out; nh3 (ammonia) then
removes whatever could still run: scripts, event handlers, `javascript:` URLs.
"""

from __future__ import annotations

import nh3
from markupsafe import Markup

from app.cache import cached, content_key
from app.markdown import markdown_parser

# Rendered bodies are kept a day after their last use at most.
MARKDOWN_CACHE_SECONDS = 24 * 3600


def _render(text: str) -> str:
    return nh3.clean(markdown_parser(text).render(text), link_rel="noopener noreferrer nofollow")


def render_markdown(text: str) -> Markup:
    """Safe HTML for `text`, ready to be placed in a template as it is.

    Cached by the text's digest: the same body always gives the same HTML, so an
    edited article simply has another key, and nothing needs forgetting.
    """
    key = content_key("markdown-v2", text)
    return Markup(cached(key, lambda: _render(text), timeout=MARKDOWN_CACHE_SECONDS))
