"""Deliveries to peers that are down, gone (410) or throttling (429 + Retry-After)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fedi_aid.clock import as_utc, utcnow
from fedi_aid.db.models import Delivery, Domain
from fedi_aid.delivery.worker import run_once
from fedi_aid.follows import followers_of, following_of
from tests.harness import settle
from tests.peers import MastodonPeer


async def _deliveries(instance) -> list[Delivery]:  # type: ignore[no-untyped-def]
    async with instance.ctx.sessions() as session:
        return list(
            (await session.execute(select(Delivery).order_by(Delivery.id))).scalars().unique()
        )


async def test_peer_down_then_up_gets_the_delivery(make_instance) -> None:
    a = await make_instance()
    b = await make_instance()
    await a.create_group("alpha")
    await b.create_group("beta")
    await a.follow("alpha", b.handle("beta"))  # resolves b while it is up
    await b.stop()

    assert await run_once(a.ctx) == 1
    [row] = await _deliveries(a)
    assert row.state == "pending" and row.tries == 1 and row.last_status is None
    # Not due yet: nothing is attempted before the backoff ends.
    assert await run_once(a.ctx) == 0

    await b.start()
    later = utcnow() + timedelta(minutes=5)
    assert await run_once(a.ctx, later) == 1
    [row] = await _deliveries(a)
    assert row.state == "sent" and row.tries == 2
    await settle(a, b)
    assert len(await followers_of(b.ctx, "beta")) == 1
    assert [f.state for f in await following_of(a.ctx, "alpha")] == ["accepted"]


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    peer = MastodonPeer()
    peer.add_actor("alice")
    await peer.start()
    yield peer
    await peer.stop()


async def test_410_gets_no_more_tries(make_instance, peer) -> None:
    a = await make_instance()
    await a.create_group("alpha")
    await a.follow("alpha", f"alice@{peer.host}")
    peer.inbox_status = 410
    assert await run_once(a.ctx) == 1
    [row] = await _deliveries(a)
    assert row.state == "dead" and row.last_status == 410 and row.tries == 1
    assert await run_once(a.ctx, utcnow() + timedelta(days=1)) == 0
    [row] = await _deliveries(a)
    assert row.tries == 1


async def test_429_with_retry_after_is_not_retried_before_it(make_instance, peer) -> None:
    a = await make_instance()
    await a.create_group("alpha")
    await a.follow("alpha", f"alice@{peer.host}")
    peer.inbox_status = 429
    peer.inbox_headers = {"Retry-After": "3600"}
    start = utcnow()
    assert await run_once(a.ctx, start) == 1
    [row] = await _deliveries(a)
    assert row.state == "pending" and row.last_status == 429
    assert as_utc(row.next_attempt_at) >= start + timedelta(seconds=3600)

    assert await run_once(a.ctx, start + timedelta(minutes=30)) == 0
    peer.inbox_status = None
    assert await run_once(a.ctx, start + timedelta(minutes=61)) == 1
    [row] = await _deliveries(a)
    assert row.state == "sent" and row.tries == 2
    assert len(peer.activities("Follow")) == 1


async def test_domain_failing_for_days_is_skipped_until_it_answers(make_instance) -> None:
    a = await make_instance(delivery_max_age_hours=24 * 7)
    b = await make_instance()
    await a.create_group("alpha")
    await b.create_group("beta")
    await a.follow("alpha", b.handle("beta"))
    await b.stop()
    start = utcnow()
    await run_once(a.ctx, start)
    await run_once(a.ctx, start + timedelta(days=3, minutes=1))
    async with a.ctx.sessions() as session:
        domain = await session.get(Domain, b.host)
        assert domain is not None and domain.unavailable
    # Skipped while unavailable (no probe due yet within the hour after its next attempt).
    [row] = await _deliveries(a)
    tries = row.tries
    await b.start()
    # The hourly probe finds it up again, and the delivery goes through.
    probe_time = as_utc(row.next_attempt_at) + timedelta(hours=1, minutes=1)
    assert await run_once(a.ctx, probe_time) == 1
    [row] = await _deliveries(a)
    assert row.state == "sent" and row.tries == tries + 1
    async with a.ctx.sessions() as session:
        domain = await session.get(Domain, b.host)
        assert domain is not None and not domain.unavailable
