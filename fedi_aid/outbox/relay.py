"""Announce: a group passes on a need (as Mastodon boosts), or forwards its author's change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.vocab import CONTEXT, PUBLIC
from fedi_aid.clock import isoformat, utcnow
from fedi_aid.context import Context
from fedi_aid.db.follows import follower_inboxes
from fedi_aid.db.models import Actor, OutgoingActivity
from fedi_aid.outbox.queue import queue_activity


def announce_activity(
    ctx: Context, group: Actor, obj: str | dict[str, Any], hop_count: int
) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": ctx.urls.activity("announce"),
        "type": "Announce",
        "actor": group.uri,
        "published": isoformat(utcnow()),
        "to": [PUBLIC],
        "cc": [group.followers_url],
        "object": obj,
        "hopCount": hop_count,
    }


async def send_announce(
    session: AsyncSession,
    ctx: Context,
    group: Actor,
    obj: str | dict[str, Any],
    hop_count: int,
    activity: dict[str, Any] | None = None,
) -> OutgoingActivity:
    """Announce an object by id (a boost) or an embedded activity (FEP-1b12 forwarding)."""
    activity = activity or announce_activity(ctx, group, obj, hop_count)
    outgoing = await queue_activity(
        session, group, activity, await follower_inboxes(session, group)
    )
    ctx.wake_workers()
    return outgoing
