"""Opt-in e-mail notifications: a new follower, a comment on one's article.

The rules: a user is mailed only if they turned notifications on (off by
default), never for what they did themselves, and at most once per event. An
event is one follow row (a follow of someone already followed inserts none) or
one comment. Unfollowing and following again inserts a new row: a new event,
with its mail, as any other follow would be.

The use cases call `notify_*` once their transaction has committed, so that a
write that failed sends nothing. The job runs later (app/jobs) and checks again
before it sends: the recipient may have turned notifications off, the follower
unfollowed, the comment been deleted. A follow's event is named by the follow
row standing when the job runs (the pair and its creation time): should a
follow be undone and redone before its job runs, both jobs find the new row: on
the queue they send one mail between them, for the follow that stands. `jobs.at_most_once`
keeps a job that the queue runs again from mailing twice for one event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app import jobs, mail
from app.extensions import db
from app.models import Article, Comment, Follow, User

# A comment's mail quotes this much of it; the link leads to the rest.
EXCERPT_MAX = 500


def can_notify() -> bool:
    """Whether this installation sends notification mail at all (it has a mail server)."""
    return mail.can_send()


def notify_new_follower(*, follower: User, followed: User) -> None:
    """Mail `followed` that `follower` follows them now, if they asked for such mail.

    Call once the new follow row is committed, and only for a row the follow inserted.
    """
    if _wanted(actor_id=follower.id, recipient_id=followed.id, opted_in=followed.notify_by_email):
        jobs.enqueue(send_follow_mail, follower_id=follower.id, followed_id=followed.id)


def notify_new_comment(*, comment_id: int, actor: User, author_id: int, opted_in: bool) -> None:
    """Mail the author (`author_id`, `opted_in` or not) of the article that `actor`
    commented on (comment `comment_id`), if they asked for such mail.

    Call once the comment is committed.
    """
    if _wanted(actor_id=actor.id, recipient_id=author_id, opted_in=opted_in):
        jobs.enqueue(send_comment_mail, comment_id=comment_id)


def _wanted(*, actor_id: int, recipient_id: int, opted_in: bool) -> bool:
    # An installation that sends no mail queues no job that could only fail.
    return opted_in and actor_id != recipient_id and can_notify()


@jobs.job
def send_follow_mail(*, follower_id: int, followed_id: int) -> None:
    """Mail the followed user about their new follower, if the follow and the opt-in hold."""
    follower, followed = aliased(User), aliased(User)
    row = db.session.execute(
        select(Follow.created_at, follower, followed)
        .join(follower, follower.id == Follow.follower_id)
        .join(followed, followed.id == Follow.followed_id)
        .where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    ).first()
    if row is None:
        return
    created_at, who, recipient = row
    if not recipient.notify_by_email:
        return
    _send_once(
        f"follow:{follower_id}:{followed_id}:{created_at.isoformat()}",
        to=recipient.email,
        subject=f"{who.username} is now following you on Conduit",
        template="new_follower",
        username=recipient.username,
        follower=who.username,
        link=mail.public_url("web_profiles.show_profile", username=who.username),
    )


@jobs.job
def send_comment_mail(*, comment_id: int) -> None:
    """Mail the article's author about the comment, if it still stands and they opted in."""
    commenter, author = aliased(User), aliased(User)
    row = db.session.execute(
        select(Comment, Article.slug, Article.title, commenter, author)
        .join(Article, Article.id == Comment.article_id)
        .join(commenter, commenter.id == Comment.author_id)
        .join(author, author.id == Article.author_id)
        .where(Comment.id == comment_id)
    ).first()
    if row is None:
        return
    comment, slug, title, who, recipient = row
    if not recipient.notify_by_email or who.id == recipient.id:
        return
    # With its creation time: SQLite may give a deleted comment's id to a new one.
    _send_once(
        f"comment:{comment.id}:{comment.created_at.isoformat()}",
        to=recipient.email,
        subject=f"{who.username} commented on {_one_line(title)}",
        template="new_comment",
        username=recipient.username,
        commenter=who.username,
        title=title,
        excerpt=_excerpt(comment.body),
        link=mail.public_url("web_articles.show_article", slug=slug) + f"#comment-{comment.id}",
    )


def _send_once(event: str, **message: Any) -> None:
    """Send `message` (app.mail.send's arguments) unless a run of this job already has."""
    with jobs.at_most_once(f"notification:{event}") as first:
        if first:
            mail.send(**message)


def _one_line(text: str) -> str:
    # A title may hold line breaks, which a mail's subject header cannot.
    return " ".join(text.split())


def _excerpt(body: str) -> str:
    return body if len(body) <= EXCERPT_MAX else body[: EXCERPT_MAX - 1].rstrip() + "…"
