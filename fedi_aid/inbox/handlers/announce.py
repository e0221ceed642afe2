"""Announce of a need/offer (a relay or a boost), or of its author's Update/Delete (FEP-1b12).

Nothing a relayer embeds is trusted: the object is fetched from its author's server first
(`prefetch_announce`, outside the transaction), and only that copy is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from fedi_aid.activitypub.from_as import BadAidObject, as_note_to_aid_item
from fedi_aid.activitypub.normalize import host_of, id_of
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.follows import is_followed_locally
from fedi_aid.db.matching import notify_matching_needs
from fedi_aid.db.models import Actor
from fedi_aid.federation.http_client import FetchError
from fedi_aid.federation.resolver import ResolveError, fetch_actor
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.inbox.handlers.relaying import forward_change, relay_if_wanted
from fedi_aid.inbox.handlers.storing import store_remote_item

log = logging.getLogger(__name__)
CHANGES = ("Create", "Update", "Delete")


@dataclass
class Announced:
    object_uri: str
    change: dict[str, Any] | None  # the embedded Create/Update/Delete, if any
    document: dict[str, Any] | None  # the object as its origin serves it now
    gone: bool  # the origin says it no longer exists (404/410)
    hop_count: int


def announced_object(activity: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    obj = activity.get("object")
    if isinstance(obj, dict) and obj.get("type") in CHANGES:
        return id_of(obj.get("object")), obj
    return id_of(obj), None


async def _followed_by_us(ctx: Context, actor_uri: str) -> bool:
    async with ctx.sessions() as session:
        announcer = await find_actor_by_uri(session, actor_uri)
        return announcer is not None and await is_followed_locally(session, announcer)


async def prefetch_announce(ctx: Context, activity: dict[str, Any]) -> Announced | None:
    object_uri, change = announced_object(activity)
    if not object_uri or not await _followed_by_us(ctx, activity["actor"]):
        return None
    hop_count = activity.get("hopCount")
    hop_count = hop_count if isinstance(hop_count, int) and hop_count >= 1 else 1
    async with ctx.sessions() as session:
        held = await find_item_by_uri(session, object_uri)
    if held is not None and held.local:
        return Announced(object_uri, change, None, held.status != "open", hop_count)
    try:
        response = await ctx.http.get(object_uri, sign_with=ctx.instance_key)
    except FetchError as exc:
        log.info("cannot verify announced %s at its origin: %s", object_uri, exc)
        return None
    if response.status in (404, 410):
        return Announced(object_uri, change, None, True, hop_count)
    if response.status != 200:
        return None
    try:
        document = response.json()
    except FetchError:
        return None
    if not isinstance(document, dict) or document.get("id") != response.url:
        return None  # an object is only what its own URL serves
    author = id_of(document.get("attributedTo"))
    if not author or host_of(author) != host_of(object_uri):
        return None
    try:
        await fetch_actor(ctx, author)
    except ResolveError as exc:
        log.info("cannot fetch the author of %s: %s", object_uri, exc)
        return None
    return Announced(object_uri, change, document, False, hop_count)


async def handle_announce(h: HandlerContext, activity: dict[str, Any]) -> None:
    found: Announced | None = h.fetched
    if found is None:
        return
    row = await find_item_by_uri(h.session, found.object_uri)
    if found.document is None:
        if found.gone and row is not None and not row.local:
            await h.session.delete(row)
            if found.change is not None:
                await forward_change(h, found.object_uri, found.change)
        return
    try:
        item = as_note_to_aid_item(found.document)
    except BadAidObject as exc:
        log.info("announced %s is not a valid need/offer: %s", found.object_uri, exc)
        return
    if item is None:
        return  # a plain post
    author = (
        await h.session.execute(select(Actor).where(Actor.uri == item.group_uri))
    ).scalar_one_or_none()
    if author is None:
        return
    # The origin's copy is the truth: stored, or refreshed if we had it.
    stored = await store_remote_item(h, item, author, found.hop_count)
    if stored is not None:
        await notify_matching_needs(h.session, stored, h.now)
    if found.change is not None and found.change.get("type") in ("Update", "Delete"):
        await forward_change(h, found.object_uri, found.change)
        return
    await relay_if_wanted(h, item, found.hop_count, h.sender)
