"""Incoming activities, stored before we answer 202 and processed later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.dialect import insert_ignoring_duplicates
from fedi_aid.db.engine import is_postgres
from fedi_aid.db.models import InboxItem


async def store_incoming(
    session: AsyncSession,
    *,
    activity_uri: str,
    actor_uri: str,
    type_: str,
    body: dict[str, Any],
    recipient_id: int | None,
    now: datetime,
) -> bool:
    """Store an incoming activity once. Returns False when its id was already stored."""
    statement = insert_ignoring_duplicates(session, InboxItem, ["activity_uri"]).values(
        activity_uri=activity_uri,
        actor_uri=actor_uri,
        type=type_,
        body=body,
        recipient_id=recipient_id,
        state="pending",
        tries=0,
        next_attempt_at=now,
        received_at=now,
    )
    result = await session.execute(statement)
    return bool(result.rowcount)


async def claim_due_inbox_items(
    session: AsyncSession, now: datetime, limit: int, lease: timedelta
) -> list[int]:
    due = (
        select(InboxItem.id)
        .where(
            InboxItem.state == "pending",
            InboxItem.next_attempt_at <= now,
            or_(InboxItem.locked_until.is_(None), InboxItem.locked_until < now),
        )
        .order_by(InboxItem.id)
        .limit(limit)
    )
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    claimed = await session.execute(
        update(InboxItem)
        .where(InboxItem.id.in_(due.scalar_subquery()))
        .values(locked_until=now + lease)
        .returning(InboxItem.id)
    )
    return sorted(row_id for (row_id,) in claimed)


async def count_inbox_items(session: AsyncSession, state: str | None = None) -> int:
    query = select(func.count()).select_from(InboxItem)
    if state:
        query = query.where(InboxItem.state == state)
    return int((await session.execute(query)).scalar_one())


async def release_inbox_claims(session: AsyncSession) -> None:
    await session.execute(
        update(InboxItem)
        .where(InboxItem.state == "pending", InboxItem.locked_until.is_not(None))
        .values(locked_until=None)
    )


async def list_inbox_items(session: AsyncSession, limit: int = 100) -> Sequence[InboxItem]:
    query = select(InboxItem).order_by(InboxItem.id.desc()).limit(limit)
    return (await session.execute(query)).scalars().all()
