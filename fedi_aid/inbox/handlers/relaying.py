"""Pass needs on to our followers (Announce) and forward their authors' changes."""

from __future__ import annotations

import logging
from typing import Any

from fedi_aid.aid.model import AidItem
from fedi_aid.aid.relay_policy import refusal
from fedi_aid.db.models import Actor
from fedi_aid.db.moderation import is_domain_silenced
from fedi_aid.db.relays import (
    get_policy,
    groups_that_relayed,
    local_groups_following,
    record_relay,
)
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.outbox.relay import announce_activity, send_announce

log = logging.getLogger(__name__)


def home_of(group: Actor) -> tuple[float, float] | None:
    if group.home_latitude is None or group.home_longitude is None:
        return None
    return group.home_latitude, group.home_longitude


async def relay_if_wanted(h: HandlerContext, item: AidItem, hop_count: int, source: Actor) -> int:
    """Each local group that follows `source` relays `item` once, if its policy accepts it."""
    relayed = 0
    if await is_domain_silenced(h.session, source.domain):
        return 0  # moderation: a silenced domain reaches its followers only
    for group in await local_groups_following(h.session, source):
        policy = await get_policy(h.session, group)
        reason = refusal(policy, item, home_of(group), hop_count)
        if reason is not None:
            log.debug("%s does not relay %s: %s", group.username, item.uri, reason)
            continue
        activity = announce_activity(h.ctx, group, item.uri, hop_count + 1)
        if await record_relay(h.session, group, item.uri, activity["id"], hop_count + 1, h.now):
            await send_announce(h.session, h.ctx, group, item.uri, hop_count + 1, activity)
            relayed += 1
    return relayed


async def forward_change(h: HandlerContext, object_uri: str, change: dict[str, Any]) -> None:
    """Groups that relayed `object_uri` pass its author's Update/Delete on, once each."""
    change_id = change.get("id")
    inner = {k: v for k, v in change.items() if k != "@context"}
    for group in await groups_that_relayed(h.session, object_uri):
        if not isinstance(change_id, str):
            continue
        activity = announce_activity(h.ctx, group, inner, 0)
        activity.pop("hopCount")
        if await record_relay(h.session, group, change_id, activity["id"], 0, h.now):
            await send_announce(h.session, h.ctx, group, inner, 0, activity)
