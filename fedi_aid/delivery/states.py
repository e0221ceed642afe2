"""Delivery lifecycle as data: pending -> sent | dead. Pure, tested without a database."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

PENDING, SENT, DEAD = "pending", "sent", "dead"

# Statuses in the 4xx range that are worth retrying: the peer may take it later.
RETRYABLE_4XX = frozenset({401, 408, 429})
MAX_RETRY_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no HTTP answer (connection refused, timeout, DNS)
    retry_after: float | None = None  # seconds, from the Retry-After header
    error: str | None = None
    permanent: bool = False  # e.g. the inbox URL is refused by the SSRF guard


@dataclass(frozen=True)
class Transition:
    state: str
    next_attempt_at: datetime | None
    domain_ok: bool  # the peer answered at all: it is not down


def backoff(tries: int, rng: random.Random | None = None, base_seconds: float = 30.0) -> timedelta:
    """Growing delay after the n-th failed try: 30 s, 1 min, 2 min ... capped at 6 h, +-20 % jitter."""
    base = min(base_seconds * (2 ** min(max(tries - 1, 0), 20)), 6 * 3600)
    jitter = (rng or random).uniform(0.8, 1.2)
    return timedelta(seconds=base * jitter)


def next_state(
    *,
    tries: int,
    created_at: datetime,
    now: datetime,
    outcome: Outcome,
    max_age: timedelta,
    rng: random.Random | None = None,
    base_seconds: float = 30.0,
) -> Transition:
    """What happens to a delivery after try number `tries` (1-based) ended with `outcome`."""
    status = outcome.status
    if outcome.permanent:
        return Transition(DEAD, None, True)
    if status is not None and 200 <= status < 300:
        return Transition(SENT, None, True)
    if status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX:
        return Transition(DEAD, None, True)
    delay = backoff(tries, rng, base_seconds)
    if outcome.retry_after is not None and status in (429, 503):
        delay = max(delay, min(timedelta(seconds=outcome.retry_after), MAX_RETRY_AFTER))
    next_at = now + delay
    if next_at - created_at > max_age:
        return Transition(DEAD, None, status is not None)
    return Transition(PENDING, next_at, status is not None and status < 500)
