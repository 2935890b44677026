"""Article bodies: markdown rendered on the server, then sanitised.

markdown-it-py's `js-default` preset leaves raw HTML out; nh3 (ammonia) then
removes whatever could still run: scripts, event handlers, `javascript:` URLs.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("js-default")


def render_markdown(text: str) -> Markup:
    """Safe HTML for `text`, ready to be placed in a template as it is."""
    html = _markdown.render(text)
    return Markup(nh3.clean(html, link_rel="noopener noreferrer nofollow"))
