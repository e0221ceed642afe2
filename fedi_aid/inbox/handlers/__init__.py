"""Handlers keyed by (activity type, object type); None matches any object. Unknown: ignored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fedi_aid.activitypub.vocab import ACTOR_TYPES
from fedi_aid.inbox.handlers.actor_changes import handle_delete_actor, handle_update_actor
from fedi_aid.inbox.handlers.aid_objects import (
    handle_create_note,
    handle_delete_object,
    handle_update_note,
)
from fedi_aid.inbox.handlers.announce import handle_announce, prefetch_announce
from fedi_aid.inbox.handlers.answer_follow import handle_accept_follow, handle_reject_follow
from fedi_aid.inbox.handlers.backfill import prefetch_accept_backfill
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.inbox.handlers.flag import handle_flag
from fedi_aid.inbox.handlers.follow import handle_follow
from fedi_aid.inbox.handlers.pledges import (
    handle_accept_offer_or_follow,
    handle_offer,
    handle_reject_offer_or_follow,
)
from fedi_aid.inbox.handlers.undo import handle_undo_follow

Handler = Callable[[HandlerContext, dict[str, Any]], Awaitable[None]]
# Network work a handler needs done before its transaction starts (no I/O inside it).
Prefetch = Callable[[Any, dict[str, Any]], Awaitable[Any]]
PREFETCH: dict[str, Prefetch] = {
    "Announce": prefetch_announce,
    "Accept": prefetch_accept_backfill,
}

HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("Follow", None): handle_follow,
    ("Accept", "Follow"): handle_accept_follow,
    ("Reject", "Follow"): handle_reject_follow,
    ("Undo", "Follow"): handle_undo_follow,
    ("Delete", "Actor"): handle_delete_actor,
    ("Delete", None): handle_delete_object,
    ("Create", "Note"): handle_create_note,
    ("Create", "Proposal"): handle_create_note,
    ("Update", "Note"): handle_update_note,
    ("Update", "Proposal"): handle_update_note,
    ("Announce", None): handle_announce,
    ("Flag", None): handle_flag,
    ("Offer", "Agreement"): handle_offer,
    ("Accept", "Offer"): handle_accept_offer_or_follow,
    ("Reject", "Offer"): handle_reject_offer_or_follow,
    **{("Update", actor_type): handle_update_actor for actor_type in ACTOR_TYPES},
}


def object_type(activity: dict[str, Any]) -> str | None:
    obj = activity.get("object")
    if isinstance(obj, dict):
        return obj.get("type") if isinstance(obj.get("type"), str) else None
    return None


def find_handler(activity: dict[str, Any]) -> Handler | None:
    type_ = activity.get("type")
    if not isinstance(type_, str):
        return None
    obj_type = object_type(activity)
    if type_ in ("Accept", "Reject") and obj_type is None:
        # Mitra answers a Follow with its bare id, FEP-0837 an Offer: the Offer handler looks for
        # our Offer first and hands anything else to the Follow handler, which checks it is ours.
        obj_type = "Offer"
    if type_ == "Delete" and activity.get("object") == activity.get("actor"):
        obj_type = "Actor"
    if type_ == "Delete" and obj_type in ACTOR_TYPES:
        obj_type = "Actor"
    return HANDLERS.get((type_, obj_type)) or HANDLERS.get((type_, None))
