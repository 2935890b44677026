"""Read models the services hand to both surfaces (API and web).

They are plain values, never ORM objects, so nothing renders outside a session
by accident and nothing lazy-loads from a template or a serialiser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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

    def with_viewer_flags(self, *, favorited: bool, following: bool) -> ArticleView:
        """This article with the given `favorited` and author's `following`."""
        # Built field by field: dataclasses.replace inspects the fields on every call,
        # which cost more than the rest of applying a viewer's flags to a page.
        author = self.author
        return ArticleView(
            slug=self.slug,
            title=self.title,
            description=self.description,
            body=self.body,
            tag_list=self.tag_list,
            created_at=self.created_at,
            updated_at=self.updated_at,
            favorited=favorited,
            favorites_count=self.favorites_count,
            author=ProfileView(
                username=author.username, bio=author.bio, image=author.image, following=following
            ),
        )


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
