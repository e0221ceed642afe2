"""Needs and offers: find, list with filters and a stable cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.geo import bounding_box, haversine_km
from fedi_aid.clock import utcnow
from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import Actor, AidItemRow

OPEN_STATUSES = ("open", "partly_met")


async def find_item_by_uri(session: AsyncSession, uri: str) -> AidItemRow | None:
    result = await session.execute(select(AidItemRow).where(AidItemRow.uri == uri))
    return result.scalars().unique().one_or_none()


async def lock_item(session: AsyncSession, item_id: int) -> AidItemRow:
    """Take the item's row lock (PostgreSQL) or the write lock (SQLite), then read it fresh.

    A no-op UPDATE is the one statement that locks on both backends: concurrent ledger changes
    to one need queue up here instead of overwriting each other's remaining quantity.
    """
    table = AidItemRow.__table__
    await session.execute(
        update(table).where(table.c.id == item_id).values(remaining=table.c.remaining)
    )
    query = (
        select(AidItemRow).where(AidItemRow.id == item_id).execution_options(populate_existing=True)
    )
    row = (await session.execute(query)).scalars().unique().one_or_none()
    if row is None:
        raise NotFound(f"no need or offer with id {item_id}")
    return row


async def get_item(session: AsyncSession, item_id: int, kind: str | None = None) -> AidItemRow:
    row = await session.get(AidItemRow, item_id)
    if row is None or (kind is not None and row.kind != kind):
        raise NotFound(f"no {kind or 'need or offer'} with id {item_id}")
    return row


@dataclass
class ItemFilter:
    kind: str | None = None
    category: str | None = None  # matches the category and its sub-categories
    status: str | None = None  # None: open and partly met
    group_uri: str | None = None
    local: bool | None = None
    near: tuple[float, float] | None = None
    within_km: float | None = None
    public_only: bool = True


async def list_items(
    session: AsyncSession, filters: ItemFilter, *, after_id: int | None = None, limit: int = 20
) -> list[AidItemRow]:
    """Newest first; `after_id` is the cursor (the last id of the previous page)."""
    query = select(AidItemRow).order_by(AidItemRow.id.desc())
    if filters.kind:
        query = query.where(AidItemRow.kind == filters.kind)
    if filters.status == "all":
        pass
    elif filters.status:
        query = query.where(AidItemRow.status == filters.status)
    else:
        # Open means not past its date either, even before the expiry job has run.
        query = query.where(
            AidItemRow.status.in_(OPEN_STATUSES),
            or_(AidItemRow.expires_at.is_(None), AidItemRow.expires_at > utcnow()),
        )
    if filters.category:
        query = query.where(
            or_(
                AidItemRow.category == filters.category,
                AidItemRow.category.startswith(filters.category.rstrip("/") + "/"),
            )
        )
    if filters.group_uri:
        query = query.join(Actor, Actor.id == AidItemRow.group_id).where(
            Actor.uri == filters.group_uri
        )
    if filters.local is not None:
        query = query.where(AidItemRow.local.is_(filters.local))
    if filters.public_only:
        query = query.where(AidItemRow.visibility.in_(("public", "unlisted")))
    if after_id is not None:
        query = query.where(AidItemRow.id < after_id)
    if filters.near is not None and filters.within_km is not None:
        box = bounding_box(filters.near[0], filters.near[1], filters.within_km)
        query = query.where(
            and_(
                AidItemRow.latitude.between(box.min_lat, box.max_lat),
                AidItemRow.longitude.between(box.min_lon, box.max_lon),
            )
        )
        # The box prefilters in SQL; the exact great-circle distance is checked here.
        rows: list[AidItemRow] = []
        batch = query.limit(limit * 4)
        while len(rows) < limit:
            page = (await session.execute(batch)).scalars().unique().all()
            if not page:
                break
            for row in page:
                if within(row, filters.near, filters.within_km):
                    rows.append(row)
                    if len(rows) == limit:
                        break
            batch = query.where(AidItemRow.id < page[-1].id).limit(limit * 4)
        return rows
    return list((await session.execute(query.limit(limit))).scalars().unique().all())


def within(row: AidItemRow, point: tuple[float, float], km: float) -> bool:
    if row.latitude is None or row.longitude is None:
        return False
    return haversine_km(point, (row.latitude, row.longitude)) <= km


async def featured_needs(
    session: AsyncSession, group: Actor, limit: int = 20
) -> Sequence[AidItemRow]:
    """Urgent open public needs: what a group pins."""
    query = (
        select(AidItemRow)
        .where(
            AidItemRow.group_id == group.id,
            AidItemRow.kind == "need",
            AidItemRow.status.in_(OPEN_STATUSES),
            AidItemRow.urgency.in_(("high", "critical")),
            AidItemRow.visibility == "public",
        )
        .order_by(AidItemRow.urgency_rank.desc(), AidItemRow.id.desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().unique().all()
