"""Wire format of accounts and profiles."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from app.schemas.common import (
    Bio,
    Email,
    ImageUrl,
    Password,
    QueryText,
    RequestModel,
    Username,
    WireModel,
)


class NewUser(RequestModel):
    username: Username
    email: Email
    password: Password


class NewUserBody(RequestModel):
    user: NewUser


class LoginUser(RequestModel):
    # Sign-in checks credentials, not formats: any non-empty value may be tried.
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class LoginUserBody(RequestModel):
    user: LoginUser


BLANK_PATTERN = r"^\s*$"
# What a blank value looks like in the OpenAPI document.
Blank = Annotated[str, StringConstraints(pattern=BLANK_PATTERN)]


def _is_blank(value: Any) -> bool:
    return isinstance(value, str) and re.match(BLANK_PATTERN, value) is not None


def _blank_to_none(value: Any) -> Any:
    return None if _is_blank(value) else value


def _blank_is_unchanged(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # Front ends that do not fill their settings form with the current values (the
    # Angular RealWorld app) send "" for every field left alone.
    return None if _is_blank(value) else handler(value)


def _without_default(schema: dict[str, Any]) -> None:
    # null is refused, so the document shows no null default: leaving the field out
    # is what leaves it unchanged.
    schema.pop("default", None)


UNCHANGED_WHEN_BLANK = "An empty (or blank) value leaves it unchanged: it can never be blank."
CLEARED_WHEN_BLANK = "null or an empty (or blank) value clears it: it becomes null."


class UpdateUser(RequestModel):
    """Only the fields sent change. An empty `username`, `email` or `password` leaves
    it unchanged; null or "" clears `bio` and `image`."""

    username: Annotated[
        Username | None,
        WrapValidator(_blank_is_unchanged, json_schema_input_type=Username | Blank),
        Field(description=UNCHANGED_WHEN_BLANK, json_schema_extra=_without_default),
    ] = None
    email: Annotated[
        Email | None,
        WrapValidator(_blank_is_unchanged, json_schema_input_type=Email | Blank),
        Field(description=UNCHANGED_WHEN_BLANK, json_schema_extra=_without_default),
    ] = None
    password: Annotated[
        Password | None,
        WrapValidator(_blank_is_unchanged, json_schema_input_type=Password | Blank | None),
        Field(description=f"{UNCHANGED_WHEN_BLANK} null also leaves it unchanged."),
    ] = None
    bio: Annotated[
        Bio | None, BeforeValidator(_blank_to_none), Field(description=CLEARED_WHEN_BLANK)
    ] = None
    image: Annotated[
        ImageUrl | None, BeforeValidator(_blank_to_none), Field(description=CLEARED_WHEN_BLANK)
    ] = None

    @field_validator("username", "email", mode="before")
    @classmethod
    def _required_when_sent(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("can't be blank")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with the value to store."""
        sent = self.model_dump(include=self.model_fields_set)
        for unchanged in ("username", "email", "password"):
            if sent.get(unchanged) is None:
                sent.pop(unchanged, None)
        return sent


class UpdateUserBody(RequestModel):
    user: UpdateUser


class UserOut(WireModel):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None


class UserEnvelope(WireModel):
    user: UserOut


class ProfileOut(WireModel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileEnvelope(WireModel):
    profile: ProfileOut


class UsernamePath(RequestModel):
    username: QueryText
