"""Accept / Reject of a Follow one of our actors sent."""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.normalize import id_of
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.follows import find_follow, find_follow_by_uri, remove_follow
from fedi_aid.db.models import Follow
from fedi_aid.inbox.handlers.backfill import store_backfilled
from fedi_aid.inbox.handlers.base import HandlerContext


async def _our_follow(h: HandlerContext, activity: dict[str, Any]) -> Follow | None:
    obj = activity["object"]
    follow = await find_follow_by_uri(h.session, id_of(obj) or "")
    if follow is None and isinstance(obj, dict):
        # Some servers answer with a Follow that has a different id but the same parties.
        follower = await find_actor_by_uri(h.session, id_of(obj.get("actor")) or "")
        if follower is not None and follower.local:
            follow = await find_follow(h.session, follower, h.sender)
    # Only the followed actor may answer.
    if follow is None or follow.followee_id != h.sender.id:
        return None
    return follow


async def handle_accept_follow(h: HandlerContext, activity: dict[str, Any]) -> None:
    follow = await _our_follow(h, activity)
    if follow is not None:
        follow.state = "accepted"
        follow.updated_at = h.now
        if isinstance(h.fetched, list):
            await store_backfilled(h, h.fetched)


async def handle_reject_follow(h: HandlerContext, activity: dict[str, Any]) -> None:
    follow = await _our_follow(h, activity)
    if follow is not None:
        await remove_follow(h.session, follow)
