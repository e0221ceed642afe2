"""Statuses: post a need/offer in the documented syntax, show, delete (withdraw), context,
favourite and boost (a member's Announce) and their undos, the favourites list."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.accounts import may_act_for, organised_groups
from fedi_aid.activitypub.vocab import AS_CONTEXT, PUBLIC
from fedi_aid.aid.pledge_actions import offer_to, pledge_locally
from fedi_aid.aid.pledges import parse_reply_quantity
from fedi_aid.aid.publish import AidError, post_item, withdraw_item
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_local_actor
from fedi_aid.db.dialect import insert_ignoring_duplicates
from fedi_aid.db.follows import follower_inboxes
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.db.models_accounts import User
from fedi_aid.db.models_oauth import ApiStatus, Favourite
from fedi_aid.mastodon_api.accounts import paged, person_of
from fedi_aid.mastodon_api.auth import Caller, endpoint
from fedi_aid.mastodon_api.errors import ApiError, invalid, not_found
from fedi_aid.mastodon_api.instance import MAX_CHARACTERS
from fedi_aid.mastodon_api.need_syntax import NeedSyntaxError, parse_post
from fedi_aid.mastodon_api.pagination import newest_first, paginate, read_page
from fedi_aid.mastodon_api.params import read_params, text
from fedi_aid.mastodon_api.store import (
    Renderer,
    find_readable,
    register_new,
    status_id_of_item,
)
from fedi_aid.outbox.queue import inbox_of, queue_activity
from fedi_aid.web.responses import json_response

NOT_ALLOWED = "This action is not allowed"
VISIBILITIES = {"public": "public", "unlisted": "unlisted", "private": "followers"}
HOW_TO_POST = (
    "fedi-aid publishes needs and offers: start the post with #need or #offer, "
    "e.g. '#need 20 insulin pens #Riverside by Friday' (see the README)"
)


async def _group_to_post_as(session: AsyncSession, user: User, named: str | None) -> Actor:
    """The `@group` named first in the post, else the one group the user organises."""
    if named:
        group = await find_local_actor(session, named)
        if group is None or group.type != "Group":
            raise invalid(f"there is no group @{named} on this instance")
        if not await may_act_for(session, user, group):
            raise ApiError(403, f"you do not organise @{named}")
        return group
    groups = await organised_groups(session, user)
    if not groups:
        raise ApiError(403, "only organisers of a group post needs and offers")
    if len(groups) > 1:
        names = ", ".join("@" + (g.username or "") for g in groups)
        raise invalid(f"you organise several groups ({names}): start the post with one of them")
    return groups[0]


@endpoint("write:statuses")
async def create(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    params = await read_params(request)
    user = caller.need_user()
    body = text(params, "status").strip()
    if not body:
        raise invalid("Text can't be blank")
    if len(body) > MAX_CHARACTERS:
        raise invalid(f"Text is too long (maximum is {MAX_CHARACTERS} characters)")
    if params.get("in_reply_to_id"):
        return await _pledge_by_reply(ctx, caller, str(params["in_reply_to_id"]), body)
    if params.get("media_ids"):
        raise invalid("media attachments are not supported")
    try:
        parsed = parse_post(body, utcnow())
    except NeedSyntaxError as exc:
        raise invalid(str(exc)) from None
    if parsed is None:
        raise invalid(HOW_TO_POST)
    visibility = text(params, "visibility", "public") or "public"
    if visibility not in VISIBILITIES:
        raise invalid(f"visibility must be public, unlisted or private, got {visibility!r}")
    draft = parsed.draft
    draft.visibility = VISIBILITIES[visibility]
    draft.content_warning = text(params, "spoiler_text") or None
    draft.requested_by = user.username
    async with ctx.sessions.begin() as session:
        group = await _group_to_post_as(session, user, parsed.group)
        row = await post_item(session, ctx, group, draft)
        await register_new(session)
        status = await session.get(ApiStatus, await status_id_of_item(session, row.id))
        return json_response(await Renderer(session, ctx, user).status(status))


async def _pledge_by_reply(ctx: Context, caller: Caller, status_id: str, body: str) -> web.Response:
    """A reply to a need is a pledge ("I can bring 5"): recorded for the need's group.

    On a need of this instance the member pledges in their own name; on another instance's
    need, a member who organises one group pledges as that group (a FEP-0837 Offer).
    Answers the need's status, as the pledge has no status of its own.
    """
    user = caller.need_user()
    quantity = parse_reply_quantity(body).quantity
    if quantity is None:
        raise invalid(
            "a reply pledges a number: write how many you can bring, e.g. 'I can bring 5'"
        )
    async with ctx.sessions.begin() as session:
        row = await find_readable(session, caller.user, status_id)
        item = await session.get(AidItemRow, row.aid_item_id) if row.aid_item_id else None
        if item is None or item.kind != "need":
            raise invalid("only a need can be answered with a pledge")
        try:
            if item.local:
                await pledge_locally(session, ctx, item, user.person.uri, quantity)
            else:
                groups = await organised_groups(session, user)
                if len(groups) != 1:
                    raise invalid(
                        "pledging to another instance's need is done by a group you organise"
                    )
                await offer_to(session, ctx, groups[0], item, quantity)
        except AidError as exc:
            raise invalid(exc.message) from None
        return json_response(await _render(session, ctx, caller, row))


async def _render(session: AsyncSession, ctx: Context, caller: Caller, row: ApiStatus) -> Any:
    rendered = await Renderer(session, ctx, caller.user).status(row)
    if rendered is None:
        raise not_found()
    return rendered


@endpoint("read:statuses", public=True)
async def show(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions.begin() as session:
        await register_new(session)
    async with ctx.sessions() as session:
        row = await find_readable(session, caller.user, request.match_info["id"])
        return json_response(await _render(session, ctx, caller, row))


@endpoint("read:statuses", public=True)
async def context(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions() as session:
        await find_readable(session, caller.user, request.match_info["id"])
    return json_response({"ancestors": [], "descendants": []})


@endpoint("write:statuses")
async def remove(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    """Deleting a need or offer withdraws it (a Delete goes out); deleting a boost undoes it."""
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        row = await find_readable(session, caller.user, request.match_info["id"])
        rendered = await _render(session, ctx, caller, row)
        if row.kind == "boost" and row.actor_id == user.person_id:
            await _undo_boost(session, ctx, row)
            return json_response(rendered)
        item = await session.get(AidItemRow, row.aid_item_id) if row.aid_item_id else None
        if item is None or not item.local or not await may_act_for(session, user, item.group):
            raise ApiError(403, NOT_ALLOWED)
        await withdraw_item(session, ctx, item)
        rendered["text"] = ""
        return json_response(rendered)


async def _original(session: AsyncSession, caller: Caller, raw_id: str) -> ApiStatus:
    row = await find_readable(session, caller.user, raw_id)
    if row.reblog_of_id is not None:
        row = await session.get(ApiStatus, row.reblog_of_id)
    return row


@endpoint("write:favourites")
async def favourite(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        row = await _original(session, caller, request.match_info["id"])
        statement = insert_ignoring_duplicates(session, Favourite, ["user_id", "status_id"])
        added = await session.execute(
            statement.values(user_id=user.id, status_id=row.id, created_at=utcnow())
        )
        if added.rowcount:  # a new favourite, not a repeat: tell the author's instance
            await _federate_like(session, ctx, user, row, undo=False)
        return json_response(await _render(session, ctx, caller, row))


@endpoint("write:favourites")
async def unfavourite(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        row = await _original(session, caller, request.match_info["id"])
        await _federate_like(session, ctx, user, row, undo=True)
        await session.execute(
            delete(Favourite).where(Favourite.user_id == user.id, Favourite.status_id == row.id)
        )
        return json_response(await _render(session, ctx, caller, row))


async def _federate_like(
    session: AsyncSession, ctx: Context, user: User, status: ApiStatus, *, undo: bool
) -> None:
    """A favourite of a remote group's need or offer is a `Like` to its instance (Mastodon
    counts it); taking it back is `Undo{Like}`. Favourites of our own posts stay local."""
    item = await session.get(AidItemRow, status.aid_item_id) if status.aid_item_id else None
    inbox = inbox_of(item.group) if item is not None and not item.group.local else None
    if item is None or inbox is None:
        return
    favourite_id = (
        await session.execute(
            select(Favourite.id).where(
                Favourite.user_id == user.id, Favourite.status_id == status.id
            )
        )
    ).scalar_one_or_none()
    if favourite_id is None:
        return
    person = await person_of(session, user)
    # Mastodon's own Like ids are `<actor>#likes/<n>`: one per favourite, never fetched.
    like = {
        "@context": AS_CONTEXT,
        "id": f"{person.uri}#likes/{favourite_id}",
        "type": "Like",
        "actor": person.uri,
        "object": item.uri,
        "to": [item.group.uri],
    }
    if undo:
        like.pop("@context")
        like = {
            "@context": AS_CONTEXT,
            "id": ctx.urls.activity("undo"),
            "type": "Undo",
            "actor": person.uri,
            "to": [item.group.uri],
            "object": like,
        }
    await queue_activity(session, person, like, [inbox])
    ctx.wake_workers()


def _announce(uri: str, person: Actor, object_uri: str) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "Announce",
        "actor": person.uri,
        "published": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "to": [PUBLIC],
        "cc": [person.followers_url],
        "object": object_uri,
    }


async def _boost_inboxes(session: AsyncSession, person: Actor, item: AidItemRow) -> list[str]:
    inboxes = await follower_inboxes(session, person)
    author_inbox = None if item.group.local else inbox_of(item.group)
    return inboxes + [author_inbox] if author_inbox else inboxes


@endpoint("write:statuses")
async def reblog(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        original = await _original(session, caller, request.match_info["id"])
        item = await session.get(AidItemRow, original.aid_item_id)
        if item is None or item.visibility not in ("public", "unlisted"):
            raise ApiError(403, NOT_ALLOWED)
        person = await person_of(session, user)
        existing = (
            await session.execute(
                select(ApiStatus).where(
                    ApiStatus.actor_id == person.id, ApiStatus.reblog_of_id == original.id
                )
            )
        ).scalar_one_or_none()
        if existing is None:
            now = utcnow()
            existing = ApiStatus(
                kind="boost",
                actor_id=person.id,
                reblog_of_id=original.id,
                uri=ctx.urls.activity("announce"),
                created_at=now,
            )
            session.add(existing)
            await session.flush()
            activity = _announce(existing.uri, person, item.uri)
            await queue_activity(
                session, person, activity, await _boost_inboxes(session, person, item), now=now
            )
            ctx.wake_workers()
        return json_response(await _render(session, ctx, caller, existing))


async def _undo_boost(session: AsyncSession, ctx: Context, boost: ApiStatus) -> None:
    person = await session.get(Actor, boost.actor_id)
    original = await session.get(ApiStatus, boost.reblog_of_id)
    item = await session.get(AidItemRow, original.aid_item_id) if original else None
    if person is not None and item is not None:
        undo = {
            "@context": AS_CONTEXT,
            "id": ctx.urls.activity("undo"),
            "type": "Undo",
            "actor": person.uri,
            "to": [PUBLIC],
            "object": _announce(boost.uri or "", person, item.uri),
        }
        await queue_activity(session, person, undo, await _boost_inboxes(session, person, item))
        ctx.wake_workers()
    await session.delete(boost)


@endpoint("write:statuses")
async def unreblog(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        original = await _original(session, caller, request.match_info["id"])
        boost = (
            await session.execute(
                select(ApiStatus).where(
                    ApiStatus.actor_id == user.person_id, ApiStatus.reblog_of_id == original.id
                )
            )
        ).scalar_one_or_none()
        if boost is not None:
            await _undo_boost(session, ctx, boost)
            await session.flush()
        return json_response(await _render(session, ctx, caller, original))


@endpoint("read:favourites")
async def favourites(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    page = read_page(request.query)
    async with ctx.sessions() as session:
        query = select(Favourite).where(Favourite.user_id == user.id)
        rows = newest_first(
            list((await session.execute(paginate(query, Favourite.id, page))).scalars()), page
        )
        statuses = [await session.get(ApiStatus, row.status_id) for row in rows]
        data = await Renderer(session, ctx, user).statuses([s for s in statuses if s])
        return paged(request, data, [row.id for row in rows])


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/statuses", create)
    r.add_get("/api/v1/statuses/{id}", show)
    r.add_delete("/api/v1/statuses/{id}", remove)
    r.add_get("/api/v1/statuses/{id}/context", context)
    r.add_post("/api/v1/statuses/{id}/favourite", favourite)
    r.add_post("/api/v1/statuses/{id}/unfavourite", unfavourite)
    r.add_post("/api/v1/statuses/{id}/reblog", reblog)
    r.add_post("/api/v1/statuses/{id}/unreblog", unreblog)
    r.add_get("/api/v1/favourites", favourites)
