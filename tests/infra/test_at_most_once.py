"""`app.jobs.at_most_once` against claims kept in memory: the decisions a run of a
queued job takes from what it finds (the Redis claims themselves are tested in
test_jobs_redis.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app import jobs
from app.jobs import ActionInProgress, Claim
from tests.infra.helpers import configured


class MemoryClaims:
    def __init__(self, *, failing: str = "") -> None:
        self.states: dict[str, Claim] = {}
        self.failing = failing

    def claim(self, key: str) -> Claim:
        if key in self.states:
            return self.states[key]
        self.states[key] = Claim.PENDING
        return Claim.TAKEN

    def settle(self, key: str) -> None:
        self._maybe_fail("settle")
        self.states[key] = Claim.DONE

    def release(self, key: str) -> None:
        self._maybe_fail("release")
        del self.states[key]

    def _maybe_fail(self, operation: str) -> None:
        if operation == self.failing:
            raise RedisConnectionError("Redis went away")


@contextmanager
def queued_run(claims: MemoryClaims) -> Iterator[None]:
    """As a worker runs a job from the queue: with the queue's claims."""
    reset = jobs._claims.set(claims)
    try:
        yield
    finally:
        jobs._claims.reset(reset)


def test_the_first_run_acts_and_marks_the_claim_done_then_others_skip():
    claims = MemoryClaims()
    with queued_run(claims):
        with jobs.at_most_once("event") as first:
            assert first is True
        assert claims.states["event"] is Claim.DONE
        with jobs.at_most_once("event") as again:
            assert again is False


def test_a_run_that_finds_the_claim_pending_is_retried_later():
    claims = MemoryClaims()
    claims.states["event"] = Claim.PENDING
    with queued_run(claims), pytest.raises(ActionInProgress), jobs.at_most_once("event"):
        pytest.fail("acted while another run held the claim")


def test_an_action_that_raises_gives_its_claim_back():
    claims = MemoryClaims()
    with queued_run(claims), pytest.raises(OSError, match="SMTP"), jobs.at_most_once("event"):
        raise OSError("SMTP refused")
    assert "event" not in claims.states


def test_a_claim_that_cannot_be_given_back_stays_pending_and_the_error_propagates(build, capsys):
    build(configured())  # its logging writes to this test's captured stdout
    claims = MemoryClaims(failing="release")
    with (
        queued_run(claims),
        pytest.raises(OSError, match="SMTP refused"),
        jobs.at_most_once("event"),
    ):
        raise OSError("SMTP refused")
    assert claims.states["event"] is Claim.PENDING
    assert "job claim not given back" in capsys.readouterr().out


def test_a_done_action_whose_claim_cannot_be_marked_is_still_done(build, capsys):
    build(configured())
    claims = MemoryClaims(failing="settle")
    acted = []
    with queued_run(claims), jobs.at_most_once("event") as first:
        acted.append(first)
    assert acted == [True]
    assert "job claim not marked done" in capsys.readouterr().out


def test_a_run_in_the_web_process_claims_nothing():
    with jobs.at_most_once("event") as first:
        assert first is True
