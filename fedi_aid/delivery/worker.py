"""Send due deliveries: claim, sign, POST, record. `run_once` is one step; tests call it."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from fedi_aid.clock import as_utc, utcnow
from fedi_aid.context import Context
from fedi_aid.db.deliveries import claim_due_deliveries, probe_candidates
from fedi_aid.db.domains import record_domain_failure, record_domain_success
from fedi_aid.db.models import Actor, Delivery, OutgoingActivity
from fedi_aid.delivery.states import DEAD, SENT, Outcome, next_state
from fedi_aid.federation.http_client import FetchError, ForbiddenURL
from fedi_aid.federation.keys import KeyRef
from fedi_aid.federation.signatures import digest_header
from fedi_aid.local_actors import key_ref

log = logging.getLogger(__name__)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
PROBE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    outcome: Outcome


@dataclass(frozen=True)
class _Due:
    """What sending one claimed delivery needs (plain columns, not ORM objects)."""

    id: int
    activity_id: int
    inbox: str


async def run_once(ctx: Context, now: datetime | None = None, limit: int = 200) -> int:
    """Claim and send one batch of due deliveries. Returns how many were attempted."""
    now = now or utcnow()
    async with ctx.sessions.begin() as session:
        lease = timedelta(seconds=ctx.settings.job_lease_seconds)
        ids = await claim_due_deliveries(session, now, WORKER_ID, limit, lease)
        if not ids:
            ids = await probe_candidates(session, now, PROBE_EVERY)
        if not ids:
            return 0
        # Plain columns: a fan-out batch is many rows of one activity, so the body is read
        # once per activity and the sender once per actor, not once per row.
        due = [
            _Due(row_id, activity_id, inbox)
            for row_id, activity_id, inbox in await session.execute(
                select(Delivery.id, Delivery.activity_id, Delivery.inbox)
                .where(Delivery.id.in_(ids))
                .order_by(Delivery.id)
            )
        ]
        activities = {
            activity_id: (actor_id, body)
            for activity_id, actor_id, body in await session.execute(
                select(OutgoingActivity.id, OutgoingActivity.actor_id, OutgoingActivity.body).where(
                    OutgoingActivity.id.in_({d.activity_id for d in due})
                )
            )
        }
        senders = (
            await session.execute(
                select(Actor).where(Actor.id.in_({actor for actor, _ in activities.values()}))
            )
        ).scalars()
        keys: dict[int, KeyRef | None] = {}
        for actor in senders:
            try:
                keys[actor.id] = key_ref(actor)
            except ValueError:
                keys[actor.id] = None
    # The body and its digest are computed once per activity, whatever the fan-out.
    prepared: dict[int, tuple[KeyRef | None, bytes, str]] = {}
    for activity_id, (actor_id, body) in activities.items():
        data = body.encode()
        prepared[activity_id] = (keys.get(actor_id), data, digest_header(data))

    semaphore = asyncio.Semaphore(ctx.settings.delivery_concurrency)

    async def attempt(row: _Due) -> Attempt:
        key, body, digest = prepared[row.activity_id]
        if key is None:
            return Attempt(row.id, Outcome(None, None, "cannot sign: no key", permanent=True))
        async with semaphore:
            try:
                response = await ctx.http.post(row.inbox, body, sign_with=key, digest=digest)
            except ForbiddenURL as exc:
                return Attempt(row.id, Outcome(None, None, str(exc), permanent=True))
            except FetchError as exc:
                return Attempt(row.id, Outcome(exc.status, exc.retry_after, str(exc)))
            except ValueError as exc:  # the signing key is unusable: retrying will not help
                return Attempt(row.id, Outcome(None, None, f"cannot sign: {exc}", permanent=True))
        error = (
            None if 200 <= response.status < 300 else response.body[:300].decode("utf-8", "replace")
        )
        return Attempt(row.id, Outcome(response.status, response.retry_after, error))

    attempts = await asyncio.gather(*(attempt(row) for row in due))
    await record_attempts(ctx, attempts, utcnow() if now is None else now)
    return len(due)


async def record_attempts(ctx: Context, attempts: list[Attempt], now: datetime) -> None:
    """Write each attempt's outcome: one UPDATE per row, sent as one executemany."""
    max_age = timedelta(hours=ctx.settings.delivery_max_age_hours)
    unavailable_after = timedelta(hours=ctx.settings.domain_unavailable_after_hours)
    if not attempts:
        return
    async with ctx.sessions.begin() as session:
        rows = {
            row_id: (tries, created_at, domain, inbox)
            for row_id, tries, created_at, domain, inbox in await session.execute(
                select(
                    Delivery.id,
                    Delivery.tries,
                    Delivery.created_at,
                    Delivery.domain,
                    Delivery.inbox,
                ).where(Delivery.id.in_([a.delivery_id for a in attempts]))
            )
        }
        finished: list[dict[str, Any]] = []
        retried: list[dict[str, Any]] = []
        domains_ok: dict[str, bool] = {}
        for item in attempts:
            tries, created_at, domain, inbox = rows[item.delivery_id]
            tries += 1
            move = next_state(
                tries=tries,
                created_at=as_utc(created_at),
                now=now,
                outcome=item.outcome,
                max_age=max_age,
                base_seconds=ctx.settings.delivery_backoff_seconds,
            )
            values: dict[str, Any] = {
                "id": item.delivery_id,
                "tries": tries,
                "state": move.state,
                "last_status": item.outcome.status,
                "last_error": item.outcome.error,
                "locked_until": None,
                "locked_by": None,
            }
            if move.state in (SENT, DEAD):
                finished.append({**values, "finished_at": now})
            else:
                retried.append({**values, "next_attempt_at": move.next_attempt_at})
            if move.state == DEAD:
                log.info("delivery %s to %s dead: %s", item.delivery_id, inbox, item.outcome.status)
            domains_ok[domain] = domains_ok.get(domain, False) or move.domain_ok
        for batch in (finished, retried):
            if batch:
                # ORM bulk UPDATE by primary key: an executemany, no unit-of-work bookkeeping.
                await session.execute(update(Delivery), batch)
        for domain, ok in domains_ok.items():
            if ok:
                await record_domain_success(session, domain, now)
            elif await record_domain_failure(session, domain, now, unavailable_after):
                log.warning(
                    "domain %s has failed for %s; marked unavailable", domain, unavailable_after
                )
