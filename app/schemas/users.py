"""Wire format of accounts and profiles."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from app import rules
from app.schemas.common import (
    Bio,
    BlankMeansNone,
    Email,
    ImageUrl,
    NulFree,
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


UNCHANGED_WHEN_BLANK = "An empty (or blank) value leaves it unchanged: it can never be blank."
CLEARED_WHEN_BLANK = "null or an empty (or blank) value clears it: it becomes null."
NOTIFY_BY_EMAIL = (
    "An extension of the RealWorld spec: whether the user is mailed when someone "
    "follows them or comments on their articles (never for their own actions); "
    "false for a new account."
)


class UpdateUser(RequestModel):
    """Only the fields sent change. An empty `username`, `email` or `password` leaves
    it unchanged; null or "" clears `bio` and `image`."""

    # Front ends that do not fill their settings form with the current values (the
    # Angular RealWorld app) send "" for every field left alone.
    username: Annotated[
        Username | None, BlankMeansNone(), Field(description=UNCHANGED_WHEN_BLANK)
    ] = optional()
    email: Annotated[Email | None, BlankMeansNone(), Field(description=UNCHANGED_WHEN_BLANK)] = (
        optional()
    )
    password: Annotated[
        Password | None,
        BlankMeansNone(),
        Field(description=f"{UNCHANGED_WHEN_BLANK} null also leaves it unchanged."),
    ] = optional(nullable=True)
    bio: Annotated[Bio | None, BlankMeansNone(), Field(description=CLEARED_WHEN_BLANK)] = optional(
        nullable=True
    )
    image: Annotated[ImageUrl | None, BlankMeansNone(), Field(description=CLEARED_WHEN_BLANK)] = (
        optional(nullable=True)
    )
    notify_by_email: Annotated[
        bool | None, Field(description=f"{NOTIFY_BY_EMAIL} null is refused.")
    ] = optional(alias="notifyByEmail")

    @field_validator("username", "email", mode="before")
    @classmethod
    def _required_when_sent(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("can't be blank")
        return value

    @field_validator("notify_by_email", mode="before")
    @classmethod
    def _a_choice_when_sent(cls, value: Any) -> Any:
        # JSON true or false only: pydantic would take "yes", 1 or "off" for a choice.
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
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
    notify_by_email: bool = Field(description=NOTIFY_BY_EMAIL)


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


class PasswordResetRequest(RequestModel):
    email: Email


class PasswordResetRequestBody(RequestModel):
    user: PasswordResetRequest


ResetToken = Annotated[
    str, StringConstraints(min_length=1, max_length=rules.RESET_TOKEN_MAX), NulFree
]


class PasswordResetConfirm(RequestModel):
    token: ResetToken = Field(description="The token of the reset link the mail gave.")
    password: Password


class PasswordResetConfirmBody(RequestModel):
    user: PasswordResetConfirm


class Accepted(WireModel):
    """Nothing to say: the request is taken (`{}`)."""
