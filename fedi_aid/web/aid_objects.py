"""A need or offer at its id: AS JSON for ActivityPub clients, HTML for browsers.

Followers-only and direct items answer only to a signed fetch by someone in their audience;
everyone else gets 404, as if they did not exist.
"""

from __future__ import annotations

from aiohttp import web

from fedi_aid.activitypub.to_as import aid_item_to_as_note, aid_item_to_as_tombstone
from fedi_aid.aid.rows import row_to_item
from fedi_aid.clock import as_utc
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.follows import find_follow
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.inbox.receive import InboxRejection, IncomingRequest, verify_request_signature
from fedi_aid.web.activitypub import request_url
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.negotiation import wants_activity_json
from fedi_aid.web.pages import render_item
from fedi_aid.web.responses import activity_response


async def signed_fetcher(request: web.Request) -> Actor | None:
    """The actor whose valid HTTP signature this GET carries, or None."""
    if "Signature" not in request.headers and "Signature-Input" not in request.headers:
        return None
    ctx = request.app[CONTEXT_KEY]
    incoming = IncomingRequest(
        method="GET",
        url=request_url(request, ctx.settings.base_url),
        headers=request.headers,
        body=b"",
        content_type="",
    )
    try:
        return await verify_request_signature(ctx, incoming)
    except InboxRejection:
        return None


async def may_see(request: web.Request, row: AidItemRow) -> bool:
    if row.visibility in ("public", "unlisted"):
        return True
    fetcher = await signed_fetcher(request)
    if fetcher is None:
        return False
    if row.visibility == "direct":
        return fetcher.uri in (row.direct_to or [])
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        follow = await find_follow(session, fetcher, row.group)
    return follow is not None and follow.state == "accepted"


async def aid_object_view(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT_KEY]
    uri = ctx.settings.url(f"/{request.match_info['kind']}/{request.match_info['token']}")
    async with ctx.sessions() as session:
        row = await find_item_by_uri(session, uri)
    kind = request.match_info["kind"].rstrip("s")
    if row is None or not row.local or not await may_see(request, row):
        raise web.HTTPNotFound(text=f"no such {kind}")
    if row.status in ("withdrawn", "expired"):
        if wants_activity_json(request):
            tombstone = aid_item_to_as_tombstone(row.uri, as_utc(row.updated))
            return activity_response(tombstone, status=410)
        raise web.HTTPGone(text=f"this {kind} was {row.status}")
    if wants_activity_json(request):
        return activity_response(aid_item_to_as_note(row_to_item(row)))
    return await render_item(request, row)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/{kind:needs|offers}/{token}", aid_object_view)
