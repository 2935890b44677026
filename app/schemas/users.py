"""Wire format of accounts and profiles."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator

from app.schemas.common import (
    Bio,
    BlankMeansNone,
    Email,
    ImageUrl,
    Password,
    QueryText,
    RequestModel,
    SignInEmail,
    SignInPassword,
    Username,
    WireModel,
    optional,
)


class NewUser(RequestModel):
    username: Username
    email: Email
    password: Password


class NewUserBody(RequestModel):
    user: NewUser


class LoginUser(RequestModel):
    email: SignInEmail
    password: SignInPassword


class LoginUserBody(RequestModel):
    user: LoginUser


class UpdateUser(RequestModel):
    """Only the fields sent change; `bio` and `image` may be cleared with null or ""."""

    username: Username | None = optional()
    email: Email | None = optional()
    # Several front ends send "" for "keep my password": it changes nothing.
    password: Annotated[Password | None, BlankMeansNone()] = optional(nullable=True)
    bio: Annotated[Bio | None, BlankMeansNone()] = optional(nullable=True)
    image: Annotated[ImageUrl | None, BlankMeansNone()] = optional(nullable=True)

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
