"""Read models the services hand to both surfaces (API and web).

They are plain values, never ORM objects, so nothing renders outside a session
by accident and nothing lazy-loads from a template or a serialiser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar


@dataclass(frozen=True, slots=True)
class AccountView:
    """Who is signed in, as every page shows them (the account itself is loaded only
    by what changes it)."""

    id: int
    username: str
    image: str | None


@dataclass(frozen=True, slots=True)
class ProfileView:
    username: str
    bio: str | None
    image: str | None
    following: bool


@dataclass(frozen=True, slots=True)
class ArticleView:
    slug: str
    title: str
    description: str
    # None in list items: lists never load the body.
    body: str | None
    # A tuple, so that a view is hashable: the API renders each distinct list item
    # once (app/api/articles.py).
    tag_list: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    favorited: bool
    favorites_count: int
    author: ProfileView


@dataclass(frozen=True, slots=True)
class ArticlePage:
    articles: list[ArticleView]
    # How many articles match the query, whatever the page size.
    total: int


@dataclass(frozen=True, slots=True)
class CommentView:
    id: int
    body: str
    created_at: datetime
    updated_at: datetime
    author: ProfileView


# A comment as the statements read it, the same for every viewer: id, body,
# created_at, updated_at, author_id, and its author's username, bio and image.
CommentRow = tuple[int, str, datetime, datetime, int, str, str | None, str | None]

Shown = TypeVar("Shown")


@dataclass(frozen=True, slots=True)
class CommentListing(Generic[Shown]):
    """An article's comments newest first, each as its author's id and what the
    caller makes of its row (a view, the API's JSON), and whom of their authors the
    viewer follows."""

    shown: Sequence[tuple[int, Shown]]
    followed: frozenset[int]


def comment_view(row: CommentRow, *, following: bool = False) -> CommentView:
    comment_id, body, created_at, updated_at, _author_id, username, bio, image = row
    return CommentView(
        id=comment_id,
        body=body,
        created_at=created_at,
        updated_at=updated_at,
        author=ProfileView(username=username, bio=bio, image=image, following=following),
    )


@dataclass(frozen=True, slots=True)
class CommentPage:
    comments: list[CommentView]
    # The page shown (counted from 1) and how many comments the article has in all.
    page: int
    total: int
