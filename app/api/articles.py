"""Articles, the feed and favorites."""

from __future__ import annotations

import functools

from flask import Response

from app.api.auth import (
    auth_optional,
    auth_required,
    current_actor,
    current_actor_id,
    current_viewer_id,
)
from app.api.common import TOKEN_SECURITY, api_blueprint
from app.api.responses import json_response, json_text_response, no_content
from app.read_models import ArticlePage, ArticleView
from app.schemas.articles import (
    ArticleEnvelope,
    ArticleListItemOut,
    ArticleListOut,
    ArticleListQuery,
    ArticleOut,
    NewArticleBody,
    SlugPath,
    UpdateArticleBody,
)
from app.schemas.common import ErrorBody, PageQuery
from app.services import articles, favorites

bp = api_blueprint("api_articles", __name__, "Articles")


def _article_response(article: ArticleView, status: int = 200) -> Response:
    return json_response(ArticleEnvelope(article=ArticleOut.model_validate(article)), status)


# Distinct list items whose JSON a process keeps: the hot pages, 25 of twenty. An
# item can reach 10 KB (a long bio, image URL and description), so this also bounds
# what the kept JSON and views can cost a worker, to tens of MB at worst.
LIST_ITEMS_RENDERED = 512


@functools.lru_cache(maxsize=LIST_ITEMS_RENDERED)
def _list_item_json(article: ArticleView) -> str:
    """One list item as ArticleListItemOut serialises it, rendered once per distinct item.

    The popular pages come back request after request with equal items (a view is a
    frozen value): validating them into wire models again cost more than hashing
    them to find their JSON.
    """
    return ArticleListItemOut.model_validate(article).model_dump_json()


def _page_response(page: ArticlePage) -> Response:
    """ArticleListOut's JSON, byte for byte, from its items' rendered JSON."""
    items = ",".join(map(_list_item_json, page.articles))
    return json_text_response(f'{{"articles":[{items}],"articlesCount":{page.total}}}')


@bp.get("/articles", responses={200: ArticleListOut})
@auth_optional
def list_articles(query: ArticleListQuery) -> Response:
    """List articles, newest first, filtered by tag, author or favoriting user, or
    matching a search (best match first)."""
    return _page_response(
        articles.list_articles(
            viewer_id=current_viewer_id(),
            tag=query.tag,
            author=query.author,
            favorited=query.favorited,
            limit=query.limit,
            offset=query.offset,
            search_query=query.search,
        )
    )


@bp.get("/articles/feed", responses={200: ArticleListOut}, security=TOKEN_SECURITY)
@auth_required
def feed_articles(query: PageQuery) -> Response:
    """List articles by the users the signed-in user follows, newest first."""
    return _page_response(
        articles.feed_articles(viewer_id=current_actor_id(), limit=query.limit, offset=query.offset)
    )


@bp.post("/articles", responses={201: ArticleEnvelope}, security=TOKEN_SECURITY)
@auth_required
def create_article(body: NewArticleBody) -> Response:
    """Publish an article."""
    article = articles.create_article(
        actor=current_actor(),
        title=body.article.title,
        description=body.article.description,
        body=body.article.body,
        tag_list=body.article.tag_list,
    )
    return _article_response(article, 201)


@bp.get("/articles/<slug:slug>", responses={200: ArticleEnvelope})
@auth_optional
def get_article(path: SlugPath) -> Response:
    """Get one article."""
    return _article_response(articles.get_article(slug=path.slug, viewer_id=current_viewer_id()))


@bp.put(
    "/articles/<slug:slug>",
    responses={200: ArticleEnvelope, 403: ErrorBody},
    security=TOKEN_SECURITY,
)
@auth_required
def update_article(path: SlugPath, body: UpdateArticleBody) -> Response:
    """Update an article (author only); a new title gives a new slug."""
    return _article_response(
        articles.update_article(actor=current_actor(), slug=path.slug, **body.article.changes())
    )


@bp.delete("/articles/<slug:slug>", responses={204: None, 403: ErrorBody}, security=TOKEN_SECURITY)
@auth_required
def delete_article(path: SlugPath) -> Response:
    """Delete an article (author only)."""
    articles.delete_article(actor=current_actor(), slug=path.slug)
    return no_content()


@bp.post(
    "/articles/<slug:slug>/favorite", responses={200: ArticleEnvelope}, security=TOKEN_SECURITY
)
@auth_required
def favorite_article(path: SlugPath) -> Response:
    """Favorite an article."""
    return _article_response(favorites.favorite_article(actor=current_actor(), slug=path.slug))


@bp.delete(
    "/articles/<slug:slug>/favorite", responses={200: ArticleEnvelope}, security=TOKEN_SECURITY
)
@auth_required
def unfavorite_article(path: SlugPath) -> Response:
    """Remove an article from the signed-in user's favorites."""
    return _article_response(favorites.unfavorite_article(actor=current_actor(), slug=path.slug))
