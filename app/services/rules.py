"""The rules user input must follow, in one place for the API and the web UI.

The API's pydantic schemas and the web UI's forms both build their checks from
these names, so a rule changes here and nowhere else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

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
