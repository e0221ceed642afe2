"""Intake rows: store an ask, count recent ones (rate limits), list, find."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import Actor
from fedi_aid.db.models_discovery import IntakeRequest

STATES = ("pending", "converted", "dismissed")


async def count_recent_from_actor(session: AsyncSession, actor_id: int, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(IntakeRequest)
        .where(IntakeRequest.asker_id == actor_id, IntakeRequest.received_at >= since)
    )
    return int((await session.execute(query)).scalar_one())


async def count_recent_from_domain(session: AsyncSession, domain: str, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(IntakeRequest)
        .where(IntakeRequest.domain == domain, IntakeRequest.received_at >= since)
    )
    return int((await session.execute(query)).scalar_one())


async def find_intake(session: AsyncSession, group: Actor, note_uri: str) -> IntakeRequest | None:
    query = select(IntakeRequest).where(
        IntakeRequest.group_id == group.id, IntakeRequest.note_uri == note_uri
    )
    return (await session.execute(query)).scalars().unique().one_or_none()


async def get_intake(session: AsyncSession, group: Actor, intake_id: int) -> IntakeRequest:
    row = await session.get(IntakeRequest, intake_id)
    if row is None or row.group_id != group.id:
        raise NotFound(f"no intake request {intake_id} for {group.username}")
    return row


async def list_intake(
    session: AsyncSession, group: Actor, state: str | None = "pending", limit: int = 100
) -> Sequence[IntakeRequest]:
    """Oldest first: the queue in the order people asked."""
    query = (
        select(IntakeRequest)
        .where(IntakeRequest.group_id == group.id)
        .order_by(IntakeRequest.id)
        .limit(limit)
    )
    if state is not None:
        query = query.where(IntakeRequest.state == state)
    return (await session.execute(query)).scalars().unique().all()
