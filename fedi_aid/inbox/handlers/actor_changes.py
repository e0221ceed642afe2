"""Update of an actor (profile, key rotation) and Delete of an actor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from fedi_aid.activitypub.actor_from_as import BadActor, apply_actor_fields, as_actor_to_fields
from fedi_aid.activitypub.normalize import id_of
from fedi_aid.db.models import Actor
from fedi_aid.inbox.handlers.base import HandlerContext


async def handle_update_actor(h: HandlerContext, activity: dict[str, Any]) -> None:
    doc = activity["object"]
    # Only an actor may update itself; the signature proved who the sender is.
    if not isinstance(doc, dict) or doc.get("id") != h.sender.uri:
        return
    try:
        fields = as_actor_to_fields(doc)
    except BadActor:
        return
    apply_actor_fields(h.sender, fields)
    h.sender.raw = doc
    h.sender.fetched_at = h.now
    h.sender.updated_at = h.now


async def handle_delete_actor(h: HandlerContext, activity: dict[str, Any]) -> None:
    if id_of(activity["object"]) != h.sender.uri or h.sender.local:
        return
    await h.session.execute(delete(Actor).where(Actor.id == h.sender.id))
