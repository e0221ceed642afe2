"""What a client sends to the native API -> what the service takes. Pure: no I/O.

Every problem raises ApiInputError naming the field (`quantity`, `place.latitude`,
`direct_to[1]`, the query parameter `within_km`, `body`, `Content-Type`...). The rule for
statuses: a body that is not JSON, not a JSON object, or a value that is missing, of the wrong
type or out of range is 400; a body that is not declared as JSON is 415. 422 is never used.
Conflicts with the item's lifecycle (edit a withdrawn need) come from the service as 409.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fedi_aid.aid.categories import UnknownCategory, resolve_category
from fedi_aid.aid.model import MAX_HOP_BUDGET, URGENCIES, VISIBILITIES
from fedi_aid.aid.publish import AidDraft
from fedi_aid.aid.when import parse_expiry

KIND_BY_PATH = {"needs": "need", "offers": "offer"}

# Limits the storage can hold (String(n) columns, Numeric(20, 4)) plus sane caps on free text.
TITLE_MAX = 300
UNIT_MAX = 64
PLACE_NAME_MAX = 300
REQUESTED_BY_MAX = 300
CATEGORY_MAX = 512
DESCRIPTION_MAX = 10_000
CONTENT_WARNING_MAX = 500
REF_MAX = 2048
DIRECT_TO_MAX = 20
QUANTITY_MAX = Decimal(10) ** 12
QUANTITY_DECIMALS = 4
RADIUS_MAX_KM = 50_000
WITHIN_MAX_KM = 20_100  # half the Earth's circumference, and a little more
LIMIT_DEFAULT, LIMIT_MAX = 20, 100
ID_MAX = 2**63 - 1

LIST_STATUSES = ("open", "partly_met", "met", "withdrawn", "expired", "all")
ORIGINS = ("local", "remote")
SETTABLE_STATUSES = ("met", "withdrawn")
VISIBILITY_ALIASES = {"followers-only": "followers", "followers_only": "followers"}

CREATE_FIELDS = (
    "title",
    "category",
    "quantity",
    "unit",
    "description",
    "urgency",
    "place",
    "expires",
    "expires_at",
    "visibility",
    "direct_to",
    "hop_budget",
    "content_warning",
    "requested_by",
)
UPDATE_FIELDS = (
    "title",
    "description",
    "category",
    "quantity",
    "remaining",
    "unit",
    "urgency",
    "place",
    "expires",
    "expires_at",
    "content_warning",
    "status",
)
SERVER_FIELDS = ("id", "uri", "url", "kind", "published", "updated", "group", "local")
FIXED_AFTER_POSTING = ("visibility", "direct_to", "hop_budget", "requested_by")
PLACE_FIELDS = ("name", "latitude", "longitude", "radius_km")
LIST_PARAMS = (
    "category",
    "status",
    "near",
    "within_km",
    "origin",
    "group",
    "limit",
    "cursor",
)


class ApiInputError(ValueError):
    """Bad input. `field` names what is wrong; `str()` is the whole message, field first."""

    def __init__(self, field: str | None, message: str, status: int = 400) -> None:
        self.field = field
        self.message = f"{field}: {message}" if field else message
        self.status = status
        super().__init__(self.message)


# ---- the body ---------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json_object(body: bytes, content_type: str) -> dict[str, Any]:
    """A request body declared as JSON -> a dict. Numbers with a fraction become Decimal."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        shown = media or "none"
        raise ApiInputError("Content-Type", f"send application/json, not {shown}", 415)
    if not body.strip():
        raise ApiInputError("body", "empty; send a JSON object")
    try:
        data = json.loads(
            body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant
        )
    except UnicodeDecodeError:
        raise ApiInputError("body", "not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise ApiInputError("body", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiInputError("body", f"must be a JSON object, got {_json_type(data)}")
    return data


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _check_fields(body: Mapping[str, Any], allowed: Iterable[str], *, fixed: bool) -> None:
    allowed = tuple(allowed)
    for key in body:
        if key in allowed:
            continue
        if key in SERVER_FIELDS or (key == "remaining" and not fixed) or key == "status":
            raise ApiInputError(key, "is set by the server and cannot be given")
        if fixed and key in FIXED_AFTER_POSTING:
            raise ApiInputError(key, "cannot be changed after posting")
        raise ApiInputError(key, f"unknown field; expected one of {', '.join(allowed)}")


# ---- values -----------------------------------------------------------------------------


def _text(
    body: Mapping[str, Any],
    name: str,
    max_len: int,
    *,
    required: bool = False,
    nullable: bool = True,
    label: str | None = None,
) -> str | None:
    label = label or name
    if name not in body or (body[name] is None and nullable and not required):
        if required:
            raise ApiInputError(label, "is required")
        return None
    value = body[name]
    if not isinstance(value, str):
        raise ApiInputError(label, f"must be a string, got {_json_type(value)}")
    value = value.strip()
    if required and not value:
        raise ApiInputError(label, "must not be empty")
    if len(value) > max_len:
        raise ApiInputError(label, f"must be at most {max_len} characters, got {len(value)}")
    if "\x00" in value:
        raise ApiInputError(label, "must not contain NUL characters")
    return value


def _choice(body: Mapping[str, Any], name: str, choices: Iterable[str]) -> str | None:
    choices = tuple(choices)
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in choices:
        raise ApiInputError(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def parse_quantity(value: Any, name: str, *, positive: bool) -> Decimal:
    """A JSON number or a numeric string -> Decimal, within what the database holds exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ApiInputError(name, f"must be a number, got {_json_type(value)}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        raise ApiInputError(name, f"must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ApiInputError(name, f"must be a finite number, got {value!r}")
    if number < 0:
        raise ApiInputError(name, f"must not be negative, got {value!r}")
    if positive and number == 0:
        raise ApiInputError(name, "must be greater than zero")
    if number >= QUANTITY_MAX:
        raise ApiInputError(name, f"must be less than {QUANTITY_MAX:,}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -QUANTITY_DECIMALS:
        raise ApiInputError(name, f"may have at most {QUANTITY_DECIMALS} decimal places")
    return number


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ApiInputError(name, f"must be a number, got {_json_type(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise ApiInputError(name, f"must be a finite number, got {value!r}")
    return result


def _latitude(value: Any, name: str) -> float:
    result = _float(value, name)
    if not -90 <= result <= 90:
        raise ApiInputError(name, f"must be between -90 and 90, got {value}")
    return result


def _longitude(value: Any, name: str) -> float:
    result = _float(value, name)
    if not -180 <= result <= 180:
        raise ApiInputError(name, f"must be between -180 and 180, got {value}")
    return result


def _radius(value: Any, name: str) -> float:
    result = _float(value, name)
    if not 0 <= result < RADIUS_MAX_KM:
        raise ApiInputError(name, f"must be between 0 and {RADIUS_MAX_KM}, got {value}")
    return result


def _place(value: Any, *, partial: bool) -> dict[str, Any]:
    """`place` -> {place_name, latitude, longitude, radius_km}, only the keys given."""
    if not isinstance(value, dict):
        raise ApiInputError("place", f"must be an object, got {_json_type(value)}")
    for key in value:
        if key not in PLACE_FIELDS:
            raise ApiInputError(f"place.{key}", f"unknown; expected {', '.join(PLACE_FIELDS)}")
    result: dict[str, Any] = {}
    if "name" in value:
        result["place_name"] = _text(value, "name", PLACE_NAME_MAX, label="place.name") or ""
    has_lat = value.get("latitude") is not None
    has_lon = value.get("longitude") is not None
    if has_lat != has_lon:
        missing = "longitude" if has_lat else "latitude"
        given = "latitude" if has_lat else "longitude"
        raise ApiInputError(f"place.{missing}", f"is required with place.{given}")
    if has_lat:
        result["latitude"] = _latitude(value["latitude"], "place.latitude")
        result["longitude"] = _longitude(value["longitude"], "place.longitude")
    elif partial and ("latitude" in value or "longitude" in value):
        if not ("latitude" in value and "longitude" in value):
            missing = "longitude" if "latitude" in value else "latitude"
            raise ApiInputError(f"place.{missing}", "must be null too to remove the point")
        result["latitude"] = result["longitude"] = None
    if value.get("radius_km") is not None:
        result["radius_km"] = _radius(value["radius_km"], "place.radius_km")
    elif partial and "radius_km" in value:
        result["radius_km"] = None
    if not partial and not result.get("place_name") and "latitude" not in result:
        raise ApiInputError("place", "give a name, or latitude and longitude")
    return result


def _expiry(body: Mapping[str, Any], now: datetime) -> tuple[bool, datetime | None]:
    """(given, value): `expires` or its alias `expires_at`; null clears it."""
    names = [name for name in ("expires", "expires_at") if name in body]
    if len(names) == 2:
        raise ApiInputError("expires", "give expires or expires_at, not both")
    if not names:
        return False, None
    name = names[0]
    value = body[name]
    if value is None:
        return True, None
    if not isinstance(value, str):
        raise ApiInputError(
            name, "must be a string: a date, a date and time, or a duration such as 3d"
        )
    try:
        return True, parse_expiry(value, now)
    except ValueError as exc:
        raise ApiInputError(name, str(exc)) from None


def _category(body: Mapping[str, Any], *, required: bool) -> str | None:
    text = _text(body, "category", CATEGORY_MAX, required=required)
    if text is None:
        return None
    try:
        return resolve_category(text)
    except UnknownCategory as exc:
        raise ApiInputError("category", str(exc)) from None


def _visibility(body: Mapping[str, Any]) -> str:
    value = body.get("visibility")
    if value is None:
        return "public"
    if isinstance(value, str):
        value = VISIBILITY_ALIASES.get(value, value)
    if value not in VISIBILITIES:
        raise ApiInputError(
            "visibility", f"must be one of {', '.join(VISIBILITIES)}, got {body['visibility']!r}"
        )
    return value


def _direct_to(body: Mapping[str, Any], visibility: str) -> tuple[str, ...]:
    value = body.get("direct_to")
    if value is None or value == []:
        if visibility == "direct":
            raise ApiInputError("direct_to", "is required for visibility direct")
        return ()
    if visibility != "direct":
        raise ApiInputError("direct_to", "is only for visibility direct")
    if not isinstance(value, list):
        raise ApiInputError("direct_to", f"must be an array, got {_json_type(value)}")
    if len(value) > DIRECT_TO_MAX:
        raise ApiInputError("direct_to", f"may name at most {DIRECT_TO_MAX} actors")
    refs: list[str] = []
    for index, ref in enumerate(value):
        name = f"direct_to[{index}]"
        if not isinstance(ref, str) or not ref.strip():
            raise ApiInputError(name, "must be a handle (name@host) or an actor URI")
        if len(ref) > REF_MAX:
            raise ApiInputError(name, f"must be at most {REF_MAX} characters")
        if ref.strip() not in refs:
            refs.append(ref.strip())
    return tuple(refs)


def _hop_budget(body: Mapping[str, Any]) -> int | None:
    value = body.get("hop_budget")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiInputError("hop_budget", f"must be a whole number, got {_json_type(value)}")
    if not 0 <= value <= MAX_HOP_BUDGET:
        raise ApiInputError("hop_budget", f"must be between 0 and {MAX_HOP_BUDGET}, got {value}")
    return value


# ---- create and update ------------------------------------------------------------------


def parse_create(kind: str, body: Mapping[str, Any], now: datetime) -> AidDraft:
    """A POST body -> AidDraft. `direct_to` holds the handles/URIs as given (resolve them)."""
    _check_fields(body, CREATE_FIELDS, fixed=False)
    title = _text(body, "title", TITLE_MAX, required=True)
    category = _category(body, required=True)
    if "quantity" not in body or body["quantity"] is None:
        raise ApiInputError("quantity", "is required")
    quantity = parse_quantity(body["quantity"], "quantity", positive=True)
    unit = _text(body, "unit", UNIT_MAX, required=True)
    place = _place(body["place"], partial=False) if body.get("place") is not None else {}
    _, expires_at = _expiry(body, now)
    visibility = _visibility(body)
    return AidDraft(
        kind=kind,
        title=title or "",
        category=category or "",
        quantity=quantity,
        unit=unit or "",
        description=_text(body, "description", DESCRIPTION_MAX) or "",
        urgency=_choice(body, "urgency", URGENCIES) or "normal",
        place_name=place.get("place_name"),
        latitude=place.get("latitude"),
        longitude=place.get("longitude"),
        radius_km=place.get("radius_km"),
        expires_at=expires_at,
        visibility=visibility,
        direct_to=_direct_to(body, visibility),
        hop_budget=_hop_budget(body),
        content_warning=_text(body, "content_warning", CONTENT_WARNING_MAX) or None,
        requested_by=_text(body, "requested_by", REQUESTED_BY_MAX) or None,
    )


def parse_changes(body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A PATCH body -> the `changes` that publish.update_item takes (names of EDITABLE)."""
    _check_fields(body, UPDATE_FIELDS, fixed=True)
    if not body:
        raise ApiInputError("body", f"nothing to change; give any of {', '.join(UPDATE_FIELDS)}")
    changes: dict[str, Any] = {}
    for name, max_len in (("title", TITLE_MAX), ("unit", UNIT_MAX)):
        if name in body:
            changes[name] = _text(body, name, max_len, required=True)
    if "description" in body:
        changes["description"] = _text(body, "description", DESCRIPTION_MAX) or ""
    if "content_warning" in body:
        changes["content_warning"] = _text(body, "content_warning", CONTENT_WARNING_MAX) or None
    if "category" in body:
        changes["category"] = _category(body, required=True)
    if "urgency" in body:
        if body["urgency"] is None:
            raise ApiInputError("urgency", f"must be one of {', '.join(URGENCIES)}")
        changes["urgency"] = _choice(body, "urgency", URGENCIES)
    for name, positive in (("quantity", True), ("remaining", False)):
        if name in body:
            if body[name] is None:
                raise ApiInputError(name, "must be a number, got null")
            changes[name] = parse_quantity(body[name], name, positive=positive)
    if "place" in body:
        if body["place"] is None:
            raise ApiInputError("place", "cannot be removed; change its name or point instead")
        changes.update(_place(body["place"], partial=True))
    given, expires_at = _expiry(body, now)
    if given:
        changes["expires_at"] = expires_at
    if "status" in body:
        status = body["status"]
        if status not in SETTABLE_STATUSES:
            raise ApiInputError(
                "status",
                f"can be set to {' or '.join(SETTABLE_STATUSES)} only, got {status!r}; open and "
                "partly_met follow from remaining, expired from expires_at",
            )
        changes["status"] = status
    return changes


# ---- ids, cursors, listing ----------------------------------------------------------------


def parse_item_id(text: str) -> int | None:
    """A path segment -> a database id, or None when it cannot be one (answer 404)."""
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= ID_MAX else None


_CURSOR_PREFIX = "v1:"


def encode_cursor(last_id: int) -> str:
    raw = f"{_CURSOR_PREFIX}{last_id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    value = parse_item_id(raw.removeprefix(_CURSOR_PREFIX)) if raw.startswith("v1:") else None
    if value is None:
        raise ApiInputError("cursor", "not a cursor this API handed out; use the `next` link")
    return value


@dataclass(frozen=True)
class ListQuery:
    category: str | None = None
    status: str | None = None  # None: open and partly met
    near: tuple[float, float] | None = None
    within_km: float | None = None
    local: bool | None = None
    group: str | None = None  # a handle or an actor URI, as given
    limit: int = LIMIT_DEFAULT
    after_id: int | None = None


def parse_list_query(pairs: Iterable[tuple[str, str]]) -> ListQuery:
    """Query parameters (as pairs, so repeats are caught) -> ListQuery."""
    params: dict[str, str] = {}
    for key, value in pairs:
        if key not in LIST_PARAMS:
            raise ApiInputError(key, f"unknown query parameter; use {', '.join(LIST_PARAMS)}")
        if key in params:
            raise ApiInputError(key, "given more than once")
        if "\x00" in value:
            raise ApiInputError(key, "must not contain NUL characters")
        params[key] = value.strip()
    category = None
    if params.get("category"):
        category = _category(params, required=True)
    status = params.get("status") or None
    if status is not None and status not in LIST_STATUSES:
        raise ApiInputError("status", f"must be one of {', '.join(LIST_STATUSES)}, got {status!r}")
    near, within = _near(params)
    origin = params.get("origin") or None
    if origin is not None and origin not in ORIGINS:
        raise ApiInputError("origin", f"must be local or remote, got {origin!r}")
    group = params.get("group") or None
    if group is not None and len(group) > REF_MAX:
        raise ApiInputError("group", f"must be at most {REF_MAX} characters")
    return ListQuery(
        category=category,
        status=None if status in (None, "") else status,
        near=near,
        within_km=within,
        local=None if origin is None else origin == "local",
        group=group,
        limit=_limit(params.get("limit")),
        after_id=decode_cursor(params["cursor"]) if params.get("cursor") else None,
    )


def _near(params: Mapping[str, str]) -> tuple[tuple[float, float] | None, float | None]:
    near_text, within_text = params.get("near"), params.get("within_km")
    if not near_text and not within_text:
        return None, None
    if not near_text:
        raise ApiInputError("near", "is required with within_km (near=latitude,longitude)")
    if not within_text:
        raise ApiInputError("within_km", "is required with near")
    parts = near_text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = (float(part) for part in parts)
    except ValueError:
        raise ApiInputError(
            "near", f"must be latitude,longitude such as 26.91,75.79, got {near_text!r}"
        ) from None
    if not (math.isfinite(lat) and -90 <= lat <= 90 and math.isfinite(lon) and -180 <= lon <= 180):
        raise ApiInputError(
            "near",
            f"latitude must be within -90..90 and longitude within -180..180, got {near_text!r}",
        )
    point = (lat, lon)
    try:
        within = float(within_text)
    except ValueError:
        raise ApiInputError("within_km", f"must be a number, got {within_text!r}") from None
    if not math.isfinite(within) or not 0 < within <= WITHIN_MAX_KM:
        raise ApiInputError("within_km", f"must be above 0 and at most {WITHIN_MAX_KM}")
    return point, within


def _limit(text: str | None) -> int:
    if not text:
        return LIMIT_DEFAULT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= LIMIT_MAX:
        raise ApiInputError("limit", f"must be a whole number from 1 to {LIMIT_MAX}, got {text!r}")
    return int(text)


def parse_bearer(header: str | None) -> str | None:
    """`Authorization: Bearer <token>` -> the token; None when the header is absent or not Bearer."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
