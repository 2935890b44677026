"""Wire format of accounts and profiles."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints, field_validator

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


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


class UpdateUser(RequestModel):
    """Only the fields sent change; `bio` and `image` may be cleared with null or ""."""

    username: Username | None = None
    email: Email | None = None
    # Several front ends send "" for "keep my password": it changes nothing.
    password: Annotated[Password | None, BeforeValidator(_blank_to_none)] = None
    bio: Annotated[Bio | None, BeforeValidator(_blank_to_none)] = None
    image: Annotated[ImageUrl | None, BeforeValidator(_blank_to_none)] = None

    @field_validator("username", "email", mode="before")
    @classmethod
    def _required_when_sent(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("can't be blank")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with the value to store."""
        sent = self.model_dump(include=self.model_fields_set)
        if sent.get("password") is None:
            sent.pop("password", None)
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
