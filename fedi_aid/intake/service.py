"""What an organiser does with the intake queue: list, convert into a need, dismiss.

CLI, API and web UI call these. Errors are AidError (status 400/404/409) or NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

from fedi_aid.aid.publish import AidDraft, AidError, post_item
from fedi_aid.clock import isoformat, utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import get_local_actor
from fedi_aid.db.intake import STATES, get_intake, list_intake
from fedi_aid.db.models import AidItemRow
from fedi_aid.db.models_discovery import IntakeRequest
from fedi_aid.db.moderation import add_block
from fedi_aid.intake.parse import plain_request, suggested_title
from fedi_aid.intake.reply import handle_of, text_to_html
from fedi_aid.outbox.replies import send_direct_reply

ARTICLES = {"need": "a", "offer": "an"}
POLITE_DISMISSAL = (
    "Thank you for writing to us. We cannot take this on right now; "
    "please ask another group near you as well."
)


@dataclass
class Conversion:
    """What the organiser settles before the ask is published (None: take the suggestion)."""

    quantity: Decimal | int | float | str
    category: str | None = None
    unit: str = "one"
    kind: str | None = None
    title: str | None = None
    description: str | None = None
    urgency: str = "normal"
    place_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    expires_at: datetime | None = None
    asker_agreed: bool = False  # the asker said they may be named in public
    reply: bool = True


def intake_json(row: IntakeRequest, item_url: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "group": row.group.username,
        "state": row.state,
        "asker": handle_of(row.asker),
        "asker_uri": row.asker.uri,
        "note": row.note_uri,
        "text": row.text,
        "hashtags": list(row.hashtags or []),
        "suggested": {
            "kind": row.kind_hint or "need",
            "title": suggested_title(row.text),
            "category": row.category_hint,
        },
        "received_at": isoformat(row.received_at),
        "decided_at": isoformat(row.decided_at) if row.decided_at else None,
        "item": item_url,
        "reply": row.reply_uri,
    }


async def list_requests(ctx: Context, group_name: str, state: str | None) -> list[dict[str, Any]]:
    if state is not None and state not in STATES:
        raise AidError(f"state must be one of {', '.join(STATES)} or all, got {state!r}")
    async with ctx.sessions() as session:
        group = await get_local_actor(session, group_name, "Group")
        rows = await list_intake(session, group, state)
        urls = {}
        for row in rows:
            if row.item_id is not None and (item := await session.get(AidItemRow, row.item_id)):
                urls[row.id] = item.url or item.uri
        return [intake_json(row, urls.get(row.id)) for row in rows]


def _pending(row: IntakeRequest) -> None:
    if row.state != "pending":
        raise AidError(f"intake request {row.id} is already {row.state}", 409)


def _draft(row: IntakeRequest, conv: Conversion) -> AidDraft:
    category = conv.category or row.category_hint
    if not category:
        raise AidError("category: required (no category could be guessed from the hashtags)")
    handle = handle_of(row.asker)
    description = conv.description if conv.description is not None else plain_request(row.text)
    if conv.asker_agreed:
        description = f"{description}\n\nAsked by {handle}.".strip()
    return AidDraft(
        kind=conv.kind or row.kind_hint or "need",
        title=conv.title or suggested_title(row.text),
        category=category,
        quantity=conv.quantity,
        unit=conv.unit,
        description=description,
        urgency=conv.urgency,
        place_name=conv.place_name,
        latitude=conv.latitude,
        longitude=conv.longitude,
        radius_km=conv.radius_km,
        expires_at=conv.expires_at,
        requested_by=handle,  # local only, never federated
    )


async def convert_request(
    ctx: Context, group_name: str, intake_id: int, conv: Conversion
) -> dict[str, Any]:
    """Publish the ask as a need (or offer) of the group, and tell the asker where it is."""
    async with ctx.sessions.begin() as session:
        group = await get_local_actor(session, group_name, "Group")
        row = await get_intake(session, group, intake_id)
        _pending(row)
        if conv.kind is not None and conv.kind not in ("need", "offer"):
            raise AidError(f"kind must be need or offer, got {conv.kind!r}")
        item = await post_item(session, ctx, group, _draft(row, conv))
        row.state = "converted"
        row.asker_agreed = conv.asker_agreed
        row.item_id = item.id
        row.decided_at = utcnow()
        link = item.url or item.uri
        if conv.reply:
            body = (
                f"Thank you. We have posted your request as {ARTICLES[item.kind]} {item.kind}: "
                f'<a href="{escape(link)}">{escape(link)}</a>'
            )
            row.reply_uri = await send_direct_reply(
                session, ctx, group, row.asker, row.note_uri, body
            )
        return intake_json(row, link)


async def dismiss_request(
    ctx: Context, group_name: str, intake_id: int, *, reply: str | None, block: bool = False
) -> dict[str, Any]:
    """Close the ask; answer it with `reply` (None: stay silent); `block` keeps them out."""
    if reply is not None and not reply.strip():
        raise AidError("reply: must not be empty (leave it out to dismiss silently)")
    async with ctx.sessions.begin() as session:
        group = await get_local_actor(session, group_name, "Group")
        row = await get_intake(session, group, intake_id)
        _pending(row)
        now = utcnow()
        row.state = "dismissed"
        row.decided_at = now
        if reply is not None:
            row.reply_uri = await send_direct_reply(
                session, ctx, group, row.asker, row.note_uri, text_to_html(reply)
            )
        if block:
            await add_block(session, "actor", row.asker.uri, group.id, "dismissed from intake", now)
        return intake_json(row)
