"""The rules user input must follow, in one place for the API and the web UI.

The API's pydantic schemas and the web UI's forms both build their checks from
these names, so a rule changes here and nowhere else.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

USERNAME_MAX = 40
USERNAME_PATTERN = r"^[A-Za-z0-9_-]+$"
USERNAME_HINT = "may contain only letters, digits, '_' and '-'"
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 128
BIO_MAX = 5000
IMAGE_URL_MAX = 2048
TITLE_MAX = 255
DESCRIPTION_MAX = 1000
BODY_MAX = 100_000
COMMENT_MAX = 20_000
TAG_MAX = 64
TAGS_MAX = 20
# A password reset token is far shorter: anything longer is not one.
RESET_TOKEN_MAX = 512
# A path or query value (slug, username, tag) is never longer than this.
LOOKUP_MAX = 255
# Fixed path segments that sit where an article's slug goes (/api/articles/feed): an
# article with one as its slug could not be reached, so none may have it.
RESERVED_SLUGS = frozenset({"feed"})


def no_nul(value: str) -> str:
    """PostgreSQL can neither store nor compare a NUL character: refuse it up front."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def normalise_email(value: str) -> str:
    """The address in canonical form (lower-case domain), or ValueError."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("is not a valid e-mail address") from None


def http_url(value: str) -> str:
    """Only http(s) URLs: a `javascript:` or `data:` image would be an attack vector."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


def can_match(value: str) -> bool:
    """Whether a looked-up value (slug, username, tag) could match anything stored.

    The services answer "not found" for other values without asking the database,
    which would refuse a NUL character outright.
    """
    return len(value) <= LOOKUP_MAX and "\x00" not in value


# The API states each rule on text as a JSON Schema pattern in its OpenAPI document
# and checks the same pattern (app/schemas/common.py), so that what a client reads
# there is what the API accepts. Python's re and the ECMA-262 regular expressions of
# JSON Schema read these patterns alike: character classes, alternatives, `^`, `$`.

# What str.strip() removes (str.isspace()): surrounding blanks are dropped from text.
BLANKS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
BLANK_PATTERN = rf"^[{BLANKS}]*$"
# PostgreSQL can neither store nor compare a NUL character: no text may hold one.
NUL_FREE_PATTERN = r"^[^\x00]*$"
# Required text: no NUL, and something besides blanks. (Each part's characters are
# not the next part's, so a match never backtracks: linear time on 100,000 characters.)
TEXT_PATTERN = rf"^[{BLANKS}]*[^\x00{BLANKS}][^\x00]*$"
# Where str.splitlines() breaks lines. A browser drops them from a one-line field
# (an <input>): a title that held one would change when saved unchanged on the web.
LINE_BREAKS = r"\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029"
# Required text on one line: TEXT_PATTERN, and no line break once the surrounding
# blanks are dropped. (A failing match backtracks at most over one run of blanks
# per split: linear time.)
ONE_LINE_PATTERN = (
    rf"^[{BLANKS}]*[^\x00{BLANKS}](?:[^\x00{LINE_BREAKS}]*[^\x00{BLANKS}])?[{BLANKS}]*$"
)
ONE_LINE_HINT = "must be a single line"
# A username as sent: USERNAME_PATTERN once its surrounding blanks are dropped.
USERNAME_TEXT_PATTERN = rf"^[{BLANKS}]*[A-Za-z0-9_-]+[{BLANKS}]*$"
# An image: an http(s) URL naming a host, in any case; surrounding blanks dropped.
IMAGE_URL_PATTERN = rf"^[{BLANKS}]*[Hh][Tt][Tt][Pp][Ss]?://[^/?#\x00{BLANKS}][^\x00]*$"


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# Addresses that JSON Schema's `idn-email` format allows and normalise_email
# (email-validator) refuses: a quoted local part, an IP-literal or dotless domain,
# an all-numeric top-level domain, a special-use domain (RFC 6761: `test`, ...).
EMAIL_REFUSED_PATTERNS = (
    r'^"',
    r"@\[",
    r"@[^.]*$",
    r"\.[0-9]+$",
    rf"\.(?:{'|'.join(_any_case(name) for name in sorted(SPECIAL_USE_DOMAIN_NAMES))})$",
)


def text_problem(value: str) -> str:
    """Why `value` does not match TEXT_PATTERN."""
    return "must not contain NUL characters" if "\x00" in value else "can't be blank"


def one_line_problem(value: str) -> str:
    """Why `value` does not match ONE_LINE_PATTERN."""
    if "\x00" in value or not value.strip():
        return text_problem(value)
    return ONE_LINE_HINT


def one_line(value: str) -> str:
    """`value` if it holds no line break (once stripped, as the forms strip it), else
    ValueError."""
    if len(value.splitlines()) > 1:
        raise ValueError(ONE_LINE_HINT)
    return value


# A search: long enough to mean something, short enough to parse and match cheaply.
SEARCH_MIN = 2
SEARCH_MAX = 200
# A search as sent: no NUL, and at least SEARCH_MIN (two) characters besides the
# surrounding blanks; stated in the OpenAPI document (app/schemas/articles.py).
SEARCH_TEXT_PATTERN = rf"^[{BLANKS}]*[^\x00{BLANKS}][^\x00]*[^\x00{BLANKS}][{BLANKS}]*$"
# Half of a UTF-16 pair alone: no database can store or compare it.
_SURROGATE = re.compile("[\ud800-\udfff]")
# How many of the newest matching articles a search ranks (and counts): the bound
# that keeps a search for a common word cheap (app/queries/search.py).
SEARCH_CANDIDATES = 1000
# How many of the newest articles (that pass the filters) a search looks at when
# PostgreSQL could not answer it over all of them within SEARCH_TIME_LIMIT_MS.
SEARCH_WINDOW = 10_000
SEARCH_HINT = f"Type at least {SEARCH_MIN} characters to search."


def search_problem(value: str) -> str | None:
    """Why `value` cannot be searched for, or None when it can (surrounding blanks aside)."""
    if "\x00" in value:
        return "must not contain NUL characters"
    if _SURROGATE.search(value):
        return "must be valid Unicode text"
    length = len(value.strip())
    if length < SEARCH_MIN:
        return f"is too short (minimum is {SEARCH_MIN} characters)"
    if length > SEARCH_MAX:
        return f"is too long (maximum is {SEARCH_MAX} characters)"
    return None
