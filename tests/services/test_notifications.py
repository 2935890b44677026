"""Opt-in notification mail: off by default, once per event, never for one's own actions.

The mails go to a real SMTP server (tests/mailbox.py). Outside a request, with no
Redis, a job runs at once: each mail has arrived (or not) when the service returns.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from app.exceptions import NotFound
from app.extensions import db
from app.models import Article, Comment, Follow, User
from app.services import articles, comments, notifications, profiles, users
from tests.factories import CommentFactory, UserFactory
from tests.interleaving import committed_before_next_write
from tests.mailbox import Mailbox, html_body, text_body

# The test apps' PUBLIC_BASE_URL (config.TestConfig).
PUBLIC = "http://conduit.test"


@pytest.fixture(autouse=True)
def mailbox(mail_settings: Mailbox) -> Mailbox:
    return mail_settings


@pytest.fixture
def jake(app, user: User) -> User:
    """jake, who asked for notification mail."""
    return users.update_user(user=user, notify_by_email=True)


@pytest.fixture
def slug(jake: User) -> str:
    return articles.create_article(
        actor=jake, title="How to train\nyour dragon", description="d", body="b"
    ).slug


def test_a_new_account_has_notifications_off(app):
    assert UserFactory().notify_by_email is False


def test_nothing_is_mailed_to_a_user_who_did_not_opt_in(app, user, other_user, mailbox):
    slug = articles.create_article(actor=user, title="Dragons", description="d", body="b").slug

    profiles.follow_user(actor=other_user, username="jake")
    comments.add_comment(actor=other_user, slug=slug, body="Nice")

    assert mailbox.messages == []


def test_a_new_follower_is_mailed_once(jake, other_user, mailbox):
    profiles.follow_user(actor=other_user, username="jake")

    (message,) = mailbox.messages
    assert message["To"] == "jake@example.com"
    assert message["Subject"] == "celeb is now following you on Conduit"
    assert f"{PUBLIC}/profile/celeb" in text_body(message)
    assert f'href="{PUBLIC}/profile/celeb"' in html_body(message)


def test_following_again_while_following_mails_nothing_more(jake, other_user, mailbox):
    profiles.follow_user(actor=other_user, username="jake")
    profiles.follow_user(actor=other_user, username="JAKE")

    assert len(mailbox.messages) == 1


def test_unfollowing_and_following_again_is_a_new_follow_with_its_mail(jake, other_user, mailbox):
    profiles.follow_user(actor=other_user, username="jake")
    profiles.unfollow_user(actor=other_user, username="jake")
    profiles.follow_user(actor=other_user, username="jake")

    assert [m["To"] for m in mailbox.messages] == ["jake@example.com"] * 2


def test_a_comment_on_an_article_is_mailed_to_its_author_once(jake, slug, other_user, mailbox):
    comment = comments.add_comment(actor=other_user, slug=slug, body="Fire <b>and</b> ice")

    (message,) = mailbox.messages
    assert message["To"] == "jake@example.com"
    # The title's line break is no header's.
    assert message["Subject"] == "celeb commented on How to train your dragon"
    link = f"{PUBLIC}/article/{slug}#comment-{comment.id}"
    assert link in text_body(message)
    assert "Fire <b>and</b> ice" in text_body(message)
    assert f'href="{link}"' in html_body(message)
    assert "Fire &lt;b&gt;and&lt;/b&gt; ice" in html_body(message)


def test_each_comment_is_its_own_event(jake, slug, other_user, mailbox):
    comments.add_comment(actor=other_user, slug=slug, body="One")
    comments.add_comment(actor=other_user, slug=slug, body="Two")

    assert len(mailbox.messages) == 2


def test_a_comment_on_ones_own_article_mails_nothing(jake, slug, mailbox):
    comments.add_comment(actor=jake, slug=slug, body="Replying to you all")

    assert mailbox.messages == []


def test_the_commenters_own_setting_does_not_matter(app, user, other_user, mailbox):
    users.update_user(user=other_user, notify_by_email=True)
    slug = articles.create_article(actor=user, title="Dragons", description="d", body="b").slug

    comments.add_comment(actor=other_user, slug=slug, body="Nice")

    assert mailbox.messages == []


def test_turned_off_again_mails_nothing(jake, slug, other_user, mailbox):
    users.update_user(user=jake, notify_by_email=False)

    profiles.follow_user(actor=other_user, username="jake")
    comments.add_comment(actor=other_user, slug=slug, body="Nice")

    assert mailbox.messages == []


def test_a_comment_that_lost_the_race_with_its_articles_deletion_mails_nothing(
    jake, slug, other_user, mailbox
):
    deletion = delete(Article).where(Article.slug == slug)
    with committed_before_next_write(deletion) as race, pytest.raises(NotFound):
        comments.add_comment(actor=other_user, slug=slug, body="First!")

    assert race.fired
    assert mailbox.messages == []


# The job checks again when it runs: what changed since it was queued counts.


def test_the_follow_job_sends_nothing_once_the_follow_is_undone(jake, other_user, mailbox):
    db.session.add(Follow(follower_id=other_user.id, followed_id=jake.id))
    db.session.commit()
    profiles.unfollow_user(actor=other_user, username="jake")

    notifications.send_follow_mail(follower_id=other_user.id, followed_id=jake.id)

    assert mailbox.messages == []


def test_the_jobs_send_nothing_once_the_recipient_turned_notifications_off(
    jake, slug, other_user, mailbox
):
    db.session.add(Follow(follower_id=other_user.id, followed_id=jake.id))
    comment = Comment(body="Hi", article_id=articles.load_article(slug).id, author_id=other_user.id)
    db.session.add(comment)
    db.session.commit()
    users.update_user(user=jake, notify_by_email=False)

    notifications.send_follow_mail(follower_id=other_user.id, followed_id=jake.id)
    notifications.send_comment_mail(comment_id=comment.id)

    assert mailbox.messages == []


def test_the_comment_job_sends_nothing_once_the_comment_is_deleted(jake, slug, other_user, mailbox):
    comment = CommentFactory(article=articles.load_article(slug), author=other_user, body="Hi")
    comments.delete_comment(actor=other_user, slug=slug, comment_id=comment.id)

    notifications.send_comment_mail(comment_id=comment.id)

    assert mailbox.messages == []


def test_an_installation_without_mail_queues_nothing(jake, slug, other_user, app, mailbox):
    app.config["MAIL_SERVER"] = None

    profiles.follow_user(actor=other_user, username="jake")
    comments.add_comment(actor=other_user, slug=slug, body="Nice")

    assert mailbox.messages == []


# What the choice costs the writes that may notify: nothing.


def test_a_follow_still_runs_two_statements(app, user, other_user, statements):
    statements.reset()

    profiles.follow_user(actor=other_user, username="jake")

    # The followed user (their setting with them), then the follow.
    assert statements.count == 2, statements.statements


def test_a_comment_runs_no_statement_for_its_notification(app, user, other_user, statements):
    slug = articles.create_article(actor=user, title="Dragons", description="d", body="b").slug
    statements.reset()

    comments.add_comment(actor=other_user, slug=slug, body="Nice")

    # The article with its author's setting (one statement, as the article alone
    # was), then the comment and the article's count of comments (app/counts.py).
    assert statements.count == 3, statements.statements
