"""Pledges, matches and notifications as plain dicts: what the CLI prints and the API answers."""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid.matching import Match
from fedi_aid.clock import isoformat
from fedi_aid.db.models import AidItemRow
from fedi_aid.db.models_pledges import Notification, Pledge


def _amount(value: Any) -> str | None:
    return None if value is None else format_decimal(value)


def pledge_record(pledge: Pledge) -> dict[str, Any]:
    item = pledge.item
    return {
        "id": pledge.id,
        "uri": pledge.uri,
        "item_id": pledge.item_id,
        "item_uri": item.uri,
        "item_title": item.title,
        "direction": pledge.direction,
        "source": pledge.source,
        "kind": pledge.kind,
        "state": pledge.state,
        "pledger": pledge.pledger_uri,
        "quantity": _amount(pledge.quantity),
        "unit": pledge.unit,
        "over_pledged": _amount(pledge.over_pledged),
        "text": pledge.text,
        "agreement": pledge.agreement_uri,
        "created_at": isoformat(pledge.created_at),
        "updated_at": isoformat(pledge.updated_at),
    }


def match_record(match: Match, row: AidItemRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "uri": row.uri,
        "kind": row.kind,
        "title": row.title,
        "group": row.group.uri,
        "category": row.category,
        "remaining": format_decimal(row.remaining),
        "unit": row.unit,
        "urgency": row.urgency,
        "place": row.place_name,
        "distance_km": None if match.distance_km is None else round(match.distance_km, 1),
        "coverage": match.coverage,
        "score": match.score,
        "expires_at": isoformat(row.expires_at) if row.expires_at else None,
    }


def notification_record(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "kind": note.kind,
        "subject": note.subject_uri,
        "text": note.text,
        "created_at": isoformat(note.created_at),
        "read_at": isoformat(note.read_at) if note.read_at else None,
    }


def pledge_line(record: dict[str, Any]) -> str:
    amount = f"{record['quantity']} {record['unit']}" if record["quantity"] else "(comment)"
    flag = f"  OVER-PLEDGED by {record['over_pledged']}" if record["over_pledged"] else ""
    arrow = "from" if record["direction"] == "in" else "to"
    title = record["item_title"]
    who = record["pledger"] if record["direction"] == "in" else record["item_uri"]
    return f"{record['id']}  {record['state']:<9}  {amount}  “{title}”  {arrow} {who}{flag}"


def match_line(record: dict[str, Any]) -> str:
    where = "" if record["distance_km"] is None else f", {record['distance_km']} km"
    return (
        f"{record['id']}  score {record['score']:.3f}  {record['remaining']} {record['unit']}  "
        f"“{record['title']}” ({record['urgency']}{where})  {record['group']}"
    )
