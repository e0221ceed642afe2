"""The URL side of a native API request -> what the listing takes. Pure: no I/O.

Query parameters, item ids in paths, the opaque list cursor and the bearer token header. Bad
values raise ApiInputError (400) naming the parameter, as for bodies (aid/api_input.py).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fedi_aid.aid.api_input import CATEGORY_MAX, REF_MAX, ApiInputError
from fedi_aid.aid.categories import UnknownCategory, resolve_category

WITHIN_MAX_KM = 20_100  # half the Earth's circumference, and a little more
LIMIT_DEFAULT, LIMIT_MAX = 20, 100
ID_MAX = 2**63 - 1
LIST_STATUSES = ("open", "partly_met", "met", "withdrawn", "expired", "all")
ORIGINS = ("local", "remote")
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
    category = _category(params.get("category"))
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


def _category(text: str | None) -> str | None:
    if not text:
        return None
    if len(text) > CATEGORY_MAX:
        raise ApiInputError("category", f"must be at most {CATEGORY_MAX} characters")
    try:
        return resolve_category(text)
    except UnknownCategory as exc:
        raise ApiInputError("category", str(exc)) from None


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
