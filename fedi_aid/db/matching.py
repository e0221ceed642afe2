"""Matching in the database: an indexed prefilter, then the exact test and the score in Python.

The prefilter (index ix_aid_items_match: kind, category, latitude, longitude) keeps the other
kind, the fitting categories (an IN list of URIs, so each is an index range), open statuses,
public/unlisted, not expired, and — when the item has a point — a latitude/longitude bounding
box around it. Only the few columns matching reads are fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.geo import bounding_box
from fedi_aid.aid.matching import (
    MAX_REACH_KM,
    OPEN,
    VISIBLE,
    Candidate,
    Match,
    rank,
    related_categories,
)
from fedi_aid.clock import as_utc, utcnow
from fedi_aid.db.models import AidItemRow
from fedi_aid.db.models_pledges import Notification
from fedi_aid.db.pledges import add_notification

_COLUMNS = (
    AidItemRow.id,
    AidItemRow.kind,
    AidItemRow.category,
    AidItemRow.group_id,
    AidItemRow.remaining,
    AidItemRow.urgency_rank,
    AidItemRow.status,
    AidItemRow.visibility,
    AidItemRow.latitude,
    AidItemRow.longitude,
    AidItemRow.radius_km,
    AidItemRow.expires_at,
)


def candidate_of(row: AidItemRow) -> Candidate:
    return Candidate(
        id=row.id,
        kind=row.kind,
        category=row.category,
        group_id=row.group_id,
        remaining=row.remaining,
        urgency_rank=row.urgency_rank,
        status=row.status,
        visibility=row.visibility,
        latitude=row.latitude,
        longitude=row.longitude,
        radius_km=row.radius_km,
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
    )


def prefilter(source: Candidate, now: datetime, limit_km: float | None = None) -> Select[Any]:
    """The SELECT of candidate columns for `source` (see the module docstring)."""
    other_kind = "offer" if source.kind == "need" else "need"
    query = select(*_COLUMNS).where(
        AidItemRow.kind == other_kind,
        AidItemRow.category.in_(related_categories(source.category) or [source.category]),
        AidItemRow.status.in_(OPEN),
        AidItemRow.visibility.in_(VISIBLE),
        AidItemRow.remaining > 0,
        AidItemRow.group_id != source.group_id,
        or_(AidItemRow.expires_at.is_(None), AidItemRow.expires_at > now),
    )
    if source.point is not None:
        # No pair is ever matched beyond MAX_REACH_KM (see aid/matching.reach_km).
        radius = limit_km if limit_km is not None else MAX_REACH_KM
        box = bounding_box(source.point[0], source.point[1], radius)
        query = query.where(
            and_(
                AidItemRow.latitude.between(box.min_lat, box.max_lat),
                AidItemRow.longitude.between(box.min_lon, box.max_lon),
            )
        )
    return query


async def find_matches(
    session: AsyncSession,
    row: AidItemRow,
    *,
    limit_km: float | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> list[tuple[Match, AidItemRow]]:
    """The needs fitting an offer, or the offers fitting a need, best first, with their rows."""
    now = now or utcnow()
    source = candidate_of(row)
    result = await session.execute(prefilter(source, now, limit_km))
    others = [
        Candidate(**{**r._asdict(), "expires_at": as_utc(r.expires_at) if r.expires_at else None})
        for r in result
    ]
    best = rank(source, others, now, limit_km, limit)
    if not best:
        return []
    rows = await session.execute(select(AidItemRow).where(AidItemRow.id.in_([m.id for m in best])))
    by_id = {r.id: r for r in rows.scalars().unique().all()}
    return [(m, by_id[m.id]) for m in best if m.id in by_id]


async def local_needs_matching(
    session: AsyncSession, offer: AidItemRow, now: datetime | None = None
) -> Sequence[tuple[Match, AidItemRow]]:
    """Our own groups' open needs that a (new, remote) offer fits."""
    found = await find_matches(session, offer, limit=50, now=now)
    return [(m, r) for m, r in found if r.local]


async def notify_matching_needs(
    session: AsyncSession, offer: AidItemRow, now: datetime | None = None
) -> int:
    """Tell each local group whose open need a new remote offer fits (once per group and offer)."""
    if offer.kind != "offer" or offer.local:
        return 0
    now = now or utcnow()
    told = 0
    for match, need in await local_needs_matching(session, offer, now):
        seen = await session.execute(
            select(Notification.id).where(
                Notification.group_id == need.group_id,
                Notification.kind == "match",
                Notification.subject_uri == offer.uri,
            )
        )
        if seen.first() is not None:
            continue
        where = f" ({match.distance_km:.0f} km away)" if match.distance_km is not None else ""
        text = f"New offer “{offer.title}”{where} fits your need “{need.title}” (need id {need.id})"
        await add_notification(session, need.group_id, "match", offer.uri, text, now)
        told += 1
    return told
