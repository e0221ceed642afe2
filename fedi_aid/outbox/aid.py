"""Create / Update / Delete of a local need or offer, to the audience its visibility allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.to_as import aid_item_to_as_note, aid_item_to_as_tombstone, audience
from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.aid.rows import row_to_item
from fedi_aid.clock import isoformat, utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.follows import follower_inboxes
from fedi_aid.db.models import Actor, AidItemRow, OutgoingActivity
from fedi_aid.outbox.queue import inbox_of, queue_activity


async def audience_inboxes(session: AsyncSession, group: Actor, row: AidItemRow) -> list[str]:
    """Followers for public, unlisted and followers-only; the named actors for direct."""
    if row.visibility != "direct":
        return await follower_inboxes(session, group)
    inboxes = []
    for uri in row.direct_to or []:
        actor = await find_actor_by_uri(session, uri)
        if actor is not None and not actor.local and (inbox := inbox_of(actor)):
            inboxes.append(inbox)
    return inboxes


def _note(row: AidItemRow, group: Actor) -> dict[str, Any]:
    note = aid_item_to_as_note(row_to_item(row, group))
    note.pop("@context", None)
    return note


async def _send(
    session: AsyncSession,
    ctx: Context,
    group: Actor,
    row: AidItemRow,
    verb: str,
    obj: dict[str, Any],
    now: datetime,
) -> OutgoingActivity:
    to, cc = audience(row_to_item(row, group))
    activity = {
        "@context": CONTEXT,
        "id": ctx.urls.activity(verb.lower()),
        "type": verb,
        "actor": group.uri,
        "published": isoformat(now),
        "to": to,
        "cc": cc,
        "object": obj,
    }
    outgoing = await queue_activity(
        session, group, activity, await audience_inboxes(session, group, row), now=now
    )
    ctx.wake_workers()
    return outgoing


async def send_aid_create(
    session: AsyncSession, ctx: Context, group: Actor, row: AidItemRow
) -> OutgoingActivity:
    return await _send(session, ctx, group, row, "Create", _note(row, group), utcnow())


async def send_aid_update(
    session: AsyncSession, ctx: Context, group: Actor, row: AidItemRow
) -> OutgoingActivity:
    return await _send(session, ctx, group, row, "Update", _note(row, group), utcnow())


async def send_aid_delete(
    session: AsyncSession, ctx: Context, group: Actor, row: AidItemRow, now: datetime | None = None
) -> OutgoingActivity:
    now = now or utcnow()
    tombstone = aid_item_to_as_tombstone(row.uri, now)
    tombstone.pop("@context", None)
    return await _send(session, ctx, group, row, "Delete", tombstone, now)
