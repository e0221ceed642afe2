"""Local actor -> ActivityStreams document. Pure."""

from __future__ import annotations

from typing import Any, Protocol

from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.clock import isoformat


class ActorLike(Protocol):
    uri: str
    type: str
    username: str | None
    display_name: str
    summary: str
    url: str | None
    inbox: str | None
    shared_inbox: str | None
    outbox: str | None
    followers_url: str | None
    following_url: str | None
    locked: bool
    key_id: str | None
    public_key_pem: str | None
    home_place_name: str | None
    home_latitude: float | None
    home_longitude: float | None
    home_radius_km: float | None


def actor_to_as(actor: ActorLike, *, published: Any = None, updated: Any = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": actor.uri,
        "type": actor.type,
        "preferredUsername": actor.username,
        "name": actor.display_name or actor.username,
        "summary": actor.summary or "",
        "url": actor.url,
        "inbox": actor.inbox,
        "outbox": actor.outbox,
        "followers": actor.followers_url,
        "following": actor.following_url,
        "endpoints": {"sharedInbox": actor.shared_inbox},
        "manuallyApprovesFollowers": bool(actor.locked),
        "discoverable": actor.type == "Group",
        "publicKey": {
            "id": actor.key_id,
            "owner": actor.uri,
            "publicKeyPem": actor.public_key_pem,
        },
    }
    if actor.type != "Application":
        doc["featured"] = f"{actor.uri}/collections/featured"
    if actor.type == "Group":
        # What the group works on and what it needs and offers now (discovery reads these).
        doc["categories"] = list(getattr(actor, "categories", None) or [])
        doc["openNeeds"] = f"{actor.uri}/collections/needs"
        doc["openOffers"] = f"{actor.uri}/collections/offers"
    if actor.home_place_name is not None or actor.home_latitude is not None:
        # The community's coarse home area, so others can reason about distance.
        place: dict[str, Any] = {"type": "Place", "name": actor.home_place_name or ""}
        if actor.home_latitude is not None and actor.home_longitude is not None:
            place["latitude"] = actor.home_latitude
            place["longitude"] = actor.home_longitude
        if actor.home_radius_km is not None:
            place["radius"] = actor.home_radius_km
            place["units"] = "km"
        doc["location"] = place
    if published is not None:
        doc["published"] = isoformat(published)
    if updated is not None:
        doc["updated"] = isoformat(updated)
    return doc


def ordered_collection(collection_id: str, total: int, first: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT[0],
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first:
        doc["first"] = first
    return doc


def ordered_collection_page(
    page_id: str, collection_id: str, items: list[Any], next_page: str | None, prev_page: str | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT[0],
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "orderedItems": items,
    }
    if next_page:
        doc["next"] = next_page
    if prev_page:
        doc["prev"] = prev_page
    return doc
