"""Building blocks of the wire format: camelCase output, timestamps, text rules."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from app import rules


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
    """Output models: camelCase on the wire, filled from the services' read models.

    The document says their fields are all a response holds (additionalProperties).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
        extra="forbid",
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


@dataclass(frozen=True)
class Matches:
    """Text must match `pattern`: checked here, and stated as the JSON Schema `pattern`
    of the field in the OpenAPI document, so that the two cannot differ.

    `problem` names what is wrong with a value that does not match.
    """

    pattern: str
    problem: Callable[[str], str]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        regex = re.compile(self.pattern)

        def check(value: str) -> str:
            if regex.search(value) is None:
                raise ValueError(self.problem(value))
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


def _says(message: str) -> Callable[[str], str]:
    return lambda _value: message


NulFree = Matches(rules.NUL_FREE_PATTERN, _says("must not contain NUL characters"))


def _text(max_length: int) -> tuple[object, ...]:
    """User-written text: at most `max_length` characters as sent, no NUL, not only
    blanks; surrounding blanks are dropped."""
    return (
        StringConstraints(max_length=max_length),
        Matches(rules.TEXT_PATTERN, rules.text_problem),
        AfterValidator(str.strip),
    )


def _line(max_length: int) -> tuple[object, ...]:
    """`_text` on one line: no line break once the surrounding blanks are dropped."""
    return (
        StringConstraints(max_length=max_length),
        Matches(rules.ONE_LINE_PATTERN, rules.one_line_problem),
        AfterValidator(str.strip),
    )


Title = Annotated[str, *_line(rules.TITLE_MAX)]
Description = Annotated[str, *_line(rules.DESCRIPTION_MAX)]
Body = Annotated[str, *_text(rules.BODY_MAX)]
CommentBody = Annotated[str, *_text(rules.COMMENT_MAX)]
TagName = Annotated[str, *_line(rules.TAG_MAX)]
Username = Annotated[
    str,
    StringConstraints(max_length=rules.USERNAME_MAX),
    Matches(rules.USERNAME_TEXT_PATTERN, _says(rules.USERNAME_HINT)),
    AfterValidator(str.strip),
]
Email = Annotated[
    str,
    StringConstraints(max_length=rules.EMAIL_MAX),
    NulFree,
    AfterValidator(rules.normalise_email),
    # What normalise_email (email-validator) accepts, as JSON Schema can say it.
    Field(
        json_schema_extra={
            "format": "idn-email",
            "not": {"anyOf": [{"pattern": refused} for refused in rules.EMAIL_REFUSED_PATTERNS]},
        }
    ),
]
Password = Annotated[
    str,
    StringConstraints(min_length=rules.PASSWORD_MIN, max_length=rules.PASSWORD_MAX),
    NulFree,
]
# Sign-in checks credentials, not formats: any value that is not blank may be tried.
SignInEmail = Annotated[str, *_text(rules.EMAIL_MAX)]
SignInPassword = Annotated[
    str, StringConstraints(min_length=1, max_length=rules.PASSWORD_MAX), NulFree
]
ImageUrl = Annotated[
    str,
    StringConstraints(max_length=rules.IMAGE_URL_MAX),
    # Only http(s) URLs: a `javascript:` or `data:` image would be an attack vector.
    Matches(rules.IMAGE_URL_PATTERN, _says("must be an http(s) URL")),
    AfterValidator(str.strip),
]
Bio = Annotated[
    str, StringConstraints(max_length=rules.BIO_MAX), NulFree, AfterValidator(str.strip)
]


class BlankMeansNone:
    """A blank string stands for null (a cleared or unchanged value), whatever its
    length; the document lists it beside the field's other forms."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_blank_to_none, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        forms = json_schema.pop("anyOf", None) or [dict(json_schema)]
        blank = {"type": "string", "pattern": rules.BLANK_PATTERN}
        return {"anyOf": [*forms, blank]}


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _left_out(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _left_out_not_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    forms = [form for form in schema.pop("anyOf", []) if form != {"type": "null"}]
    if len(forms) == 1:
        schema.update(forms[0])
    elif forms:
        schema["anyOf"] = forms


def optional(*, alias: str | None = None, nullable: bool = False) -> Any:
    """The default of a field that may be left out: None, which the document does not
    show, since leaving a field out is not sending null. Unless `nullable`, the field's
    validators refuse null, and the document does not offer it."""
    describe = _left_out if nullable else _left_out_not_null
    return Field(default=None, alias=alias, json_schema_extra=describe)


# A path or query value: bounded and free of NUL, otherwise taken as given.
QueryText = Annotated[str, StringConstraints(max_length=rules.LOOKUP_MAX), NulFree]

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
