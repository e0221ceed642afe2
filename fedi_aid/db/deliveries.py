"""Delivery rows: claim due ones safely, record outcomes, list them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.engine import is_postgres
from fedi_aid.db.models import Delivery, Domain


async def claim_due_rows(
    session: AsyncSession, now: datetime, worker_id: str, limit: int, lease: timedelta
) -> list[Row[tuple[int, int, str, str]]]:
    """Mark up to `limit` due deliveries as ours for a lease; other workers skip them. A
    crashed worker's claims expire with the lease and are taken over.

    Returns what sending needs, (id, activity_id, inbox, domain) of each claimed row, in no
    particular order, without a second query."""
    unavailable = select(Domain.domain).where(Domain.unavailable.is_(True))
    due = (
        select(Delivery.id)
        .where(
            Delivery.state == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until < now),
            Delivery.domain.not_in(unavailable),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    claimed = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(locked_until=now + lease, locked_by=worker_id)
        .returning(Delivery.id, Delivery.activity_id, Delivery.inbox, Delivery.domain)
    )
    return list(claimed.all())


async def renew_claims(
    session: AsyncSession, ids: Sequence[int], worker_id: str, until: datetime
) -> None:
    """Extend this worker's lease on deliveries it is still sending (a long batch to slow
    peers must not be taken over, and sent twice, by another worker)."""
    if ids:
        await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.locked_by == worker_id,
                Delivery.state == "pending",
            )
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )


async def load_deliveries(session: AsyncSession, ids: Sequence[int]) -> Sequence[Delivery]:
    if not ids:
        return []
    return (
        (await session.execute(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)))
        .scalars()
        .unique()
        .all()
    )


async def probe_candidates(session: AsyncSession, now: datetime, every: timedelta) -> list[int]:
    """One due delivery per unavailable domain, so a recovered peer is noticed."""
    rows = await session.execute(
        select(func.min(Delivery.id))
        .join(Domain, Domain.domain == Delivery.domain)
        .where(
            Domain.unavailable.is_(True),
            Delivery.state == "pending",
            Delivery.next_attempt_at <= now - every,
        )
        .group_by(Delivery.domain)
    )
    return [row_id for (row_id,) in rows if row_id is not None]


async def list_deliveries(
    session: AsyncSession, state: str | None = None, limit: int = 100
) -> Sequence[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if state:
        query = query.where(Delivery.state == state)
    return (await session.execute(query)).scalars().unique().all()


async def count_deliveries_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    return {state: int(n) for state, n in rows}


async def release_all_claims(session: AsyncSession) -> None:
    """Single-process (SQLite) start: claims left by a killed process are nobody's."""
    await session.execute(
        update(Delivery)
        .where(and_(Delivery.state == "pending", Delivery.locked_until.is_not(None)))
        .values(locked_until=None, locked_by=None)
    )
