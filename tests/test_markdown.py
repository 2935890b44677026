"""The markdown parser (app/markdown.py): what a body of brackets costs to read.

Counted in Python function calls, which the machine's speed does not move: the
same text and the same markdown-it-py give the same count.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import pytest

from app.markdown import BRACKETS_AT_FULL_NESTING, GUARDED_NESTING, markdown_parser
from app.queries.search_text import plain_text
from app.web.markdown import _render

# Of the inputs tried, the dearest a character: images that never close. Read with
# the preset's nesting (100) they cost 628 calls a character, with 20 152.
UNCLOSED_IMAGES = "![" * (BRACKETS_AT_FULL_NESTING + 1)
AT_MOST_CALLS_A_CHARACTER = 160


def _calls(read: Any, text: str) -> int:
    count = 0

    def profile(_frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        read(text)
    finally:
        sys.setprofile(None)
    return count


def _nested_list(depth: int) -> str:
    return "".join("  " * level + "- item\n" for level in range(depth)) + "  " * depth + "- deep"


@pytest.mark.parametrize("read", [_render, plain_text], ids=["page", "words"])
def test_a_body_of_unclosed_brackets_costs_a_bounded_number_of_calls_a_character(read):
    assert _calls(read, UNCLOSED_IMAGES) <= AT_MOST_CALLS_A_CHARACTER * len(UNCLOSED_IMAGES)


def test_a_body_of_unclosed_brackets_is_shown_as_text():
    assert _render(UNCLOSED_IMAGES[:8]) == "<p>![![![![</p>\n"
    assert plain_text(UNCLOSED_IMAGES[:8]) == "![![![!["


def test_a_body_with_the_brackets_an_article_needs_is_read_in_full():
    links = "[a link](https://example.com) " * 100
    text = f"{links}\n\n{_nested_list(30)}"

    assert markdown_parser(text).options["maxNesting"] > GUARDED_NESTING
    assert "deep" in _render(text)
    assert "deep" in plain_text(text)


def test_only_a_body_with_more_brackets_is_read_with_less_nesting():
    text = "[" * BRACKETS_AT_FULL_NESTING

    assert markdown_parser(text).options["maxNesting"] > GUARDED_NESTING
    assert markdown_parser(text + "[").options["maxNesting"] == GUARDED_NESTING
