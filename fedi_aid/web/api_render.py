"""Rows -> the JSON the native API answers with. Pure.

Quantities are strings ("20", "12.5") so decimals stay exact; times are ISO 8601 in UTC with `Z`.
`requested_by` (who in the community asked) appears only for the owning group's own token.
"""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid.categories import UnknownCategory, all_categories, label
from fedi_aid.clock import isoformat
from fedi_aid.db.models import Actor, AidItemRow


def category_json(uri: str) -> dict[str, Any]:
    try:
        return {"uri": uri, "label_en": label(uri, "en"), "label_hi": label(uri, "hi")}
    except UnknownCategory:
        return {"uri": uri, "label_en": None, "label_hi": None}


def group_json(group: Actor) -> dict[str, Any]:
    handle = f"{group.username}@{group.domain}" if group.username else None
    return {"uri": group.uri, "handle": handle, "name": group.display_name or group.username}


def item_json(row: AidItemRow, *, owner: bool = False) -> dict[str, Any]:
    """One need or offer. `owner`: the request carries the publishing group's token.

    Rendered from the row as stored (points are already coarse), without re-validating it, so
    one odd remote item cannot break a whole list.
    """
    place = None
    if row.place_name is not None or row.latitude is not None:
        place = {
            "name": row.place_name or None,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "radius_km": row.radius_km,
        }
    data: dict[str, Any] = {
        "id": row.id,
        "uri": row.uri,
        "url": row.url or row.uri,
        "kind": row.kind,
        "title": row.title,
        "description": row.description or "",
        "category": category_json(row.category),
        "quantity": format_decimal(row.quantity),
        "remaining": format_decimal(min(row.remaining, row.quantity)),
        "unit": row.unit,
        "urgency": row.urgency,
        "status": row.status,
        "place": place,
        "expires_at": isoformat(row.expires_at) if row.expires_at else None,
        "published": isoformat(row.published),
        "updated": isoformat(row.updated),
        "visibility": row.visibility,
        "content_warning": row.content_warning,
        "hop_budget": row.hop_budget,
        "group": group_json(row.group),
        "local": bool(row.local),
    }
    if owner:
        data["direct_to"] = list(row.direct_to or [])
        data["requested_by"] = row.requested_by
    return data


def categories_json() -> dict[str, Any]:
    return {
        "categories": [
            {
                "slug": category.slug,
                "uri": category.uri,
                "parent": category.parent,
                "label_en": category.label_en,
                "label_hi": category.label_hi,
                "hashtag": category.hashtag,
                "sensitive": category.sensitive,
            }
            for category in all_categories()
        ]
    }
