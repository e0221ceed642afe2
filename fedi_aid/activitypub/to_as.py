"""Need/offer (AidItem) -> ActivityStreams `Note` with FEP-0837 properties. Pure.

The Note reads as a normal post on Mastodon (HTML `content` with hashtags, no `summary` unless
the group asks for a content warning) and carries the machine-readable proposal: `purpose`,
`publishes` -> `Intent`, `location`, `endTime` and our `aid:` terms. Coordinates are always
rounded here, whatever the item holds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import urlsplit

from fedi_aid.activitypub.vocab import CONTEXT, PUBLIC
from fedi_aid.aid import categories
from fedi_aid.aid.model import AidItem
from fedi_aid.clock import isoformat

PURPOSES = {"need": "request", "offer": "offer"}
KIND_HASHTAGS = {"need": "Need", "offer": "Offer"}
COMMUNITY_HASHTAG = "MutualAid"
# OM2's unit for countable things; shown without a unit word.
UNIT_ONE = "one"
SOURCE_MEDIA_TYPE = "text/plain"


def format_decimal(value: Decimal) -> str:
    """20 -> "20", 12.50 -> "12.5": the string form FEP-0837 implementations send."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def measure(value: Decimal, unit: str) -> dict[str, str]:
    return {"hasUnit": unit, "hasNumericalValue": format_decimal(value)}


def tag_base(uri: str) -> str:
    """`https://aid.example` for `https://aid.example/needs/1`: where hashtag pages live."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"item uri must be an absolute http(s) URL, got {uri!r}")
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def hashtags_for(item: AidItem) -> list[str]:
    """#Need / #Offer, the category's tags (most specific first), #MutualAid; no duplicates."""
    tags = [KIND_HASHTAGS[item.kind], *categories.hashtags(item.category), COMMUNITY_HASHTAG]
    return list(dict.fromkeys(tags))


def audience(item: AidItem) -> tuple[list[str], list[str]]:
    """(to, cc) for the item's visibility."""
    followers = item.group_followers_url
    if item.visibility == "public":
        return [PUBLIC], [followers] if followers else []
    if item.visibility == "direct":
        return list(item.direct_to), []
    if not followers:
        raise ValueError(f"{item.visibility} visibility needs the group's followers URL")
    if item.visibility == "unlisted":
        return [followers], [PUBLIC]
    return [followers], []  # followers-only


def _amount(value: Decimal, unit: str) -> str:
    number = format_decimal(value)
    return number if unit == UNIT_ONE else f"{number} {unit}"


def _when(value: datetime) -> str:
    return isoformat(value)[:16].replace("T", " ") + " UTC"


def _hashtag_link(base: str, tag: str) -> str:
    href = escape(f"{base}/tags/{tag}")
    return f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{escape(tag)}</span></a>'


def _description_html(text: str) -> list[str]:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return [
        "<p>" + "<br>".join(escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p
    ]


def render_content(item: AidItem) -> str:
    """The readable HTML post: what, how many, where, by when, how urgent, then hashtags."""
    need = item.kind == "need"
    remaining = item.remaining if item.remaining is not None else item.quantity
    heading = f"<p><strong>{'Need' if need else 'Offer'}: {escape(item.title)}</strong></p>"
    lines = [
        ("Needed" if need else "Offered")
        + f": {escape(_amount(item.quantity, item.unit))}"
        + f" ({escape(format_decimal(remaining))} still {'needed' if need else 'available'})",
        f"Category: {escape(categories.label(item.category))}",
    ]
    if item.place is not None and item.place.name:
        where = item.place.name
        if item.place.radius_km:
            where += f", within {item.place.radius_km:g} km"
        lines.append(f"Where: {escape(where)}")
    if item.expires_at is not None:
        lines.append(f"{'By' if need else 'Until'}: {_when(item.expires_at)}")
    lines.append(f"Urgency: {item.urgency}")
    if item.status != "open":
        lines.append(f"Status: {item.status.replace('_', ' ')}")
    base = tag_base(item.uri)
    tags = " ".join(_hashtag_link(base, tag) for tag in hashtags_for(item))
    parts = [heading, "<p>" + "<br>".join(lines) + "</p>"]
    parts.extend(_description_html(item.description))
    parts.append(f"<p>{tags}</p>")
    return "".join(parts)


def _location(item: AidItem) -> dict[str, Any] | None:
    if item.place is None:
        return None
    place = item.place.coarse()  # never a precise point on the wire
    doc: dict[str, Any] = {"type": "Place", "name": place.name}
    if place.latitude is not None and place.longitude is not None:
        doc["latitude"] = place.latitude
        doc["longitude"] = place.longitude
    if place.radius_km is not None:
        doc["radius"] = place.radius_km
        doc["units"] = "km"
    return doc


def aid_item_to_as_note(item: AidItem) -> dict[str, Any]:
    """The Note a group publishes for a need or offer."""
    to, cc = audience(item)
    base = tag_base(item.uri)
    remaining = item.remaining if item.remaining is not None else item.quantity
    intent: dict[str, Any] = {
        "id": f"{item.uri}#primary",
        "type": "Intent",
        "action": categories.intent_action(item.category),
        "resourceConformsTo": item.category,
        "resourceQuantity": measure(item.quantity, item.unit),
        "availableQuantity": measure(remaining, item.unit),
    }
    note: dict[str, Any] = {
        "@context": CONTEXT,
        "id": item.uri,
        "type": "Note",
        "attributedTo": item.group_uri,
        "to": to,
        "cc": cc,
        "name": item.title,
        "content": render_content(item),
        "source": {"content": item.description, "mediaType": SOURCE_MEDIA_TYPE},
        "sensitive": item.content_warning is not None,
        "tag": [
            {"type": "Hashtag", "href": f"{base}/tags/{tag}", "name": f"#{tag}"}
            for tag in hashtags_for(item)
        ],
        "published": isoformat(item.published),
        "purpose": PURPOSES[item.kind],
        "unitBased": False,
        "publishes": intent,
        "urgency": item.urgency,
        "remainingQuantity": measure(remaining, item.unit),
        "aidStatus": item.status,
        "hopBudget": item.hop_budget,
    }
    if item.content_warning is not None:
        note["summary"] = item.content_warning
    if item.updated is not None:
        note["updated"] = isoformat(item.updated)
    if item.url:
        note["url"] = item.url
    location = _location(item)
    if location is not None:
        note["location"] = location
    if item.expires_at is not None:
        note["endTime"] = isoformat(item.expires_at)
    return note


def aid_item_to_as_tombstone(uri: str, deleted_at: datetime) -> dict[str, Any]:
    """What a withdrawn or expired need/offer becomes: the object of its Delete."""
    return {
        "@context": CONTEXT,
        "id": uri,
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": isoformat(deleted_at),
    }
