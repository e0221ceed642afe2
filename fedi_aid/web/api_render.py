"""Rows -> the JSON the native API answers with. Pure.

Quantities are strings ("20", "12.5") so decimals stay exact; times are ISO 8601 in UTC with `Z`.
`requested_by` (who in the community asked) appears only for the owning group's own token.
"""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid.categories import UnknownCategory, all_categories, label
from fedi_aid.aid.rows import row_to_item
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
    """One need or offer. `owner`: the request carries the publishing group's token."""
    item = row_to_item(row)
    place = None
    if item.place is not None:
        place = {
            "name": item.place.name or None,
            "latitude": item.place.latitude,
            "longitude": item.place.longitude,
            "radius_km": item.place.radius_km,
        }
    data: dict[str, Any] = {
        "id": row.id,
        "uri": row.uri,
        "url": row.url or row.uri,
        "kind": row.kind,
        "title": item.title,
        "description": item.description,
        "category": category_json(item.category),
        "quantity": format_decimal(item.quantity),
        "remaining": format_decimal(item.remaining if item.remaining is not None else 0),
        "unit": item.unit,
        "urgency": item.urgency,
        "status": item.status,
        "place": place,
        "expires_at": isoformat(item.expires_at) if item.expires_at else None,
        "published": isoformat(item.published),
        "updated": isoformat(row.updated),
        "visibility": item.visibility,
        "content_warning": item.content_warning,
        "hop_budget": item.hop_budget,
        "group": group_json(row.group),
        "local": bool(row.local),
    }
    if owner:
        data["direct_to"] = list(item.direct_to)
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
