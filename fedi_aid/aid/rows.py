"""Database row <-> AidItem. The row may carry local-only fields; the AidItem never does."""

from __future__ import annotations

from fedi_aid.aid.model import URGENCIES, AidItem, Place
from fedi_aid.clock import as_utc
from fedi_aid.db.models import Actor, AidItemRow


def row_to_item(row: AidItemRow, group: Actor | None = None) -> AidItem:
    group = group or row.group
    place = None
    if row.place_name is not None or row.latitude is not None:
        place = Place(row.place_name or "", row.latitude, row.longitude, row.radius_km)
    return AidItem(
        kind=row.kind,
        uri=row.uri,
        title=row.title,
        description=row.description or "",
        category=row.category,
        quantity=row.quantity,
        unit=row.unit,
        remaining=min(row.remaining, row.quantity),
        urgency=row.urgency,
        place=place,
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
        visibility=row.visibility,
        direct_to=tuple(row.direct_to or ()),
        status=row.status,
        group_uri=group.uri,
        group_followers_url=group.followers_url,
        published=as_utc(row.published),
        updated=as_utc(row.updated) if row.updated != row.published else None,
        hop_budget=row.hop_budget,
        content_warning=row.content_warning,
        url=row.url,
    )


def apply_item(row: AidItemRow, item: AidItem) -> None:
    """Copy the federated fields of `item` onto `row` (coordinates arrive already coarse)."""
    place = item.place.coarse() if item.place else None
    row.kind = item.kind
    row.title = item.title
    row.description = item.description
    row.category = item.category
    row.quantity = item.quantity
    row.remaining = item.remaining if item.remaining is not None else item.quantity
    row.unit = item.unit
    row.urgency = item.urgency
    row.urgency_rank = URGENCIES.index(item.urgency)
    row.place_name = place.name if place else None
    row.latitude = place.latitude if place else None
    row.longitude = place.longitude if place else None
    row.radius_km = place.radius_km if place else None
    row.expires_at = item.expires_at
    row.visibility = item.visibility
    row.direct_to = list(item.direct_to) or None
    row.status = item.status
    row.hop_budget = item.hop_budget or 0
    row.content_warning = item.content_warning
    row.url = item.url
    row.published = item.published
    row.updated = item.updated or item.published
