"""JSON bodies sent to the native API -> what the service takes. Pure: no I/O.

Every problem raises ApiInputError naming the field (`quantity`, `place.latitude`,
`direct_to[1]`, `body`, `Content-Type`...); web/api_query.py does the same for the URL.

The rule for statuses: a body that is not JSON or not a JSON object, and a value that is
missing, of the wrong type, out of range or unknown (category), is 400; a body that is not
declared as JSON is 415. 422 is never used. Conflicts with the item's lifecycle (edit a
withdrawn need) come from the service as 409.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
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
        shown = value if isinstance(value, Decimal) else _json_type(value)
        raise ApiInputError("hop_budget", f"must be a whole number, got {shown}")
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
