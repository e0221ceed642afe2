"""Counts other instances' discovery reads: in NodeInfo and the open needs/offers collections."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.aid_items import OPEN_STATUSES
from fedi_aid.db.models import AidItemRow

PUBLIC_VISIBILITIES = ("public", "unlisted")


async def count_open_items(session: AsyncSession, group_id: int, kind: str) -> int:
    """Open public needs (or offers) of a group, as we hold them."""
    query = (
        select(func.count())
        .select_from(AidItemRow)
        .where(
            AidItemRow.group_id == group_id,
            AidItemRow.kind == kind,
            AidItemRow.status.in_(OPEN_STATUSES),
            AidItemRow.visibility.in_(PUBLIC_VISIBILITIES),
        )
    )
    return int((await session.execute(query)).scalar_one())


async def count_open_local_needs(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(AidItemRow)
        .where(
            AidItemRow.local.is_(True),
            AidItemRow.kind == "need",
            AidItemRow.status.in_(OPEN_STATUSES),
            AidItemRow.visibility.in_(PUBLIC_VISIBILITIES),
        )
    )
    return int((await session.execute(query)).scalar_one())
