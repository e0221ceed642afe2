"""The delivery state machine, without a database or network."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from fedi_aid.delivery.states import DEAD, PENDING, SENT, Outcome, backoff, next_state

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MAX_AGE = timedelta(hours=48)


def move(status, tries=1, retry_after=None, age=timedelta(0)):  # type: ignore[no-untyped-def]
    return next_state(
        tries=tries,
        created_at=T0,
        now=T0 + age,
        outcome=Outcome(status, retry_after),
        max_age=MAX_AGE,
        rng=random.Random(1),
    )


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_sent(status: int) -> None:
    assert move(status).state == SENT


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
def test_4xx_is_dead(status: int) -> None:
    assert move(status).state == DEAD


@pytest.mark.parametrize("status", [401, 408, 429, 500, 502, 503, None])
def test_retryable_stays_pending(status: int | None) -> None:
    result = move(status)
    assert result.state == PENDING and result.next_attempt_at is not None
    assert result.next_attempt_at > T0


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [backoff(n, rng).total_seconds() for n in range(1, 20)]
    assert delays[0] < delays[3] < delays[8]
    assert max(delays) <= 6 * 3600 * 1.2


def test_retry_after_is_honoured() -> None:
    result = move(429, retry_after=3600)
    assert result.next_attempt_at is not None
    assert result.next_attempt_at - T0 >= timedelta(seconds=3600)


def test_gives_up_after_about_two_days() -> None:
    assert move(500, tries=30, age=timedelta(hours=47, minutes=59)).state == DEAD
    assert move(None, tries=2, age=timedelta(hours=1)).state == PENDING


def test_domain_health() -> None:
    assert move(None).domain_ok is False
    assert move(503).domain_ok is False
    assert move(429).domain_ok is True
    assert move(410).domain_ok is True


def test_permanent_failure_is_dead_at_once() -> None:
    result = next_state(
        tries=1, created_at=T0, now=T0, outcome=Outcome(None, permanent=True), max_age=MAX_AGE
    )
    assert result.state == DEAD
