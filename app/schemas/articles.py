"""Wire format of articles, comments and tags."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from app import rules
from app.schemas.common import (
    Body,
    CommentBody,
    Description,
    Matches,
    PageQuery,
    QueryText,
    RequestModel,
    TagName,
    Timestamp,
    Title,
    WireModel,
    optional,
)
from app.schemas.users import ProfileOut

TagList = Annotated[list[TagName], Field(max_length=rules.TAGS_MAX)]
_RESERVED = ", ".join(f"`{word}`" for word in sorted(rules.RESERVED_SLUGS))
# Never empty, never a reserved word: /api/articles/ and /api/articles/feed are
# other routes (the list, the feed).
Slug = Annotated[
    QueryText,
    Field(
        min_length=1,
        description=f"The article's slug; never {_RESERVED}, the paths of other routes.",
        json_schema_extra={"not": {"enum": sorted(rules.RESERVED_SLUGS)}},
    ),
]


class NewArticle(RequestModel):
    title: Title
    description: Description
    body: Body
    tag_list: TagList = Field(default=[], alias="tagList")


class NewArticleBody(RequestModel):
    article: NewArticle


class UpdateArticle(RequestModel):
    """Only the fields sent change; none of them may be cleared (null is refused)."""

    title: Title | None = optional()
    description: Description | None = optional()
    body: Body | None = optional()
    tag_list: TagList | None = optional(alias="tagList")

    @field_validator("title", "description", "body", "tag_list", mode="before")
    @classmethod
    def _required_when_sent(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("can't be blank")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return self.model_dump(include=self.model_fields_set)


class UpdateArticleBody(RequestModel):
    article: UpdateArticle


def _searchable(value: str) -> str:
    problem = rules.search_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value.strip()


SearchText = Annotated[
    str,
    StringConstraints(max_length=rules.SEARCH_MAX),
    # The same messages as the rule below, which the pattern states for the schema.
    Matches(rules.SEARCH_TEXT_PATTERN, lambda value: rules.search_problem(value) or "is too short"),
    AfterValidator(_searchable),
    Field(
        description=(
            "An extension to the RealWorld API: only the articles whose title, "
            "description, body or tags match these words, best match first, then "
            'newest first. Web-search syntax: `"a phrase"`, `-word` to exclude, `OR`; '
            "word forms match (stemming). At least "
            f"{rules.SEARCH_MIN} characters besides surrounding blanks. The newest "
            f"{rules.SEARCH_CANDIDATES} matching articles are ranked, so `articlesCount` "
            f"is at most {rules.SEARCH_CANDIDATES}."
        )
    ),
]


class ArticleListQuery(PageQuery):
    tag: QueryText | None = optional()
    author: QueryText | None = optional()
    favorited: QueryText | None = optional()
    search: SearchText | None = optional()


class SlugPath(RequestModel):
    slug: Slug


class CommentPath(RequestModel):
    slug: Slug
    id: int = Field(ge=1, le=2**63 - 1)


class ArticleOut(WireModel):
    slug: str
    title: str
    description: str
    body: str
    tag_list: list[str]
    created_at: Timestamp
    updated_at: Timestamp
    favorited: bool
    favorites_count: int
    author: ProfileOut


class ArticleEnvelope(WireModel):
    article: ArticleOut


class ArticleListItemOut(WireModel):
    """An article in a list: everything but the body."""

    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: Timestamp
    updated_at: Timestamp
    favorited: bool
    favorites_count: int
    author: ProfileOut


class ArticleListOut(WireModel):
    articles: list[ArticleListItemOut]
    articles_count: int


class NewComment(RequestModel):
    body: CommentBody


class NewCommentBody(RequestModel):
    comment: NewComment


class CommentOut(WireModel):
    id: int
    created_at: Timestamp
    updated_at: Timestamp
    body: str
    author: ProfileOut


class CommentEnvelope(WireModel):
    comment: CommentOut


class CommentListOut(WireModel):
    comments: list[CommentOut]


class TagListOut(WireModel):
    tags: list[str]
