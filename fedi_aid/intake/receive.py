"""Inbound side of intake: a Create{Note} mentioning a local group becomes a queued ask.

Called by the Create{Note} handler for posts that are not needs or offers, inside its
transaction (no network). Replies to one of the group's own needs are pledges, not asks, and
are left alone here. Blocked actors and domains never reach the queue; each remote actor and
each domain may ask only so often (the rest is dropped and logged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from fedi_aid.activitypub.normalize import id_of
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.domains import is_domain_blocked
from fedi_aid.db.intake import count_recent_from_actor, count_recent_from_domain, find_intake
from fedi_aid.db.models import Actor
from fedi_aid.db.models_discovery import IntakeRequest
from fedi_aid.db.moderation import is_blocked
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.intake.parse import mention_ask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeLimits:
    per_actor: int = 5
    per_domain: int = 30
    window: timedelta = timedelta(hours=1)


LIMITS = IntakeLimits()


async def take_into_intake(
    h: HandlerContext, activity: dict[str, Any], limits: IntakeLimits | None = None
) -> int:
    """Queue the ask for every local group it mentions; returns how many rows were added."""
    limits = limits or LIMITS
    obj = activity.get("object")
    if not isinstance(obj, dict) or id_of(obj.get("attributedTo")) != h.sender.uri:
        return 0  # only the author's own post
    ask = mention_ask(obj)
    if ask is None:
        return 0
    groups = (
        (
            await h.session.execute(
                select(Actor).where(
                    Actor.local.is_(True), Actor.type == "Group", Actor.uri.in_(ask.mentions)
                )
            )
        )
        .scalars()
        .all()
    )
    if not groups:
        return 0
    domain = h.sender.domain
    if await is_domain_blocked(h.session, domain):
        return 0
    replied_item = await find_item_by_uri(h.session, ask.in_reply_to) if ask.in_reply_to else None
    since = h.now - limits.window
    if await count_recent_from_actor(h.session, h.sender.id, since) >= limits.per_actor:
        log.info("intake: %s asks too often; dropped %s", h.sender.uri, ask.note_uri)
        return 0
    if await count_recent_from_domain(h.session, domain, since) >= limits.per_domain:
        log.info("intake: too many asks from %s; dropped %s", domain, ask.note_uri)
        return 0
    added = 0
    for group in groups:
        if replied_item is not None and replied_item.local and replied_item.group_id == group.id:
            continue  # an answer to the group's own need: a pledge, handled elsewhere
        if await is_blocked(h.session, h.sender.uri, domain, group.id):
            continue
        if await find_intake(h.session, group, ask.note_uri) is not None:
            continue
        h.session.add(
            IntakeRequest(
                group_id=group.id,
                asker_id=h.sender.id,
                note_uri=ask.note_uri,
                domain=domain,
                text=ask.text,
                hashtags=list(ask.hashtags),
                kind_hint=ask.kind_hint,
                category_hint=ask.category_hint,
                state="pending",
                asker_agreed=False,
                received_at=h.now,
            )
        )
        added += 1
    if added:
        await h.session.flush()
    return added
