"""Building blocks of the wire format: camelCase output, timestamps, text rules."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

from app.services import rules


@functools.lru_cache(maxsize=8192)
def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`: 2026-01-02T03:04:05.678Z."""
    # Remembered: a list page's 40 timestamps recur on every request for it, and
    # formatting them had cost a tenth of the request (equal instants in other
    # zones compare and hash equal, and give the same text). isoformat of an
    # aware UTC value ends in "+00:00".
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


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

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """pydantic's JSON schema of the model, computed once per set of arguments.

        flask-openapi3 asks for a query model's schema on every request to read
        its field types; building it anew cost a quarter of a list request's time.
        Callers get a copy, so none can change what the next one sees: parsed
        from the schema's JSON text, which is several times faster than a deep copy.
        """
        key = (cls, args, tuple(sorted(kwargs.items())))
        text = _JSON_SCHEMAS.get(key)
        if text is None:
            text = json.dumps(super().model_json_schema(*args, **kwargs))
            _JSON_SCHEMAS[key] = text
        schema: dict[str, Any] = json.loads(text)
        return schema


_JSON_SCHEMAS: dict[tuple[Any, ...], str] = {}


def _text(max_length: int, *, min_length: int = 1) -> object:
    """User-written text: surrounding blanks dropped, not empty, bounded, no NUL."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Title = Annotated[str, _text(rules.TITLE_MAX), AfterValidator(rules.no_nul)]
Description = Annotated[str, _text(rules.DESCRIPTION_MAX), AfterValidator(rules.no_nul)]
Body = Annotated[str, _text(rules.BODY_MAX), AfterValidator(rules.no_nul)]
CommentBody = Annotated[str, _text(rules.COMMENT_MAX), AfterValidator(rules.no_nul)]
TagName = Annotated[str, _text(rules.TAG_MAX), AfterValidator(rules.no_nul)]
Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=rules.USERNAME_MAX,
        pattern=rules.USERNAME_PATTERN,
    ),
]
Email = Annotated[
    str,
    _text(rules.EMAIL_MAX),
    AfterValidator(rules.no_nul),
    AfterValidator(rules.normalise_email),
]
Password = Annotated[
    str,
    StringConstraints(min_length=rules.PASSWORD_MIN, max_length=rules.PASSWORD_MAX),
    AfterValidator(rules.no_nul),
]
ImageUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=rules.IMAGE_URL_MAX),
    AfterValidator(rules.http_url),
]
Bio = Annotated[str, _text(rules.BIO_MAX, min_length=0), AfterValidator(rules.no_nul)]

# A path or query value: bounded and free of NUL, otherwise taken as given.
QueryText = Annotated[
    str, StringConstraints(max_length=rules.LOOKUP_MAX), AfterValidator(rules.no_nul)
]

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
