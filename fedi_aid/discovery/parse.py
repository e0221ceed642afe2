"""Documents the crawl reads -> the little it keeps (what the cache stores). Pure: no I/O."""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.actor_from_as import BadActor, as_actor_to_fields, categories_of
from fedi_aid.activitypub.normalize import id_of

SOFTWARE = "fedi-aid"
NODEINFO_RELS = (
    "http://nodeinfo.diaspora.software/ns/schema/2.1",
    "http://nodeinfo.diaspora.software/ns/schema/2.0",
)


def nodeinfo_link(index: dict[str, Any]) -> str | None:
    """The NodeInfo 2.1 (else 2.0) document URL from /.well-known/nodeinfo."""
    links = index.get("links")
    links = links if isinstance(links, list) else []
    for rel in NODEINFO_RELS:
        for link in links:
            if isinstance(link, dict) and link.get("rel") == rel:
                href = link.get("href")
                if isinstance(href, str):
                    return href
    return None


def nodeinfo_summary(doc: dict[str, Any]) -> dict[str, Any]:
    software = doc.get("software") if isinstance(doc.get("software"), dict) else {}
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    groups = metadata.get("groups")
    return {
        "software": software.get("name") if isinstance(software.get("name"), str) else None,
        "groups": groups if isinstance(groups, int) and not isinstance(groups, bool) else None,
    }


def runs_fedi_aid(summary: dict[str, Any]) -> bool:
    return summary.get("software") == SOFTWARE and (summary.get("groups") or 0) > 0


def _link(doc: dict[str, Any], name: str) -> str | None:
    value = id_of(doc.get(name))
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def actor_summary(doc: dict[str, Any]) -> dict[str, Any] | None:
    """What discovery keeps of an actor; None when the document is not a usable actor."""
    try:
        fields = as_actor_to_fields(doc)
    except BadActor:
        return None
    return {
        "uri": fields.uri,
        "type": fields.type,
        "username": fields.username,
        "domain": fields.domain,
        "name": fields.display_name or fields.username or "",
        "url": fields.url,
        "place_name": fields.home_place_name,
        "latitude": fields.home_latitude,
        "longitude": fields.home_longitude,
        "radius_km": fields.home_radius_km,
        "categories": categories_of(doc) or [],
        "followers": fields.followers_url,
        "following": fields.following_url,
        "open_needs": _link(doc, "openNeeds"),
        "open_offers": _link(doc, "openOffers"),
    }


def _items(value: Any, limit: int) -> list[str]:
    values = value if isinstance(value, list) else []
    found = [id_of(v) for v in values[:limit]]
    return [uri for uri in found if isinstance(uri, str)]


def collection_summary(doc: dict[str, Any], limit: int = 500) -> dict[str, Any]:
    """A collection or one of its pages: member ids, the next page, the total if given.

    `first` may be a URL (fedi-aid, Mastodon's followers) or an embedded page (Mastodon's
    replies, some Pleroma collections); both are read.
    """
    items = _items(doc.get("orderedItems", doc.get("items")), limit)
    next_page = id_of(doc.get("next"))
    first = doc.get("first")
    if isinstance(first, dict):
        items.extend(_items(first.get("orderedItems", first.get("items")), limit - len(items)))
        next_page = next_page or id_of(first.get("next"))
    elif isinstance(first, str) and not items:
        next_page = next_page or first
    total = doc.get("totalItems")
    if total == 0 and not items:
        next_page = None  # nothing behind `first`: save the request
    return {
        "items": items,
        "next": next_page if isinstance(next_page, str) else None,
        "total": total if isinstance(total, int) and not isinstance(total, bool) else None,
    }
