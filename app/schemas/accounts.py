"""Wire format of leaving: the account export and the deletion's confirmation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.schemas.common import RequestModel, SignInPassword, Timestamp, WireModel


class DeleteUser(RequestModel):
    password: SignInPassword = Field(description="The account's current password.")


class DeleteUserBody(RequestModel):
    user: DeleteUser


# The export document. The service writes it piece by piece
# (app/services/accounts.py); these models only describe it, and the tests check
# every export against them.


class ExportedProfile(WireModel):
    username: str
    email: str
    bio: str | None
    image: str | None
    notify_by_email: bool = Field(description="The account's notification setting.")
    created_at: Timestamp


class ExportedArticle(WireModel):
    slug: str
    title: str
    description: str
    body: str = Field(description="Markdown, as written.")
    tag_list: list[str]
    created_at: Timestamp
    updated_at: Timestamp
    favorites_count: int


class CommentedArticle(WireModel):
    slug: str
    title: str


class ExportedComment(WireModel):
    id: int
    body: str
    created_at: Timestamp
    updated_at: Timestamp
    article: CommentedArticle


class ExportedFavorite(WireModel):
    slug: str
    title: str
    author: str = Field(description="The username of the article's author.")
    favorited_at: Timestamp


class ExportedFollow(WireModel):
    username: str
    since: Timestamp


class AccountExport(WireModel):
    """Everything the account holds, oldest first in each list."""

    format: Literal["conduit-account-export"]
    version: Literal[1]
    profile: ExportedProfile
    articles: list[ExportedArticle]
    comments: list[ExportedComment] = Field(description="The account's comments, on any article.")
    favorites: list[ExportedFavorite]
    following: list[ExportedFollow] = Field(description="The users the account follows.")
    followers: list[ExportedFollow] = Field(description="The users who follow the account.")
