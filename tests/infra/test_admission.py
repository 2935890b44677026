"""Admission control: at most so many at work at once, the rest wait or give up."""

from __future__ import annotations

import threading

import pytest

from app.admission import Admission, Crowded


def test_callers_beyond_the_size_give_up_after_the_wait():
    control = Admission(2, wait_seconds=0.01)

    with control.admitted(), control.admitted(), pytest.raises(Crowded), control.admitted():
        pass


def test_no_wait_gives_up_at_once():
    control = Admission(1, wait_seconds=0)

    with control.admitted(), pytest.raises(Crowded), control.admitted():
        pass


def test_a_place_freed_lets_the_next_caller_in():
    control = Admission(1, wait_seconds=0.01)

    with control.admitted():
        pass
    with control.admitted():
        pass


def test_a_caller_that_fails_inside_frees_its_place():
    control = Admission(1, wait_seconds=0.01)

    with pytest.raises(RuntimeError), control.admitted():
        raise RuntimeError("the work failed")
    with control.admitted():
        pass


def test_a_waiting_caller_gets_in_when_a_place_comes_free():
    control = Admission(1, wait_seconds=30)
    inside = threading.Event()
    leave = threading.Event()
    order: list[str] = []

    def first() -> None:
        with control.admitted():
            order.append("first in")
            inside.set()
            leave.wait(30)
            order.append("first out")

    def second() -> None:
        inside.wait(30)
        with control.admitted():
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait(30)
    leave.set()
    for thread in threads:
        thread.join(30)

    assert order == ["first in", "first out", "second in"]
