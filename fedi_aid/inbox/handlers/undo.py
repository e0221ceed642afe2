"""Undo{Follow}: the follower withdraws."""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.normalize import id_of
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.follows import find_follow, find_follow_by_uri, remove_follow
from fedi_aid.inbox.handlers.base import HandlerContext


async def handle_undo_follow(h: HandlerContext, activity: dict[str, Any]) -> None:
    obj = activity["object"]
    follow = await find_follow_by_uri(h.session, id_of(obj) or "")
    if follow is None and isinstance(obj, dict):
        target = await find_actor_by_uri(h.session, id_of(obj.get("object")) or "")
        if target is not None:
            follow = await find_follow(h.session, h.sender, target)
    if follow is not None and follow.follower_id == h.sender.id:
        await remove_follow(h.session, follow)
