"""Read models the services hand to both surfaces (API and web).

They are plain values, never ORM objects, so nothing renders outside a session
by accident and nothing lazy-loads from a template or a serialiser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


@dataclass(frozen=True, slots=True)
class CommentPage:
    comments: list[CommentView]
    # The page shown (counted from 1) and how many comments the article has in all.
    page: int
    total: int
