"""ActivityPub views: actors, their collections, and the inboxes."""

from __future__ import annotations

import json

from aiohttp import web
from sqlalchemy import func, select

from fedi_aid.activitypub.actor_to_as import (
    actor_to_as,
    ordered_collection,
    ordered_collection_page,
)
from fedi_aid.activitypub.to_as import aid_item_to_as_note
from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.aid.rows import row_to_item
from fedi_aid.db.actors import find_actor_by_uri, find_local_actor
from fedi_aid.db.aid_items import featured_needs
from fedi_aid.db.follows import page_of_follows
from fedi_aid.db.models import Actor, OutgoingActivity
from fedi_aid.inbox.receive import InboxRejection, IncomingRequest, receive
from fedi_aid.web.keys import CONTEXT_KEY, DOCUMENTS_KEY
from fedi_aid.web.negotiation import wants_activity_json
from fedi_aid.web.pages import render_profile
from fedi_aid.web.responses import activity_response, error_response

PAGE_SIZE = 20


async def _local_actor(request: web.Request) -> Actor:
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        actor = await find_local_actor(session, request.match_info["name"])
    if actor is None or actor.type == "Application":
        raise web.HTTPNotFound(text=f"no actor named {request.match_info['name']!r} here")
    return actor


async def actor_view(request: web.Request) -> web.StreamResponse:
    if not wants_activity_json(request):
        return await render_profile(request, await _local_actor(request))
    documents = request.app[DOCUMENTS_KEY]
    key = f"actor:{request.match_info['name']}"
    if (cached := documents.get(key)) is not None:
        return cached.response()
    stamp = documents.stamp()
    actor = await _local_actor(request)
    return documents.remember(
        key, activity_response(actor_to_as(actor, published=actor.created_at)), stamp
    )


async def profile_view(request: web.Request) -> web.StreamResponse:
    actor = await _local_actor(request)
    if wants_activity_json(request):
        raise web.HTTPFound(actor.uri)
    return await render_profile(request, actor)


async def instance_actor_view(request: web.Request) -> web.StreamResponse:
    documents = request.app[DOCUMENTS_KEY]
    if (cached := documents.get("instance-actor")) is not None:
        return cached.response()
    stamp = documents.stamp()
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        actor = await find_actor_by_uri(session, ctx.urls.instance_actor)
    if actor is None:
        raise web.HTTPNotFound(text="the instance actor is not set up yet")
    return documents.remember("instance-actor", activity_response(actor_to_as(actor)), stamp)


def _page_number(request: web.Request) -> int | None:
    raw = request.query.get("page")
    if raw is None:
        return None
    if raw == "true":
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise web.HTTPBadRequest(text=f"page must be a positive integer, got {raw!r}")
    return int(raw)


async def follows_view(request: web.Request) -> web.Response:
    actor = await _local_actor(request)
    followers = request.path.rstrip("/").endswith("/followers")
    collection_id = actor.followers_url if followers else actor.following_url
    assert collection_id
    page = _page_number(request)
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        offset = ((page or 1) - 1) * PAGE_SIZE
        total, items = await page_of_follows(
            session, actor, followers=followers, offset=offset, limit=PAGE_SIZE
        )
    return _collection_response(collection_id, page, total, items)


def _collection_response(
    collection_id: str, page: int | None, total: int, items: list[object]
) -> web.Response:
    if page is None:
        return activity_response(
            ordered_collection(collection_id, total, f"{collection_id}?page=1")
        )
    next_page = f"{collection_id}?page={page + 1}" if page * PAGE_SIZE < total else None
    prev_page = f"{collection_id}?page={page - 1}" if page > 1 else None
    return activity_response(
        ordered_collection_page(
            f"{collection_id}?page={page}", collection_id, items, next_page, prev_page
        )
    )


async def outbox_view(request: web.Request) -> web.Response:
    actor = await _local_actor(request)
    page = _page_number(request)
    ctx = request.app[CONTEXT_KEY]
    collection_id = actor.outbox or f"{actor.uri}/outbox"
    mine = (OutgoingActivity.actor_id == actor.id) & OutgoingActivity.public.is_(True)
    async with ctx.sessions() as session:
        total = (
            await session.execute(select(func.count()).select_from(OutgoingActivity).where(mine))
        ).scalar_one()
        items: list[object] = []
        if page is not None:
            rows = await session.execute(
                select(OutgoingActivity.body)
                .where(mine)
                .order_by(OutgoingActivity.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
            for (body,) in rows:
                activity = json.loads(body)
                activity.pop("@context", None)
                items.append(activity)
    return _collection_response(collection_id, page, int(total), items)


async def featured_view(request: web.Request) -> web.Response:
    """The group's pinned posts: its urgent open public needs (Mastodon shows them pinned)."""
    actor = await _local_actor(request)
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        rows = await featured_needs(session, actor)
    notes = []
    for row in rows:
        note = aid_item_to_as_note(row_to_item(row, actor))
        note.pop("@context", None)
        notes.append(note)
    return activity_response(
        {
            "@context": CONTEXT,
            "id": f"{actor.uri}/collections/featured",
            "type": "OrderedCollection",
            "totalItems": len(notes),
            "orderedItems": notes,
        }
    )


def request_url(request: web.Request, base_url: str) -> str:
    """The URL the sender signed: our public scheme, the Host it sent, the path and query."""
    scheme = base_url.split("://", 1)[0]
    return f"{scheme}://{request.host}{request.raw_path}"


async def inbox_view(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    recipient = None
    if "name" in request.match_info:
        recipient = await _local_actor(request)
    limit = ctx.settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return error_response(413, f"body is larger than {limit} bytes")
    try:
        body = await request.content.read(limit + 1)
    except (ConnectionError, TimeoutError):
        return error_response(400, "the request body could not be read")
    incoming = IncomingRequest(
        method=request.method,
        url=request_url(request, ctx.settings.base_url),
        headers=request.headers,
        body=body,
        content_type=request.headers.get("Content-Type", ""),
        recipient=recipient,
    )
    try:
        await receive(ctx, incoming)
    except InboxRejection as exc:
        return error_response(exc.status, exc.message, exc.headers)
    return web.Response(status=202)


def setup(app: web.Application) -> None:
    app.router.add_get("/users/{name}", actor_view)
    app.router.add_get("/@{name}", profile_view)
    app.router.add_get("/actor", instance_actor_view)
    app.router.add_get("/users/{name}/followers", follows_view)
    app.router.add_get("/users/{name}/following", follows_view)
    app.router.add_get("/users/{name}/outbox", outbox_view)
    app.router.add_get("/users/{name}/collections/featured", featured_view)
    app.router.add_post("/users/{name}/inbox", inbox_view)
    app.router.add_post("/inbox", inbox_view)
