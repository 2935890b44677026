"""Articles, their tags, favorites and comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many favorites rows name this article, kept by the services in the same
    # transaction as the row they insert or delete: no list counts rows to show it.
    favorites_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # How many comments rows name this article, kept the same way: the article page's
    # pager shows it, and counting a popular article's thousands of comments on every
    # page cost more than reading the page.
    comments_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # What full-text search matches on PostgreSQL: the weighted words of the title,
    # tags, description and body, written by the services with the row
    # (app/queries/search_index.py). Never loaded with the article (deferred). SQLite
    # searches an FTS5 table instead, and leaves this column empty.
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR().with_variant(Text(), "sqlite"), deferred=True
    )

    __table_args__ = (
        # Lists are newest first with the id as tie-breaker: one index per order.
        Index("ix_articles_created_at_id", "created_at", "id"),
        Index("ix_articles_author_id_created_at_id", "author_id", "created_at", "id"),
        Index("ix_articles_search_vector", "search_vector", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.slug!r}>"


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # How many articles carry the tag, kept by the writes that tag, retag or delete
    # articles (app/counts.py): a tag's articlesCount and the tag list's order without
    # counting article_tags rows.
    articles_count: Mapped[int] = mapped_column(default=0, server_default="0")


# The tag list, most used first and ties alphabetical, is this index's order.
Index("ix_tags_articles_count_name", Tag.articles_count.desc(), Tag.name)


class Counter(Base):
    """A number that reads would otherwise count rows for, kept by the writes that
    change it in their own transaction (app/counts.py): one row per name."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(default=0, server_default="0")


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    # The article's created_at (fixed for its life), so that a tag's articles come
    # out of one index newest first: a tag page reads twenty entries, not them all.
    article_created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "ix_article_tags_tag_id_article_created_at",
            "tag_id",
            "article_created_at",
            "article_id",
        ),
    )


class Favorite(Base):
    __tablename__ = "favorites"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The article's created_at, as on ArticleTag: a reader's favorites come out of
    # one index newest article first, so a favorites page reads twenty entries.
    article_created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_favorites_article_id_user_id", "article_id", "user_id"),
        Index(
            "ix_favorites_user_id_article_created_at",
            "user_id",
            "article_created_at",
            "article_id",
        ),
    )


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # In list order (newest first, by id among equals): a page of comments stops
        # after `limit` entries however many the article has.
        Index("ix_comments_article_id_created_at_id", "article_id", "created_at", "id"),
        Index("ix_comments_author_id", "author_id"),
    )
