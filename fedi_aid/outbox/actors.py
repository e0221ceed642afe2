"""Tell peers that a local actor changed (profile or key rotation)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.actor_to_as import actor_to_as
from fedi_aid.activitypub.vocab import CONTEXT, PUBLIC
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.follows import follower_inboxes, list_following
from fedi_aid.db.models import Actor, OutgoingActivity
from fedi_aid.outbox.queue import inbox_of, queue_activity


async def send_actor_update(session: AsyncSession, ctx: Context, actor: Actor) -> OutgoingActivity:
    """Update{actor} to everyone who holds a copy: followers and those it follows."""
    inboxes = set(await follower_inboxes(session, actor))
    for follow in await list_following(session, actor):
        if not follow.followee.local and (inbox := inbox_of(follow.followee)):
            inboxes.add(inbox)
    document = actor_to_as(actor, updated=utcnow())
    document.pop("@context", None)
    update = {
        "@context": CONTEXT,
        "id": ctx.urls.activity("update"),
        "type": "Update",
        "actor": actor.uri,
        "to": [PUBLIC],
        "cc": [actor.followers_url],
        "object": document,
    }
    outgoing = await queue_activity(session, actor, update, inboxes)
    ctx.wake_workers()
    return outgoing
