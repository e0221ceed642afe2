"""The need/offer form <-> what the service takes. Pure: reuses the API's validation.

A form sends strings; they become the JSON-shaped body of the native API and go through the
same parser (aid/api_input.py), so the browser, the API and the CLI accept the same values and
name the same fields in their errors.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid.api_input import ApiInputError, parse_changes, parse_create
from fedi_aid.aid.categories import NAMESPACE
from fedi_aid.aid.publish import AidDraft
from fedi_aid.clock import as_utc
from fedi_aid.db.models import AidItemRow

TEXT_FIELDS = ("title", "category", "quantity", "unit", "description", "urgency")
PLACE_FIELDS = (("place_name", "name"), ("latitude", "latitude"), ("longitude", "longitude"))
EDIT_FIELDS = (
    "title",
    "category",
    "quantity",
    "remaining",
    "unit",
    "description",
    "urgency",
    "place_name",
    "latitude",
    "longitude",
    "radius_km",
    "expires",
    "content_warning",
)


def _number(form: dict[str, str], name: str, label: str) -> Decimal | None:
    raw = form.get(name, "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ApiInputError(label, f"must be a number, got {raw!r}") from None
    if not value.is_finite():
        raise ApiInputError(label, f"must be a finite number, got {raw!r}")
    return value


def _place(form: dict[str, str]) -> dict[str, Any] | None:
    place: dict[str, Any] = {}
    if form.get("place_name", "").strip():
        place["name"] = form["place_name"]
    for name in ("latitude", "longitude", "radius_km"):
        value = _number(form, name, f"place.{name}")
        if value is not None:
            place[name] = value
    return place or None


def form_to_draft(kind: str, form: dict[str, str], now: datetime) -> AidDraft:
    """A submitted "post a need/offer" form -> AidDraft. ApiInputError names the bad field."""
    body: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    for name in ("content_warning", "requested_by"):
        if form.get(name, "").strip():
            body[name] = form[name]
    body["visibility"] = form.get("visibility") or "public"
    if not body["urgency"]:
        body["urgency"] = None
    place = _place(form)
    if place is not None:
        body["place"] = place
    if form.get("expires", "").strip():
        body["expires"] = form["expires"].strip()
    return parse_create(kind, body, now)


def item_form_values(row: AidItemRow) -> dict[str, str]:
    """How a stored item shows in the edit form (and what "unchanged" means)."""
    category = row.category
    if category.startswith(NAMESPACE):
        category = category[len(NAMESPACE) :]

    def num(value: float | Decimal | None) -> str:
        if value is None:
            return ""
        return format_decimal(Decimal(str(value)))

    return {
        "title": row.title,
        "category": category,
        "quantity": num(row.quantity),
        "remaining": num(row.remaining),
        "unit": row.unit,
        "description": row.description or "",
        "urgency": row.urgency,
        "place_name": row.place_name or "",
        "latitude": num(row.latitude),
        "longitude": num(row.longitude),
        "radius_km": num(row.radius_km),
        "expires": as_utc(row.expires_at).strftime("%Y-%m-%d") if row.expires_at else "",
        "content_warning": row.content_warning or "",
        "visibility": row.visibility,
        "requested_by": row.requested_by or "",
    }


def form_to_changes(row: AidItemRow, form: dict[str, str], now: datetime) -> dict[str, Any]:
    """The edit form -> changes for update_item: only the fields that differ from the row."""
    before = item_form_values(row)
    changed = {
        name for name in EDIT_FIELDS if name in form and form[name].strip() != before[name].strip()
    }
    body: dict[str, Any] = {}
    for name in ("title", "unit", "description", "urgency", "category"):
        if name in changed:
            body[name] = form[name]
    if "content_warning" in changed:
        body["content_warning"] = form["content_warning"] or None
    for name in ("quantity", "remaining"):
        if name in changed:
            body[name] = form[name].strip().replace(",", ".") or None
    if changed & {"place_name", "latitude", "longitude", "radius_km"}:
        place: dict[str, Any] = {"name": form.get("place_name", "")}
        for name in ("latitude", "longitude", "radius_km"):
            place[name] = _number(form, name, f"place.{name}")
        body["place"] = place
    if "expires" in changed:
        body["expires"] = form["expires"].strip() or None
    if not body:
        return {}
    return parse_changes(body, now)
