"""What our actors sent, at its id: activities (/activities/...) and the groups' reply notes
(/notes/<token>, their Create at /notes/<token>/activity).

A public activity answers anyone. Anything else answers only a signed fetch by one of its
addressees, or by an accepted follower when it was addressed to the sender's followers;
everyone else gets 404, as if it did not exist (the same rule as non-public needs).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from sqlalchemy import select

from fedi_aid.activitypub.normalize import id_of
from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.db.follows import find_follow
from fedi_aid.db.models import Actor, OutgoingActivity
from fedi_aid.web.aid_objects import signed_fetcher
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.responses import activity_response

AUDIENCE_FIELDS = ("to", "cc", "bto", "bcc", "audience")


def addressees(activity: dict[str, Any]) -> set[str]:
    """Every id an activity is addressed to. Pure."""
    found: set[str] = set()
    for field in AUDIENCE_FIELDS:
        value = activity.get(field)
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(uri := id_of(entry), str):
                found.add(uri)
    return found


async def _sent(request: web.Request, uri: str) -> tuple[dict[str, Any], Actor] | None:
    """The activity we sent with id URI and its sender, if this request may read it."""
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        row = (
            await session.execute(
                select(OutgoingActivity, Actor)
                .join(Actor, Actor.id == OutgoingActivity.actor_id)
                .where(OutgoingActivity.uri == uri)
            )
        ).first()
    if row is None:
        return None
    outgoing, sender = row
    activity = json.loads(outgoing.body)
    if outgoing.public or await _in_audience(request, activity, sender):
        return activity, sender
    return None


async def _in_audience(request: web.Request, activity: dict[str, Any], sender: Actor) -> bool:
    fetcher = await signed_fetcher(request)
    if fetcher is None:
        return False
    audience = addressees(activity)
    if fetcher.uri in audience:
        return True
    if sender.followers_url not in audience:
        return False
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        follow = await find_follow(session, fetcher, sender)
    return follow is not None and follow.state == "accepted"


def _public_copy(activity: dict[str, Any]) -> dict[str, Any]:
    """What we show of it: blind copies stay blind."""
    return {k: v for k, v in activity.items() if k not in ("bto", "bcc")}


async def activity_view(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    path = f"/activities/{request.match_info['kind']}/{request.match_info['token']}"
    found = await _sent(request, ctx.settings.url(path))
    if found is None:
        raise web.HTTPNotFound(text="no such activity")
    return activity_response(_public_copy(found[0]))


async def note_activity_view(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    found = await _sent(request, ctx.settings.url(f"/notes/{request.match_info['token']}/activity"))
    if found is None:
        raise web.HTTPNotFound(text="no such note")
    return activity_response(_public_copy(found[0]))


async def note_view(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    note_id = ctx.settings.url(f"/notes/{request.match_info['token']}")
    found = await _sent(request, f"{note_id}/activity")
    note = found[0].get("object") if found is not None else None
    if not isinstance(note, dict) or note.get("id") != note_id:
        raise web.HTTPNotFound(text="no such note")
    return activity_response({"@context": CONTEXT, **_public_copy(note)})


def setup(app: web.Application) -> None:
    app.router.add_get("/activities/{kind}/{token}", activity_view)
    app.router.add_get("/notes/{token}", note_view)
    app.router.add_get("/notes/{token}/activity", note_activity_view)
