"""JSON bodies of the intake API -> what the intake service takes. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fedi_aid.aid.api_input import ApiInputError, parse_create
from fedi_aid.intake.service import Conversion

CONVERT_FIELDS = (
    "quantity",
    "unit",
    "category",
    "kind",
    "title",
    "description",
    "urgency",
    "place",
    "expires",
    "expires_at",
    "asker_agreed",
    "reply",
)
DISMISS_FIELDS = ("reply", "block")
REPLY_MAX = 2000


def _flag(body: Mapping[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiInputError(name, f"must be true or false, got {value!r}")
    return value


def _unknown(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise ApiInputError(key, f"unknown field; expected one of {', '.join(allowed)}")


def parse_conversion(
    body: Mapping[str, Any], title: str, category: str | None, now: datetime
) -> Conversion:
    """`title` and `category` are the suggestions used when the body leaves them out."""
    _unknown(body, CONVERT_FIELDS)
    kind = body.get("kind")
    if kind is not None and kind not in ("need", "offer"):
        raise ApiInputError("kind", f"must be need or offer, got {kind!r}")
    if body.get("category") is None and category is None:
        raise ApiInputError("category", "is required (none could be guessed from the hashtags)")
    fields = {k: v for k, v in body.items() if k not in ("kind", "asker_agreed", "reply")}
    fields.setdefault("title", title)
    fields.setdefault("unit", "one")
    if fields.get("category") is None:
        fields["category"] = category
    draft = parse_create(kind or "need", fields, now)
    return Conversion(
        quantity=draft.quantity,
        category=draft.category,
        unit=draft.unit,
        kind=kind,
        title=draft.title,
        description=draft.description if "description" in body else None,
        urgency=draft.urgency,
        place_name=draft.place_name,
        latitude=draft.latitude,
        longitude=draft.longitude,
        radius_km=draft.radius_km,
        expires_at=draft.expires_at,
        asker_agreed=_flag(body, "asker_agreed", False),
        reply=_flag(body, "reply", True),
    )


def parse_dismissal(body: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(reply text or None for silence, block)."""
    _unknown(body, DISMISS_FIELDS)
    reply = body.get("reply")
    if reply is not None and (not isinstance(reply, str) or not reply.strip()):
        raise ApiInputError("reply", "must be a non-empty string, or null to stay silent")
    if reply is not None and len(reply) > REPLY_MAX:
        raise ApiInputError("reply", f"must be at most {REPLY_MAX} characters long")
    return reply, _flag(body, "block", False)
