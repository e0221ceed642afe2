"""Follow of a local actor: accept at once, or hold it when the actor is locked."""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.normalize import id_of
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.follows import find_follow, save_follow
from fedi_aid.db.moderation import is_blocked, is_domain_silenced
from fedi_aid.db.pledges import add_notification
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.outbox.follows import send_accept, send_reject
from fedi_aid.outbox.replies import mention_name


async def handle_follow(h: HandlerContext, activity: dict[str, Any]) -> None:
    target = await find_actor_by_uri(h.session, id_of(activity["object"]) or "")
    if target is None or not target.local or target.type == "Application":
        return
    if await is_blocked(h.session, h.sender.uri, h.sender.domain, target.id):
        await send_reject(
            h.session,
            h.ctx,
            await save_follow(h.session, h.sender, target, activity["id"], "pending", h.now),
        )
        return
    # A silenced domain's follows wait for an organiser, whatever the group's setting.
    held = target.locked or await is_domain_silenced(h.session, h.sender.domain)
    state = "pending" if held else "accepted"
    known = await find_follow(h.session, h.sender, target)
    follow = await save_follow(h.session, h.sender, target, activity["id"], state, h.now)
    if known is None or known.state != follow.state:  # a repeated Follow tells nobody twice
        kind = "follow" if state == "accepted" else "follow_request"
        text = f"{mention_name(h.sender)} {'follows' if state == 'accepted' else 'asks to follow'}"
        await add_notification(h.session, target.id, kind, h.sender.uri, text, h.now)
    if state == "accepted":
        await send_accept(h.session, h.ctx, follow)
