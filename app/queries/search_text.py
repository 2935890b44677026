"""The text that search reads: the words of a markdown body, and what a query asks for.

PostgreSQL parses a query with `websearch_to_tsquery`. SQLite's FTS5 has a query
language of its own, where a bare word may be an operator, a column filter or a
syntax error: user text is never handed to it as it is. `fts5_expression` reads
the same web-search syntax (phrases in quotes, `-word`, `OR`) and writes an FTS5
expression in which every term is a quoted string. It leaves out the stop words
PostgreSQL's configuration leaves out (for English, ENGLISH_STOP_WORDS), so that
`the` matches nothing on either database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.markdown import markdown_parser

# Around a matched word in a snippet, as the database returns it: control characters
# that no HTML text may hold, removed from the text before the database sees it, so
# that every one in a snippet is the database's (app/services/search.py).
MATCH_START = "\x02"
MATCH_END = "\x03"
_MARKERS = str.maketrans({MATCH_START: " ", MATCH_END: " "})

# Tokens whose `content` is text a reader sees: words, code, the alt text of images.
_TEXT_TOKENS = frozenset({"text", "code_inline", "code_block", "fence"})
_BREAK_TOKENS = frozenset({"softbreak", "hardbreak"})


def plain_text(markdown: str) -> str:
    """The words of `markdown` as a reader sees them: no syntax, no link targets."""
    words: list[str] = []
    for token in markdown_parser(markdown).parse(markdown):
        if token.children:
            for child in token.children:
                if child.type in _TEXT_TOKENS:
                    words.append(child.content)
                elif child.type in _BREAK_TOKENS:
                    words.append(" ")
            words.append("\n")
        elif token.type in _TEXT_TOKENS:
            words.append(token.content)
            words.append("\n")
    return "".join(words).translate(_MARKERS).strip()


def searchable(text: str) -> str:
    """`text` without the snippet markers (a body may hold any character but NUL)."""
    return text.translate(_MARKERS)


# --- the web-search syntax --------------------------------------------------------

# A quoted phrase (closed or running to the end), or a run of anything else but
# blanks and quotes; either may follow a minus sign.
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
# What FTS5's unicode61 tokenizer reads as part of a word (letters and digits; not
# '_', which \w takes): a term with none of these (punctuation, emoji, '__') holds
# no word and would be an empty phrase, which matches nothing.
_WORDS = re.compile(r"[^\W_]+")

# The stop words of PostgreSQL's `english` configuration (its english.stop, from
# Snowball): words too common to search for, dropped from documents and queries.
_ENGLISH_STOP_LIST = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves
    what which who whom this that these those am is are was were be been being have
    has had having do does did doing a an the and but if or because as until while
    of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor
    not only own same so than too very s t can will just don should now
"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH_STOP_LIST.split())


@dataclass
class _Group:
    """Terms that must all match, and terms that must not."""

    wanted: list[str] = field(default_factory=list)
    unwanted: list[str] = field(default_factory=list)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _groups(query: str, stop_words: frozenset[str]) -> list[_Group]:
    """The query's alternatives (separated by OR), each a group of terms.

    A term of stop words only is left out. A phrase keeps its stop words between
    the others: FTS5 indexes them, so the phrase matches the text as written.
    """
    groups = [_Group()]
    for match in _TOKEN.finditer(query):
        minus, phrase, word = match.groups()
        term = phrase if phrase is not None else word.lstrip("-")
        if phrase is None and not minus and word.lower() == "or":
            if groups[-1].wanted or groups[-1].unwanted:
                groups.append(_Group())
            continue
        if all(word.lower() in stop_words for word in _WORDS.findall(term)):
            # No word at all (punctuation, emoji), or stop words only.
            continue
        (groups[-1].unwanted if minus else groups[-1].wanted).append(_quoted(term))
    return groups


def fts5_expression(query: str, stop_words: frozenset[str] = frozenset()) -> str | None:
    """An FTS5 MATCH expression for the web-search `query`, or None when it wants nothing.

    Terms in a group are ANDed, then its unwanted terms taken out (`NOT`); groups are
    ORed. FTS5's NOT needs something to take from: a group of unwanted terms only
    matches nothing (PostgreSQL would match every article without them, which no
    index serves; app/queries/search.py refuses those queries there too).
    """
    alternatives = []
    for group in _groups(query, stop_words):
        if not group.wanted:
            continue
        expression = " AND ".join(group.wanted)
        if group.unwanted:
            expression = f"({expression}) NOT ({' OR '.join(group.unwanted)})"
        alternatives.append(f"({expression})")
    return " OR ".join(alternatives) or None
