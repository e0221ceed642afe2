"""Read the open needs (or offers) near a point for gap discovery and the CSV export."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.gaps import GapItem
from fedi_aid.aid.geo import bounding_box, haversine_km
from fedi_aid.aid.matching import OPEN, VISIBLE
from fedi_aid.clock import as_utc, utcnow
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.db.models_pledges import Pledge

MAX_ROWS = 50_000


async def open_items_near(
    session: AsyncSession,
    kind: str,
    *,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> list[GapItem]:
    """Open, unexpired, public or unlisted items of `kind`; within radius_km of `near` if given.

    `category` includes its sub-categories. Items without a point are left out of a radius query.
    """
    now = now or utcnow()
    query = (
        select(AidItemRow, Actor.uri, Actor.display_name, Actor.username)
        .join(Actor, Actor.id == AidItemRow.group_id)
        .where(
            AidItemRow.kind == kind,
            AidItemRow.status.in_(OPEN),
            AidItemRow.visibility.in_(VISIBLE),
            AidItemRow.remaining > 0,
            or_(AidItemRow.expires_at.is_(None), AidItemRow.expires_at > now),
        )
        .order_by(AidItemRow.id)
        .limit(MAX_ROWS)
    )
    if category:
        query = query.where(
            or_(
                AidItemRow.category == category,
                AidItemRow.category.startswith(category.rstrip("/") + "/"),
            )
        )
    if near is not None and radius_km is not None:
        box = bounding_box(near[0], near[1], radius_km)
        query = query.where(
            and_(
                AidItemRow.latitude.between(box.min_lat, box.max_lat),
                AidItemRow.longitude.between(box.min_lon, box.max_lon),
            )
        )
    result = (await session.execute(query)).unique().all()
    proposed = await _proposed(session, [row.id for row, *_ in result if row.local])
    items: list[GapItem] = []
    for row, group_uri, display_name, username in result:
        distance = None
        if near is not None and row.latitude is not None and row.longitude is not None:
            distance = haversine_km(near, (row.latitude, row.longitude))
        if radius_km is not None and (distance is None or distance > radius_km):
            continue
        items.append(
            GapItem(
                uri=row.uri,
                kind=row.kind,
                title=row.title,
                group_uri=group_uri,
                group_name=display_name or username or group_uri,
                category=row.category,
                quantity=row.quantity,
                remaining=row.remaining,
                unit=row.unit,
                urgency=row.urgency,
                place_name=row.place_name,
                latitude=row.latitude,
                longitude=row.longitude,
                distance_km=distance,
                published=as_utc(row.published),
                expires_at=as_utc(row.expires_at) if row.expires_at else None,
                status=row.status,
                pledged=proposed.get(row.id, Decimal(0)),
            )
        )
    return items


async def _proposed(session: AsyncSession, item_ids: list[int]) -> dict[int, Decimal]:
    """Proposed (not yet confirmed) pledges per local item."""
    totals: dict[int, Decimal] = {}
    for start in range(0, len(item_ids), 500):
        query = (
            select(Pledge.item_id, func.sum(Pledge.quantity))
            .where(
                Pledge.item_id.in_(item_ids[start : start + 500]),
                Pledge.state == "proposed",
                Pledge.direction == "in",
            )
            .group_by(Pledge.item_id)
        )
        for item_id, total in await session.execute(query):
            totals[item_id] = Decimal(str(total or 0))
    return totals
