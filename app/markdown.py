"""The markdown parser of the app: the web UI renders bodies with it, search reads
their words with it.

markdown-it-py's `js-default` preset leaves raw HTML out. Its inline parser looks
ahead up to `maxNesting` (100) levels at each bracket that might open a link, so a
body of unclosed brackets ("![![![…", within the 100,000 characters a body may
have) cost about a hundred times what text does: 6 s. A body with more brackets
than any article needs is read with the nesting of the CommonMark preset (20)
instead: 1.5 s at most. Only there is a list nested deeper than 8 levels, or a
quote deeper than 19, cut short on the page; every other body reads as before.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

BRACKETS_AT_FULL_NESTING = 2_000
GUARDED_NESTING = 20

_full = MarkdownIt("js-default")
_guarded = MarkdownIt("js-default", {"maxNesting": GUARDED_NESTING})


def markdown_parser(text: str) -> MarkdownIt:
    """The parser to read `text` with."""
    return _full if text.count("[") <= BRACKETS_AT_FULL_NESTING else _guarded
