"""Pledges and notifications: store, find, list, and lock a need while its ledger changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.errors import NotFound
from fedi_aid.db.models_pledges import Notification, Pledge


async def find_pledge_by_uri(session: AsyncSession, uri: str) -> Pledge | None:
    result = await session.execute(select(Pledge).where(Pledge.uri == uri))
    return result.scalars().unique().one_or_none()


async def get_pledge(session: AsyncSession, pledge_id: int, group_id: int | None = None) -> Pledge:
    pledge = await session.get(Pledge, pledge_id, populate_existing=True)
    if pledge is None or (group_id is not None and pledge.group_id != group_id):
        raise NotFound(f"no pledge with id {pledge_id}")
    return pledge


async def list_pledges(
    session: AsyncSession,
    group_id: int,
    *,
    state: str | None = None,
    item_id: int | None = None,
    limit: int = 100,
) -> Sequence[Pledge]:
    query = select(Pledge).where(Pledge.group_id == group_id).order_by(Pledge.id.desc())
    if state:
        query = query.where(Pledge.state == state)
    if item_id is not None:
        query = query.where(Pledge.item_id == item_id)
    return (await session.execute(query.limit(limit))).scalars().unique().all()


async def add_notification(
    session: AsyncSession, group_id: int, kind: str, subject_uri: str, text: str, now: datetime
) -> Notification:
    note = Notification(
        group_id=group_id, kind=kind, subject_uri=subject_uri, text=text[:2000], created_at=now
    )
    session.add(note)
    return note


async def list_notifications(
    session: AsyncSession, group_id: int, *, unread_only: bool = False, limit: int = 100
) -> Sequence[Notification]:
    query = (
        select(Notification)
        .where(Notification.group_id == group_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return (await session.execute(query)).scalars().all()
