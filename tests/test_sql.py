"""insert_ignoring_duplicates: the database, not a read-then-write race, decides."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Follow, Tag
from app.sql import insert_ignoring_duplicates


def test_insert_ignoring_duplicates_skips_existing_rows_and_counts_the_new_ones(app):
    assert insert_ignoring_duplicates(db.session, Tag, [{"name": "a"}, {"name": "b"}]) == 2
    assert insert_ignoring_duplicates(db.session, Tag, [{"name": "b"}, {"name": "c"}]) == 1
    assert insert_ignoring_duplicates(db.session, Tag, [{"name": "a"}]) == 0
    db.session.commit()

    assert sorted(db.session.scalars(select(Tag.name))) == ["a", "b", "c"]


def test_insert_ignoring_duplicates_of_a_pair_table(app, user, other_user):
    pair = {"follower_id": user.id, "followed_id": other_user.id}

    assert insert_ignoring_duplicates(db.session, Follow, [pair]) == 1
    assert insert_ignoring_duplicates(db.session, Follow, [pair]) == 0


def test_insert_ignoring_duplicates_of_nothing_sends_no_statement(app, statements):
    assert insert_ignoring_duplicates(db.session, Tag, []) == 0
    assert statements.count == 0
