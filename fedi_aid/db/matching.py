"""Matching in the database: an indexed prefilter, then the exact test and the score in Python.

The prefilter keeps the other kind, the fitting categories, open statuses, public/unlisted, not
expired, and — when the item has a point — the grid cells near it (ix_aid_items_cell: kind,
category, cell, partial over the rows that can fit at all; an IN list of each category and cell,
so the index is only read where candidates can be).
Each item's point is filed under the grid level of its own radius (aid/matching.grid_level), so
each level is searched only as far as its items can reach: with the usual radii 50 to 125 km
rather than MAX_REACH_KM (bench/matching.py: a sixth of the rows). The latitude/longitude box of
the longest reach is checked on the rows that come back (in SQL only when there are too many
cells to list). Only the few columns matching reads are fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.geo import GRID_LEVELS, BoundingBox, bounding_box, cell_count, cells_covering
from fedi_aid.aid.matching import (
    MAX_REACH_KM,
    Candidate,
    Match,
    level_reach_km,
    rank,
    related_categories,
)
from fedi_aid.clock import as_utc, utcnow
from fedi_aid.db.cells import MATCHABLE_SQL
from fedi_aid.db.models import AidItemRow
from fedi_aid.db.models_pledges import Notification
from fedi_aid.db.pledges import add_notification

_COLUMNS = (  # Candidate's fields, in order
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
_CELL = AidItemRow.__table__.c.cell
# Beyond this many cells (a within_km of many hundred km) the IN list costs more than it saves.
MAX_CELLS = 3000
# Each level's box is this much wider than its reach, so that rounding never drops a point
# exactly at the edge (haversine_km decides in Python anyway).
_EDGE_KM = 0.001


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
        text(MATCHABLE_SQL),  # open, public or unlisted, something left: as the index says
        AidItemRow.group_id != source.group_id,
        or_(AidItemRow.expires_at.is_(None), AidItemRow.expires_at > now),
    )
    box = reach_box(source, limit_km)
    cells = near_cells(source, limit_km)
    if cells is not None:
        # The box is left to find_matches: in SQL it tempts PostgreSQL's planner into
        # ix_aid_items_match (kind, category, latitude, longitude), which reads far more rows.
        query = query.where(_CELL.in_(cells))
    elif box is not None:
        query = query.where(
            and_(
                AidItemRow.latitude.between(box.min_lat, box.max_lat),
                AidItemRow.longitude.between(box.min_lon, box.max_lon),
            )
        )
    return query


def reach_box(source: Candidate, limit_km: float | None = None) -> BoundingBox | None:
    """The box around `source`'s point that no fitting item lies outside; None without a point."""
    if source.point is None:
        return None
    # No pair is ever matched beyond MAX_REACH_KM (see aid/matching.reach_km).
    radius = limit_km if limit_km is not None else MAX_REACH_KM
    return bounding_box(source.point[0], source.point[1], radius)


def near_cells(source: Candidate, limit_km: float | None = None) -> list[int] | None:
    """The grid cells, at every level, that an item fitting `source` can be in.

    None when `source` has no point, or the cells are more than MAX_CELLS (the box filters then).
    """
    if source.point is None:
        return None
    lat, lon = source.point
    boxes = []
    for level in range(GRID_LEVELS):
        reach = max(0.0, level_reach_km(source, level, limit_km)) + _EDGE_KM
        boxes.append(bounding_box(lat, lon, reach))
    if sum(cell_count(box, level) for level, box in enumerate(boxes)) > MAX_CELLS:
        return None
    return [cell for level, box in enumerate(boxes) for cell in cells_covering(box, level)]


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
    box = reach_box(source, limit_km)
    # The columns are Candidate's fields, in order; only expires_at needs its time zone.
    others = [
        Candidate(*r) if r.expires_at is None else Candidate(*r[:-1], as_utc(r.expires_at))
        for r in result
        if box is None or box.contains(r.latitude, r.longitude)
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
