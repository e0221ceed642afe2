"""Send due deliveries: claim, sign, POST, record. `run_once` is one step; tests call it."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from fedi_aid.clock import as_utc, utcnow
from fedi_aid.context import Context
from fedi_aid.db.deliveries import claim_due_deliveries, load_deliveries, probe_candidates
from fedi_aid.db.domains import record_domain_failure, record_domain_success
from fedi_aid.db.models import Actor, Delivery
from fedi_aid.delivery.states import DEAD, SENT, Outcome, next_state
from fedi_aid.federation.http_client import FetchError, ForbiddenURL
from fedi_aid.federation.signatures import digest_header
from fedi_aid.local_actors import key_ref

log = logging.getLogger(__name__)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
PROBE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    outcome: Outcome


async def run_once(ctx: Context, now: datetime | None = None, limit: int = 200) -> int:
    """Claim and send one batch of due deliveries. Returns how many were attempted."""
    now = now or utcnow()
    async with ctx.sessions.begin() as session:
        lease = timedelta(seconds=ctx.settings.job_lease_seconds)
        ids = await claim_due_deliveries(session, now, WORKER_ID, limit, lease)
        if not ids:
            ids = await probe_candidates(session, now, PROBE_EVERY)
        rows = list(await load_deliveries(session, ids))
        senders = {
            row.activity.actor_id: await session.get(Actor, row.activity.actor_id) for row in rows
        }
    if not rows:
        return 0
    keys = {actor_id: key_ref(actor) for actor_id, actor in senders.items() if actor}
    # The body and its digest are computed once per activity, whatever the fan-out.
    digests: dict[int, tuple[bytes, str]] = {}
    for row in rows:
        if row.activity_id not in digests:
            body = row.activity.body.encode()
            digests[row.activity_id] = (body, digest_header(body))

    semaphore = asyncio.Semaphore(ctx.settings.delivery_concurrency)

    async def attempt(row: Delivery) -> Attempt:
        body, digest = digests[row.activity_id]
        async with semaphore:
            try:
                response = await ctx.http.post(
                    row.inbox, body, sign_with=keys[row.activity.actor_id], digest=digest
                )
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

    attempts = await asyncio.gather(*(attempt(row) for row in rows))
    await record_attempts(ctx, attempts, utcnow() if now is None else now)
    return len(rows)


async def record_attempts(ctx: Context, attempts: list[Attempt], now: datetime) -> None:
    max_age = timedelta(hours=ctx.settings.delivery_max_age_hours)
    unavailable_after = timedelta(hours=ctx.settings.domain_unavailable_after_hours)
    async with ctx.sessions.begin() as session:
        rows = {
            row.id: row for row in await load_deliveries(session, [a.delivery_id for a in attempts])
        }
        domains_ok: dict[str, bool] = {}
        for item in attempts:
            row = rows[item.delivery_id]
            row.tries += 1
            move = next_state(
                tries=row.tries,
                created_at=as_utc(row.created_at),
                now=now,
                outcome=item.outcome,
                max_age=max_age,
                base_seconds=ctx.settings.delivery_backoff_seconds,
            )
            row.state = move.state
            row.last_status = item.outcome.status
            row.last_error = item.outcome.error
            row.locked_until = None
            row.locked_by = None
            if move.state in (SENT, DEAD):
                row.finished_at = now
            else:
                row.next_attempt_at = move.next_attempt_at
            if move.state == DEAD:
                log.info("delivery %s to %s dead: %s", row.id, row.inbox, item.outcome.status)
            domains_ok[row.domain] = domains_ok.get(row.domain, False) or move.domain_ok
        for domain, ok in domains_ok.items():
            if ok:
                await record_domain_success(session, domain, now)
            elif await record_domain_failure(session, domain, now, unavailable_after):
                log.warning(
                    "domain %s has failed for %s; marked unavailable", domain, unavailable_after
                )
