"""Send due deliveries: claim, sign, POST, record. `run_once` is one step; tests call it."""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.clock import as_utc, utcnow
from fedi_aid.context import Context
from fedi_aid.db.deliveries import claim_due_rows, probe_candidates, renew_claims
from fedi_aid.db.domains import record_domain_failure, record_domain_success
from fedi_aid.db.models import Actor, Delivery, Domain, OutgoingActivity
from fedi_aid.delivery.fanout import FanOut
from fedi_aid.delivery.sign_process import SigningProcess
from fedi_aid.delivery.states import DEAD, SENT, Outcome, next_state
from fedi_aid.federation.http_client import FetchError, ForbiddenURL, PreparedPost
from fedi_aid.federation.keys import KeyRef
from fedi_aid.federation.signatures import digest_header
from fedi_aid.local_actors import key_ref

log = logging.getLogger(__name__)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
PROBE_EVERY = timedelta(hours=1)
# Requests in flight to one domain: a few kept-alive connections per peer, not a burst of new
# ones (the batch's total is delivery_concurrency).
PER_DOMAIN = 4
# Smaller batches are signed in-process: the signing process is for fan-out.
SIGNING_PROCESS_FROM = 32


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    outcome: Outcome
    domain: str | None = None  # known from the claim; looked up when None


@dataclass(frozen=True)
class _Due:
    """What sending one claimed delivery needs (plain columns, not ORM objects)."""

    id: int
    activity_id: int
    inbox: str
    domain: str


def _round_robin(due: list[_Due]) -> list[_Due]:
    """One delivery per domain in turn: rows come sorted by inbox, i.e. a domain at a time,
    and sending them in that order would open connection after connection to one host."""
    by_domain: dict[str, collections.deque[_Due]] = {}
    for row in due:
        by_domain.setdefault(row.domain, collections.deque()).append(row)
    queues = list(by_domain.values())
    ordered: list[_Due] = []
    while queues:
        ordered.extend(queue.popleft() for queue in queues)
        queues = [queue for queue in queues if queue]
    return ordered


async def run_once(
    ctx: Context,
    now: datetime | None = None,
    limit: int = 200,
    *,
    signer: SigningProcess | None = None,
) -> int:
    """Claim and send one batch of due deliveries. Returns how many were attempted.

    With a `signer`, a large batch's signatures are made partly in the signing process.
    """
    now = now or utcnow()
    async with ctx.sessions.begin() as session:
        lease = timedelta(seconds=ctx.settings.job_lease_seconds)
        claimed = await claim_due_rows(session, now, WORKER_ID, limit, lease)
        if not claimed:
            ids = await probe_candidates(session, now, PROBE_EVERY)
            if not ids:
                return 0
            claimed = list(
                await session.execute(
                    select(
                        Delivery.id, Delivery.activity_id, Delivery.inbox, Delivery.domain
                    ).where(Delivery.id.in_(ids))
                )
            )
        # Plain columns: a fan-out batch is many rows of one activity, so the body is read
        # once per activity and the sender once per actor, not once per row.
        due = sorted((_Due(*row) for row in claimed), key=lambda row: row.id)
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

    attempts: list[Attempt] = []
    sendable: list[tuple[_Due, PreparedPost]] = []
    for row in _round_robin(due):
        key, body, digest = prepared[row.activity_id]
        if key is None:
            outcome = Outcome(None, None, "cannot sign: no key", permanent=True)
            attempts.append(Attempt(row.id, outcome, row.domain))
            continue
        try:
            post = ctx.http.prepare_post(row.inbox, body, sign_with=key, digest=digest)
        except ForbiddenURL as exc:
            outcome = Outcome(None, None, str(exc), permanent=True)
            attempts.append(Attempt(row.id, outcome, row.domain))
            continue
        sendable.append((row, post))

    if signer is not None and len(sendable) >= SIGNING_PROCESS_FROM:
        await signer.start()
    per_domain: dict[str, asyncio.Semaphore] = {}

    async def send(index: int, headers: dict[str, str] | ValueError) -> None:
        row, post = sendable[index]
        if isinstance(headers, ValueError):  # the signing key is unusable: retrying won't help
            outcome = Outcome(None, None, f"cannot sign: {headers}", permanent=True)
            attempts.append(Attempt(row.id, outcome, row.domain))
            return
        limit_host = per_domain.get(row.domain)
        if limit_host is None:
            limit_host = per_domain[row.domain] = asyncio.Semaphore(PER_DOMAIN)
        async with limit_host:
            try:
                response = await ctx.http.send_post(post, headers)
            except ForbiddenURL as exc:
                outcome = Outcome(None, None, str(exc), permanent=True)
            except FetchError as exc:
                outcome = Outcome(exc.status, exc.retry_after, str(exc))
            else:
                error = (
                    None
                    if 200 <= response.status < 300
                    else response.body[:300].decode("utf-8", "replace")
                )
                outcome = Outcome(response.status, response.retry_after, error)
        attempts.append(Attempt(row.id, outcome, row.domain))

    fan_out = FanOut([post for _, post in sendable], signer)
    renewing = asyncio.create_task(_keep_leases(ctx, [row.id for row, _ in sendable], attempts))
    try:
        await fan_out.run(send, ctx.settings.delivery_concurrency)
    finally:
        renewing.cancel()
    await record_attempts(ctx, attempts, utcnow() if now is None else now)
    return len(due)


async def _keep_leases(ctx: Context, ids: list[int], attempts: list[Attempt]) -> None:
    """While a batch is out, renew the lease of its unfinished deliveries every third of it."""
    lease = timedelta(seconds=ctx.settings.job_lease_seconds)
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        done = {attempt.delivery_id for attempt in attempts}
        try:
            async with ctx.sessions.begin() as session:
                unfinished = [i for i in ids if i not in done]
                await renew_claims(session, unfinished, WORKER_ID, utcnow() + lease)
        except Exception:  # noqa: BLE001 - the batch goes on; the next renewal may work
            log.warning("could not renew delivery leases", exc_info=True)


def _plain_success(outcome: Outcome) -> bool:
    """A 2xx answer: `next_state` makes it SENT whatever the row's tries and age."""
    return not outcome.permanent and outcome.status is not None and 200 <= outcome.status < 300


async def record_attempts(ctx: Context, attempts: list[Attempt], now: datetime) -> None:
    """Write each attempt's outcome.

    Successes (the bulk of a fan-out) are one UPDATE per status over their ids; every other
    outcome goes through `next_state` with the row's tries and age, one UPDATE per row sent
    as an executemany.
    """
    max_age = timedelta(hours=ctx.settings.delivery_max_age_hours)
    unavailable_after = timedelta(hours=ctx.settings.domain_unavailable_after_hours)
    if not attempts:
        return
    async with ctx.sessions.begin() as session:
        domains_ok: dict[str, bool] = {}
        sent: dict[tuple[int, str | None], list[int]] = {}
        others: list[Attempt] = []
        for item in attempts:
            if _plain_success(item.outcome) and item.domain is not None:
                answer = (item.outcome.status or 0, item.outcome.error)
                sent.setdefault(answer, []).append(item.delivery_id)
                domains_ok[item.domain] = True
            else:
                others.append(item)
        for (status, error), ids in sent.items():
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(
                    tries=Delivery.tries + 1,
                    state=SENT,
                    last_status=status,
                    last_error=error,
                    locked_until=None,
                    locked_by=None,
                    finished_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        rows: dict[int, tuple[Any, ...]] = {}
        if others:
            rows = {
                row_id: (tries, created_at, domain, inbox)
                for row_id, tries, created_at, domain, inbox in await session.execute(
                    select(
                        Delivery.id,
                        Delivery.tries,
                        Delivery.created_at,
                        Delivery.domain,
                        Delivery.inbox,
                    ).where(Delivery.id.in_([a.delivery_id for a in others]))
                )
            }
        finished: list[dict[str, Any]] = []
        retried: list[dict[str, Any]] = []
        for item in others:
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
        await _record_domains(session, domains_ok, now, unavailable_after)


async def _record_domains(
    session: AsyncSession, domains_ok: dict[str, bool], now: datetime, unavailable_after: timedelta
) -> None:
    """Domain health after a batch: one UPDATE for every known domain that answered (what
    `record_domain_success` does to each), the per-domain calls for the rest."""
    known = set(
        (
            await session.execute(select(Domain.domain).where(Domain.domain.in_(list(domains_ok))))
        ).scalars()
    )
    answered = [domain for domain, ok in domains_ok.items() if ok and domain in known]
    if answered:
        await session.execute(
            update(Domain)
            .where(Domain.domain.in_(answered))
            .values(failing_since=None, unavailable=False, last_success_at=now)
            .execution_options(synchronize_session=False)
        )
    for domain, ok in domains_ok.items():
        if ok:
            if domain not in known:
                await record_domain_success(session, domain, now)
        elif await record_domain_failure(session, domain, now, unavailable_after):
            log.warning(
                "domain %s has failed for %s; marked unavailable", domain, unavailable_after
            )
