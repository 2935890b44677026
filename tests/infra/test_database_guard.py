"""The database guard's states (app/database_guard.py).

A guard refuses requests for a while after the database did not answer, then
lets one thread at a time try again.
"""

from __future__ import annotations

import threading

import pytest

from app.database_guard import DatabaseGuard, answers_within
from tests.infra.helpers import Clock


@pytest.fixture
def guard(clock: Clock) -> DatabaseGuard:
    return DatabaseGuard(reply_timeout=4.0, fail_fast_seconds=2.0, trial_seconds=7.0, clock=clock)


def _admitted_in_another_thread(guard: DatabaseGuard) -> bool:
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(guard.admit()))
    thread.start()
    thread.join(timeout=5)
    return result[0]


def test_a_guard_admits_every_request_while_the_database_answers(guard):
    assert guard.admit()
    assert _admitted_in_another_thread(guard)
    assert not guard.is_open


def test_after_a_timeout_requests_are_refused_for_the_fail_fast_seconds(guard, clock):
    guard.unanswered()
    clock.now += 1.9

    assert not guard.admit()
    assert not _admitted_in_another_thread(guard)


def test_then_one_thread_tries_again_while_the_others_are_still_refused(guard, clock):
    guard.unanswered()
    clock.now += 2.1

    assert guard.admit()
    assert guard.admit(), "the thread that tries may use the database as often as it needs"
    assert not _admitted_in_another_thread(guard)


def test_an_answer_lets_every_request_through_again(guard, clock):
    guard.unanswered()
    clock.now += 2.1
    guard.admit()

    guard.answered()

    assert not guard.is_open
    assert _admitted_in_another_thread(guard)


def test_another_timeout_refuses_again_even_the_thread_that_tried(guard, clock):
    guard.unanswered()
    clock.now += 2.1
    guard.admit()

    guard.unanswered()

    assert not guard.admit()


def test_a_try_that_never_ends_lets_another_thread_try_after_the_trial_seconds(guard, clock):
    guard.unanswered()
    clock.now += 2.1
    guard.admit()

    clock.now += 6.9
    assert not _admitted_in_another_thread(guard)
    clock.now += 0.2
    assert _admitted_in_another_thread(guard)


def test_a_block_may_wait_less_than_the_reply_timeout_but_never_more(guard):
    assert guard.reply_bound() == 4.0
    with answers_within(1.0):
        assert guard.reply_bound() == 1.0
    with answers_within(10.0):
        assert guard.reply_bound() == 4.0
    assert guard.reply_bound() == 4.0


def test_without_a_reply_timeout_a_wait_lasts_as_long_as_it_takes():
    guard = DatabaseGuard(reply_timeout=None, fail_fast_seconds=2.0, trial_seconds=3.0)

    assert guard.reply_bound() is None
    with answers_within(1.0):
        assert guard.reply_bound() == 1.0
