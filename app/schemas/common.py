"""Building blocks of the wire format: camelCase output, timestamps, text rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)
from pydantic.alias_generators import to_camel


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`: 2026-01-02T03:04:05.678Z."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


Timestamp = Annotated[datetime, PlainSerializer(format_timestamp, return_type=str)]


class WireModel(BaseModel):
    """Output models: camelCase on the wire, filled from the services' read models."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


class RequestModel(BaseModel):
    """Input models: unknown fields (a token, an author, counts) are ignored, never stored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store or compare a NUL character: refuse it up front.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("is not a valid e-mail address") from None


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


# Text a user writes: surrounding blanks dropped, never empty, bounded.
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(_no_nul),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(_no_nul),
]
Body = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000),
    AfterValidator(_no_nul),
]
TagName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_nul),
]
Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$"
    ),
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=254),
    AfterValidator(_no_nul),
    AfterValidator(_email),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128), AfterValidator(_no_nul)]
ImageUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_http_url)
]
Bio = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(_no_nul)
]

# A path or query value: bounded and free of NUL, otherwise taken as given.
QueryText = Annotated[str, StringConstraints(max_length=255), AfterValidator(_no_nul)]

# Page bounds: large enough for any real page, small enough for every database.
MAX_LIMIT = 100
MAX_OFFSET = 2**31 - 1
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]


class PageQuery(RequestModel):
    limit: Limit = 20
    offset: Offset = 0


class ErrorBody(BaseModel):
    """Every error under /api: field (or "body") to messages."""

    errors: dict[str, list[str]] = Field(examples=[{"body": ["can't be empty"]}])
