"""Named places we already know a coarse point for: group homes and the places of needs/offers."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.models import Actor, AidItemRow


async def find_place_point(session: AsyncSession, name: str) -> tuple[str, float, float] | None:
    """(name as stored, latitude, longitude) of a known place called `name` (any case)."""
    wanted = name.strip().lower()
    if not wanted:
        return None
    homes = await session.execute(
        select(Actor.home_place_name, Actor.home_latitude, Actor.home_longitude)
        .where(func.lower(Actor.home_place_name) == wanted, Actor.home_latitude.is_not(None))
        .limit(1)
    )
    for found, lat, lon in homes:
        return found, lat, lon
    items = await session.execute(
        select(AidItemRow.place_name, AidItemRow.latitude, AidItemRow.longitude)
        .where(func.lower(AidItemRow.place_name) == wanted, AidItemRow.latitude.is_not(None))
        .order_by(AidItemRow.id.desc())
        .limit(1)
    )
    for found, lat, lon in items:
        return found, lat, lon
    return None
