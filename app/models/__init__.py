"""The database tables, as typed SQLAlchemy 2.0 models."""

from app.models.article import Article, ArticleTag, Comment, Counter, Favorite, Tag
from app.models.base import Base
from app.models.search import articles_search
from app.models.session import UserSession
from app.models.user import Follow, User

__all__ = [
    "Article",
    "ArticleTag",
    "Base",
    "Comment",
    "Counter",
    "Favorite",
    "Follow",
    "Tag",
    "User",
    "UserSession",
    "articles_search",
]
