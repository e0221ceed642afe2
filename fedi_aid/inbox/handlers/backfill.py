"""When a group accepts our follow, fetch its current open needs and offers from its outbox.

Without this a new follower would see only what is posted after it followed. Each object is
fetched by its own id from the group's server (signed GET), so only the origin's copy is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from fedi_aid.activitypub.from_as import BadAidObject, as_note_to_aid_item
from fedi_aid.activitypub.normalize import host_of, id_of
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.follows import find_follow, find_follow_by_uri
from fedi_aid.federation.http_client import FetchError
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.inbox.handlers.storing import store_remote_item

log = logging.getLogger(__name__)
MAX_ITEMS = 20


async def _pending_follow_target(ctx: Context, activity: dict[str, Any]) -> Any:
    obj = activity.get("object")
    async with ctx.sessions() as session:
        follow = await find_follow_by_uri(session, id_of(obj) or "")
        if follow is None and isinstance(obj, dict):
            follower = await find_actor_by_uri(session, id_of(obj.get("actor")) or "")
            followee = await find_actor_by_uri(session, activity.get("actor") or "")
            if follower is not None and follower.local and followee is not None:
                follow = await find_follow(session, follower, followee)
        if follow is None or follow.state != "pending" or follow.followee.uri != activity["actor"]:
            return None
        return follow.followee


async def _get(ctx: Context, url: str) -> dict[str, Any] | None:
    try:
        final_url, doc = await ctx.http.get_json(url, sign_with=ctx.instance_key)
    except FetchError as exc:
        log.info("backfill: cannot fetch %s: %s", url, exc)
        return None
    return doc if doc.get("id") in (final_url, url) else None


def _created_object_ids(page: dict[str, Any], host: str) -> list[str]:
    ids = []
    for entry in page.get("orderedItems") or page.get("items") or []:
        if isinstance(entry, dict) and entry.get("type") == "Create":
            object_id = id_of(entry.get("object"))
            if object_id and host_of(object_id) == host and object_id not in ids:
                ids.append(object_id)
    return ids[:MAX_ITEMS]


async def prefetch_accept_backfill(ctx: Context, activity: dict[str, Any]) -> list[dict] | None:
    followee = await _pending_follow_target(ctx, activity)
    if followee is None or not followee.outbox:
        return None
    collection = await _get(ctx, followee.outbox)
    if collection is None:
        return None
    first = collection.get("first")
    page = first if isinstance(first, dict) else await _get(ctx, first) if first else collection
    if page is None:
        return None
    documents = []
    for object_id in _created_object_ids(page, host_of(followee.uri)):
        doc = await _get(ctx, object_id)
        if doc is not None and id_of(doc.get("attributedTo")) == followee.uri:
            documents.append(doc)
    return documents


async def store_backfilled(h: HandlerContext, documents: list[dict[str, Any]]) -> int:
    stored = 0
    for doc in documents:
        try:
            item = as_note_to_aid_item(doc, followers_url=h.sender.followers_url)
        except BadAidObject as exc:
            log.info("backfill: skipping %s: %s", doc.get("id"), exc)
            continue
        if item is None or item.status not in ("open", "partly_met"):
            continue
        if await store_remote_item(h, item, h.sender, 0) is not None:
            stored += 1
    return stored
