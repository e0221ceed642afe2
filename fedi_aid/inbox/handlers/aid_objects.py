"""Create / Update / Delete of a remote need or offer. Only its owner may change it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists, select

from fedi_aid.activitypub.from_as import BadAidObject, as_note_to_aid_item
from fedi_aid.activitypub.normalize import id_of
from fedi_aid.aid.rows import apply_item
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.follows import is_followed_locally
from fedi_aid.db.matching import notify_matching_needs
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.inbox.handlers.pledges import handle_reply
from fedi_aid.inbox.handlers.relaying import forward_change, relay_if_wanted
from fedi_aid.intake.receive import take_into_intake

log = logging.getLogger(__name__)


async def _wanted(h: HandlerContext, activity: dict[str, Any]) -> bool:
    """We keep what a local actor follows the author for, or what is addressed to us."""
    if await is_followed_locally(h.session, h.sender):
        return True
    audience = set(activity.get("to", [])) | set(activity.get("cc", []))
    obj = activity.get("object")
    if isinstance(obj, dict):
        audience |= set(obj.get("to", [])) | set(obj.get("cc", []))
    local = await h.session.execute(
        select(exists().where(Actor.local.is_(True), Actor.uri.in_(audience)))
    )
    return bool(local.scalar())


def _convert(h: HandlerContext, obj: Any) -> Any:
    if not isinstance(obj, dict) or id_of(obj.get("attributedTo")) != h.sender.uri:
        return None  # only an author's own objects, never someone else's
    try:
        return as_note_to_aid_item(obj, followers_url=h.sender.followers_url)
    except BadAidObject as exc:
        log.info("ignoring a bad need/offer from %s: %s", h.sender.uri, exc)
        return None


async def handle_create_note(h: HandlerContext, activity: dict[str, Any]) -> None:
    item = _convert(h, activity["object"])
    if item is None:
        # A reply to one of our needs is a pledge (or a comment): inbox/handlers/pledges.py.
        await handle_reply(h, activity)
        # A plain post: one that mentions a local group is an ask for its intake queue
        # (replies to the group's own needs are left to the pledge path).
        await take_into_intake(h, activity)
        return
    if not await _wanted(h, activity):
        return  # nobody here asked for it
    if await find_item_by_uri(h.session, item.uri) is not None:
        return  # stored once, whatever path it came by
    row = AidItemRow(uri=item.uri, local=False, group_id=h.sender.id, received_at=h.now)
    apply_item(row, item)
    h.session.add(row)
    await h.session.flush()
    await notify_matching_needs(h.session, row, h.now)
    await relay_if_wanted(h, item, 0, h.sender)


async def handle_update_note(h: HandlerContext, activity: dict[str, Any]) -> None:
    obj = activity["object"]
    row = await find_item_by_uri(h.session, id_of(obj) or "")
    if row is None:
        await handle_create_note(h, activity)
        return
    if row.local or row.group_id != h.sender.id:
        log.warning("refused Update of %s by %s: not the owner", row.uri, h.sender.uri)
        return
    item = _convert(h, obj)
    if item is not None:
        apply_item(row, item)
        await forward_change(h, row.uri, activity)


async def handle_delete_object(h: HandlerContext, activity: dict[str, Any]) -> None:
    row = await find_item_by_uri(h.session, id_of(activity["object"]) or "")
    if row is None:
        return
    if row.local or row.group_id != h.sender.id:
        log.warning("refused Delete of %s by %s: not the owner", row.uri, h.sender.uri)
        return
    await h.session.delete(row)
    await forward_change(h, row.uri, activity)
