"""Remote actor document -> the fields we keep. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fedi_aid.activitypub.sanitize import sanitize_html
from fedi_aid.activitypub.vocab import ACTOR_TYPES
from fedi_aid.aid.categories import is_known_or_wikidata


class BadActor(ValueError):
    pass


@dataclass(frozen=True)
class RemoteActorFields:
    uri: str
    type: str
    username: str | None
    domain: str
    display_name: str
    summary: str
    url: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers_url: str | None
    following_url: str | None
    locked: bool
    key_id: str | None
    public_key_pem: str | None
    home_place_name: str | None = None
    home_latitude: float | None = None
    home_longitude: float | None = None
    home_radius_km: float | None = None
    categories: list[str] | None = None


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("href"), str):
        return value["href"]
    if isinstance(value, list) and value:
        return _str_or_none(value[0])
    return None


def _first_key(doc: dict[str, Any]) -> dict[str, Any] | None:
    key = doc.get("publicKey")
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict)), None)
    return key if isinstance(key, dict) else None


def _home(doc: dict[str, Any]) -> tuple[str | None, float | None, float | None, float | None]:
    """A group's `location` Place, kept only when it is sane; coarse like ours."""
    place = doc.get("location")
    if isinstance(place, list):
        place = next((p for p in place if isinstance(p, dict)), None)
    if not isinstance(place, dict):
        return None, None, None, None
    name = place.get("name") if isinstance(place.get("name"), str) else None
    lat, lon = place.get("latitude"), place.get("longitude")
    point_ok = (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and not isinstance(lat, bool)
        and not isinstance(lon, bool)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )
    radius = place.get("radius")
    radius_km = None
    if isinstance(radius, int | float) and not isinstance(radius, bool) and radius >= 0:
        radius_km = float(radius) if place.get("units") == "km" else float(radius) / 1000
    if not point_ok:
        return name, None, None, radius_km
    return name, round(float(lat), 2), round(float(lon), 2), radius_km


def categories_of(doc: dict[str, Any], limit: int = 50) -> list[str] | None:
    """A group's `categories` (aid:categories): known category or Wikidata URIs only."""
    raw = doc.get("categories")
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    found = [v for v in values if isinstance(v, str) and is_known_or_wikidata(v)]
    return list(dict.fromkeys(found))[:limit]


def as_actor_to_fields(doc: dict[str, Any]) -> RemoteActorFields:
    uri = doc.get("id")
    type_ = doc.get("type")
    if isinstance(type_, list):
        type_ = next((t for t in type_ if t in ACTOR_TYPES), None)
    if not isinstance(uri, str) or type_ not in ACTOR_TYPES:
        raise BadActor("document is not an actor (needs an id and an actor type)")
    inbox = _str_or_none(doc.get("inbox"))
    if not inbox:
        raise BadActor(f"actor {uri} has no inbox")
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    key = _first_key(doc)
    home = _home(doc)
    key_id = key_pem = None
    if key is not None:
        owner = key.get("owner")
        if owner is not None and owner != uri:
            raise BadActor(f"publicKey.owner {owner} is not the actor {uri}")
        key_id = key.get("id") if isinstance(key.get("id"), str) else None
        key_pem = key.get("publicKeyPem") if isinstance(key.get("publicKeyPem"), str) else None
    return RemoteActorFields(
        uri=uri,
        type=type_,
        username=doc.get("preferredUsername")
        if isinstance(doc.get("preferredUsername"), str)
        else None,
        domain=urlsplit(uri).netloc.lower(),
        display_name=doc.get("name") if isinstance(doc.get("name"), str) else "",
        # Stored as safe HTML: every page and API that shows it can trust it as it is.
        summary=sanitize_html(doc["summary"]) if isinstance(doc.get("summary"), str) else "",
        url=_str_or_none(doc.get("url")),
        inbox=inbox,
        shared_inbox=_str_or_none(endpoints.get("sharedInbox"))
        or _str_or_none(doc.get("sharedInbox")),
        outbox=_str_or_none(doc.get("outbox")),
        followers_url=_str_or_none(doc.get("followers")),
        following_url=_str_or_none(doc.get("following")),
        locked=bool(doc.get("manuallyApprovesFollowers", False)),
        key_id=key_id,
        public_key_pem=key_pem,
        home_place_name=home[0],
        home_latitude=home[1],
        home_longitude=home[2],
        home_radius_km=home[3],
        categories=categories_of(doc),
    )


def apply_actor_fields(actor: Any, fields: RemoteActorFields) -> None:
    """Copy everything but the identity (uri) onto a stored actor."""
    for name, value in fields.__dict__.items():
        if name != "uri":
            setattr(actor, name, value)
