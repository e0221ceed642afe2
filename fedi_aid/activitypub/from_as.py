"""ActivityStreams `Note` (FEP-0837 proposal) -> need/offer (AidItem). Pure.

Liberal in form (quantities as strings or numbers, `hasUnit` under `om2:` or `vf:` names,
`publishes` as an object or a one-item list, the audience in any shape `normalize` accepts),
strict on what we rely on: a bad value raises `BadAidObject` naming the field, e.g.
`publishes.resourceQuantity.hasNumericalValue: must be a non-negative number, got '-3'`.
A plain post without `purpose`/`publishes` is not a need: it gives None.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from fedi_aid.activitypub.normalize import id_of, normalize, parse_timestamp
from fedi_aid.activitypub.sanitize import html_to_text, sanitize_html
from fedi_aid.activitypub.vocab import OM2_NS, PUBLIC
from fedi_aid.aid import categories
from fedi_aid.aid.geo import round_coordinate
from fedi_aid.aid.model import (
    MAX_HOP_BUDGET,
    STATUSES,
    URGENCIES,
    AidItem,
    Place,
    Quantity,
    default_hop_budget,
    next_status,
)

KINDS_BY_PURPOSE = {"request": "need", "offer": "offer"}
ACCEPTED_TYPES = ("Note", "Proposal")
# Quantities beyond this are not aid, they are an attack on our columns.
MAX_QUANTITY = Decimal(10) ** 12
MAX_TITLE = 300
MAX_UNIT = 64
MAX_RADIUS_KM = 50_000.0
# ActivityStreams Place.units; a radius without units is in metres (AS2 vocabulary, 5.3).
KM_PER_UNIT = {
    "km": 1.0,
    "m": 0.001,
    "cm": 0.00001,
    "miles": 1.609344,
    "feet": 0.0003048,
    "inches": 0.0000254,
}
_NUMBER_RE = re.compile(r"^\+?(?:\d+(?:\.\d*)?|\.\d+)$")
_UNIT_KEYS = ("hasUnit", "om2:hasUnit", "vf:hasUnit")
_VALUE_KEYS = ("hasNumericalValue", "om2:hasNumericalValue", "vf:hasNumericalValue")
_TEXT_SOURCE_TYPES = ("text/plain", "text/markdown")


class BadAidObject(ValueError):
    """An inbound need/offer we cannot accept. `field` is the JSON path of the culprit."""

    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _clip(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[-1]


def _required_uri(value: Any, field: str) -> str:
    if value is None:
        raise BadAidObject(field, "required")
    uri = id_of(value)
    if uri is None:
        raise BadAidObject(field, f"must be a URI or an object with an id, got {_clip(value)}")
    try:
        parts = urlsplit(uri)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise BadAidObject(field, f"must be an absolute http(s) URI, got {_clip(uri)}")
    return uri


def _number(value: Any, field: str) -> Decimal:
    problem = f"must be a non-negative number, got {_clip(value)}"
    if isinstance(value, bool):
        raise BadAidObject(field, problem)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise BadAidObject(field, problem)
        result = Decimal(str(value))
    elif isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise BadAidObject(field, problem) from None
    else:
        raise BadAidObject(field, problem)
    if result < 0:
        raise BadAidObject(field, problem)
    if result > MAX_QUANTITY:
        raise BadAidObject(field, f"must be at most {MAX_QUANTITY}, got {_clip(value)}")
    return result + 0  # Decimal("-0") -> 0


def _first_present(doc: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any]:
    for key in keys:
        if key in doc:
            return key, doc[key]
    return keys[0], None


def _unit(value: Any, field: str) -> str:
    if isinstance(value, dict):  # {"@id": "om2:one"} or {"id": ...}
        value = value.get("@id", value.get("id"))
    if not isinstance(value, str) or not value.strip():
        raise BadAidObject(field, f"must be a unit name such as 'one', got {_clip(value)}")
    unit = value.strip()
    for prefix in (OM2_NS, "om2:"):
        if unit.startswith(prefix) and len(unit) > len(prefix):
            unit = unit[len(prefix) :]
    if len(unit) > MAX_UNIT:
        raise BadAidObject(field, f"must be at most {MAX_UNIT} characters long")
    return unit


def _measure(value: Any, field: str) -> Quantity:
    """{hasUnit, hasNumericalValue} under any of the names implementations use."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise BadAidObject(
            field, f"must be an object with hasUnit and hasNumericalValue, got {_clip(value)}"
        )
    unit_key, unit = _first_present(value, _UNIT_KEYS)
    value_key, number = _first_present(value, _VALUE_KEYS)
    if unit is None:
        raise BadAidObject(f"{field}.{unit_key}", "required")
    if number is None:
        raise BadAidObject(f"{field}.{value_key}", "required")
    return Quantity(_number(number, f"{field}.{value_key}"), _unit(unit, f"{field}.{unit_key}"))


def _timestamp(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise BadAidObject(field, str(exc)) from None


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadAidObject(field, f"must be a string, got {_clip(value)}")
    return value


def _language_map_value(doc: dict[str, Any], name: str) -> Any:
    if doc.get(name) is not None:
        return doc[name]
    mapped = doc.get(f"{name}Map")
    if isinstance(mapped, dict) and mapped:
        return next(iter(mapped.values()))
    return None


def _coordinate(value: Any, field: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadAidObject(field, f"must be a number, got {_clip(value)}")
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise BadAidObject(field, f"must be between -{limit:g} and {limit:g}, got {_clip(value)}")
    return round_coordinate(number)


def _place(value: Any) -> Place | None:
    if value is None:
        return None
    if isinstance(value, list):
        places = [v for v in value if isinstance(v, dict)]
        if not places:
            raise BadAidObject("location", f"must be a Place object, got {_clip(value)}")
        value = next((p for p in places if p.get("type") == "Place"), places[0])
    if not isinstance(value, dict):
        raise BadAidObject("location", f"must be a Place object, got {_clip(value)}")
    if value.get("type") not in (None, "Place"):
        raise BadAidObject("location.type", f"must be 'Place', got {_clip(value.get('type'))}")
    name = _text(value.get("name"), "location.name") or ""
    lat_raw, lon_raw = value.get("latitude"), value.get("longitude")
    if (lat_raw is None) != (lon_raw is None):
        missing = "location.latitude" if lat_raw is None else "location.longitude"
        raise BadAidObject(missing, "required when the other coordinate is given")
    lat = lon = None
    if lat_raw is not None:
        lat = _coordinate(lat_raw, "location.latitude", 90.0)
        lon = _coordinate(lon_raw, "location.longitude", 180.0)
    radius_km = None
    if value.get("radius") is not None:
        radius = value["radius"]
        if (
            isinstance(radius, bool)
            or not isinstance(radius, int | float)
            or not math.isfinite(radius)
            or radius < 0
        ):
            raise BadAidObject(
                "location.radius", f"must be a non-negative number, got {_clip(radius)}"
            )
        units = value.get("units", "m")
        if units not in KM_PER_UNIT:
            raise BadAidObject(
                "location.units",
                f"must be one of {', '.join(KM_PER_UNIT)}, got {_clip(units)}",
            )
        radius_km = float(radius) * KM_PER_UNIT[units]
        if radius_km > MAX_RADIUS_KM:
            raise BadAidObject("location.radius", f"must be at most {MAX_RADIUS_KM:g} km")
    if not name and lat is None:
        return None
    return Place(name=name, latitude=lat, longitude=lon, radius_km=radius_km)


def _url(value: Any) -> str | None:
    """`url` as a string, a Link, or a list of either; the text/html one if there is a choice."""
    candidates = value if isinstance(value, list) else [value]
    found: list[tuple[str, Any]] = []
    for item in candidates:
        if isinstance(item, str):
            found.append((item, None))
        elif isinstance(item, dict) and isinstance(item.get("href"), str):
            found.append((item["href"], item.get("mediaType")))
    found.sort(key=lambda pair: pair[1] != "text/html")
    for href, _ in found:
        try:
            parts = urlsplit(href)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.hostname:
            return href
    return None


def _looks_like_followers(uri: str, group_uri: str, followers_url: str | None) -> bool:
    if followers_url is not None:
        return uri == followers_url
    return uri == f"{group_uri.rstrip('/')}/followers" or uri.endswith("/followers")


def _audience(
    doc: dict[str, Any], group_uri: str, followers_url: str | None
) -> tuple[str, str | None, tuple[str, ...]]:
    """(visibility, followers URL, direct recipients), read the way Mastodon reads it."""
    lists = {}
    for field in ("to", "cc"):
        entries = doc.get(field, [])
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                raise BadAidObject(f"{field}[{index}]", f"must be a URI, got {_clip(entry)}")
        lists[field] = entries
    to, cc = lists["to"], lists["cc"]
    everyone = [uri for uri in [*to, *cc] if uri != PUBLIC]
    followers = next(
        (uri for uri in everyone if _looks_like_followers(uri, group_uri, followers_url)), None
    )
    if PUBLIC in to:
        return "public", followers, ()
    if PUBLIC in cc:
        return "unlisted", followers, ()
    if followers is not None:
        return "followers", followers, ()
    if not everyone:
        raise BadAidObject("to", "a need or offer must be addressed to someone")
    return "direct", None, tuple(dict.fromkeys(everyone))


def _kind(doc: dict[str, Any]) -> str:
    purpose = doc.get("purpose")
    if purpose is None:
        raise BadAidObject("purpose", "required ('request' or 'offer') when publishes is given")
    if purpose not in KINDS_BY_PURPOSE:
        raise BadAidObject("purpose", f"must be 'request' or 'offer', got {_clip(purpose)}")
    return KINDS_BY_PURPOSE[purpose]


def _intent(doc: dict[str, Any]) -> dict[str, Any]:
    intent = doc.get("publishes")
    if intent is None:
        raise BadAidObject("publishes", "required (the FEP-0837 Intent)")
    if isinstance(intent, list):
        if len(intent) != 1:
            raise BadAidObject("publishes", f"must be one Intent, got a list of {len(intent)}")
        intent = intent[0]
    if not isinstance(intent, dict):
        raise BadAidObject("publishes", f"must be an Intent object, got {_clip(intent)}")
    if intent.get("type") not in (None, "Intent", "vf:Intent"):
        raise BadAidObject("publishes.type", f"must be 'Intent', got {_clip(intent.get('type'))}")
    return intent


def _category(intent: dict[str, Any]) -> str:
    field = "publishes.resourceConformsTo"
    raw = intent.get("resourceConformsTo")
    if raw is None:
        raise BadAidObject(field, "required (a fedi-aid category URI or a Wikidata item URI)")
    uri = id_of(raw)
    if uri is None or not categories.is_known_or_wikidata(uri):
        raise BadAidObject(
            field,
            "must be a fedi-aid category URI "
            f"({categories.NAMESPACE}…) or a Wikidata item URI, got {_clip(uri or raw)}",
        )
    return uri


def _left(raw: Any, field: str, total: Quantity) -> Decimal:
    """A remaining/available quantity: a measure in the total's unit, or a bare number."""
    if isinstance(raw, dict | list):
        left = _measure(raw, field)
        if left.unit != total.unit:
            raise BadAidObject(
                f"{field}.hasUnit",
                f"must be the unit of resourceQuantity ({total.unit!r}), got {left.unit!r}",
            )
        value, value_field = left.value, f"{field}.hasNumericalValue"
    else:
        value, value_field = _number(raw, field), field
    if value > total.value:
        raise BadAidObject(
            value_field, f"must not exceed resourceQuantity ({total.value}), got {value}"
        )
    return value


def _remaining(doc: dict[str, Any], intent: dict[str, Any], total: Quantity) -> Decimal:
    """Our remainingQuantity if present, else FEP-0837's availableQuantity, else all of it.

    Both are checked when both are present, so a bad value never slips through unseen.
    """
    available = None
    if intent.get("availableQuantity") is not None:
        available = _left(intent["availableQuantity"], "publishes.availableQuantity", total)
    if doc.get("remainingQuantity") is not None:
        return _left(doc["remainingQuantity"], "remainingQuantity", total)
    return total.value if available is None else available


def _hop_budget(value: Any, urgency: str) -> int:
    if value is None:
        return default_hop_budget(urgency)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadAidObject("hopBudget", f"must be a non-negative integer, got {_clip(value)}")
    return min(value, MAX_HOP_BUDGET)  # a remote cannot buy itself more reach than we allow


def _title(doc: dict[str, Any], text: str, category: str) -> str:
    name = _text(_language_map_value(doc, "name"), "name")
    title = (name or "").strip()
    if not title:
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not title:
        title = categories.label(category)
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def _description(doc: dict[str, Any], text: str) -> str:
    source = doc.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        media_type = source.get("mediaType") or "text/plain"
        if isinstance(media_type, str) and media_type.startswith(_TEXT_SOURCE_TYPES):
            return source["content"].strip()
    return text


def as_note_to_aid_item(doc: dict[str, Any], *, followers_url: str | None = None) -> AidItem | None:
    """A remote (or our own) need/offer Note -> AidItem; None when it is not a proposal.

    `followers_url`, when the caller knows the author's followers collection, decides
    followers-only visibility exactly; otherwise a `…/followers` URI in the audience does.
    """
    if not isinstance(doc, dict):
        raise BadAidObject("object", f"must be a JSON object, got {type(doc).__name__}")
    if doc.get("purpose") is None and doc.get("publishes") is None:
        return None
    doc = normalize(doc)
    if doc.get("type") not in ACCEPTED_TYPES:
        raise BadAidObject(
            "type", f"must be one of {', '.join(ACCEPTED_TYPES)}, got {_clip(doc.get('type'))}"
        )
    kind = _kind(doc)
    intent = _intent(doc)
    uri = _required_uri(doc.get("id"), "id")
    group_uri = _required_uri(doc.get("attributedTo"), "attributedTo")
    published = _timestamp(doc.get("published"), "published")
    if published is None:
        raise BadAidObject("published", "required")
    category = _category(intent)
    if intent.get("resourceQuantity") is None:
        raise BadAidObject("publishes.resourceQuantity", "required")
    total = _measure(intent["resourceQuantity"], "publishes.resourceQuantity")
    remaining = _remaining(doc, intent, total)

    content = _text(_language_map_value(doc, "content"), "content") or ""
    text = html_to_text(sanitize_html(content))  # sanitised on the way in
    summary = _text(_language_map_value(doc, "summary"), "summary")
    warning = html_to_text(summary).strip() if summary else ""

    urgency = doc.get("urgency", "normal")
    if urgency not in URGENCIES:
        raise BadAidObject(
            "urgency", f"must be one of {', '.join(URGENCIES)}, got {_clip(urgency)}"
        )
    status = doc.get("aidStatus")
    if status is None:
        status = next_status("open", remaining, total.value)
    elif status not in STATUSES:
        raise BadAidObject(
            "aidStatus", f"must be one of {', '.join(STATUSES)}, got {_clip(status)}"
        )
    visibility, followers, direct_to = _audience(doc, group_uri, followers_url)

    try:
        return AidItem(
            kind=kind,
            uri=uri,
            title=_title(doc, text, category),
            description=_description(doc, text),
            category=category,
            quantity=total.value,
            unit=total.unit,
            remaining=remaining,
            urgency=urgency,
            place=_place(doc.get("location")),
            expires_at=_timestamp(doc.get("endTime"), "endTime"),
            visibility=visibility,
            direct_to=direct_to,
            status=status,
            group_uri=group_uri,
            group_followers_url=followers,
            published=published,
            updated=_timestamp(doc.get("updated"), "updated"),
            hop_budget=_hop_budget(doc.get("hopBudget"), urgency),
            content_warning=warning or None,
            url=_url(doc.get("url")),
        )
    except ValueError as exc:  # the model's own last line of defence
        if isinstance(exc, BadAidObject):
            raise
        raise BadAidObject("object", str(exc)) from None
