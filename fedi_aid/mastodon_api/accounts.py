"""Accounts: who am I, look-ups, an account's statuses, follow/unfollow, follow requests."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.accounts import organised_groups
from fedi_aid.context import Context
from fedi_aid.db.follows import find_follow
from fedi_aid.db.models import Actor, Follow
from fedi_aid.db.models_accounts import User
from fedi_aid.db.models_oauth import ApiStatus
from fedi_aid.mastodon_api import serializers
from fedi_aid.mastodon_api.auth import Caller, endpoint
from fedi_aid.mastodon_api.errors import ApiError, invalid, not_found
from fedi_aid.mastodon_api.pagination import (
    link_header,
    newest_first,
    paginate,
    read_page,
    row_id,
)
from fedi_aid.mastodon_api.params import id_list, read_params
from fedi_aid.mastodon_api.store import (
    Renderer,
    account_counts,
    readable,
    reader_ids,
    register_new,
    statuses_with_items,
    visible_item,
)
from fedi_aid.outbox.follows import send_accept, send_follow, send_reject, send_undo_follow
from fedi_aid.web.responses import json_response


async def get_actor(session: AsyncSession, raw_id: str) -> Actor:
    key = row_id(raw_id)
    actor = await session.get(Actor, key) if key is not None else None
    if actor is None or actor.type == "Application":
        raise not_found()
    return actor


async def person_of(session: AsyncSession, user: User) -> Actor:
    actor = await session.get(Actor, user.person_id)
    if actor is None:
        raise ApiError(401, "this account has no actor")
    return actor


def paged(request: web.Request, data: list, ids: list[int]) -> web.Response:
    link = link_header(str(request.url.with_query(None)), request.query, ids)
    return json_response(data, headers={"Link": link} if link else None)


@endpoint("read:accounts")
async def verify_credentials(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions() as session:
        user = caller.need_user()
        person = await person_of(session, user)
        counts = await account_counts(session, person)
        requests = await session.scalar(
            select(func.count()).where(
                Follow.followee_id.in_(await _answerable(session, user)), Follow.state == "pending"
            )
        )
        data = serializers.credential_account(person, ctx.settings.base_url, counts, requests or 0)
        return json_response(data)


@endpoint("read:accounts", public=True)
async def show(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions() as session:
        actor = await get_actor(session, request.match_info["id"])
        return json_response(await Renderer(session, ctx, caller.user).account(actor))


@endpoint("read:accounts", public=True)
async def lookup(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    handle = request.query.get("acct", "").strip().removeprefix("acct:").lstrip("@")
    if not handle:
        raise invalid("acct is missing")
    name, _, host = handle.partition("@")
    if host.lower() == ctx.settings.host:
        host = ""
    async with ctx.sessions() as session:
        query = select(Actor).where(Actor.username == name, Actor.type != "Application")
        query = query.where(Actor.domain == host.lower()) if host else query.where(Actor.local)
        actor = (await session.execute(query)).scalars().first()
        if actor is None:
            raise not_found()
        return json_response(await Renderer(session, ctx, caller.user).account(actor))


@endpoint("read:statuses", public=True)
async def statuses(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    page = read_page(request.query)
    async with ctx.sessions.begin() as session:
        await register_new(session)
    async with ctx.sessions() as session:
        actor = await get_actor(session, request.match_info["id"])
        readers = await reader_ids(session, caller.user)
        query = statuses_with_items().where(
            ApiStatus.actor_id == actor.id, visible_item(), readable(readers)
        )
        if request.query.get("exclude_reblogs") == "true":
            query = query.where(ApiStatus.reblog_of_id.is_(None))
        if request.query.get("pinned") == "true" or request.query.get("only_media") == "true":
            return json_response([])  # no pins through this API, no media
        rows = newest_first(
            list((await session.execute(paginate(query, ApiStatus.id, page))).scalars()), page
        )
        data = await Renderer(session, ctx, caller.user).statuses(rows)
        return paged(request, data, [row.id for row in rows])


async def relationship_of(session: AsyncSession, me: Actor, other: Actor) -> dict:
    out = await find_follow(session, me, other)
    back = await find_follow(session, other, me)
    return serializers.relationship(
        other.id,
        following=out is not None and out.state == "accepted",
        requested=out is not None and out.state == "pending",
        followed_by=back is not None and back.state == "accepted",
        requested_by=back is not None and back.state == "pending",
    )


@endpoint("read:follows")
async def relationships(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    params = await read_params(request)
    async with ctx.sessions() as session:
        me = await person_of(session, caller.need_user())
        out = []
        for raw in id_list(params, "id"):
            key = row_id(raw)
            other = await session.get(Actor, key) if key is not None else None
            if other is not None:
                out.append(await relationship_of(session, me, other))
        return json_response(out)


@endpoint("write:follows")
async def follow(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions.begin() as session:
        me = await person_of(session, caller.need_user())
        target = await get_actor(session, request.match_info["id"])
        if target.id == me.id:
            raise ApiError(403, "This action is not allowed")
        if not target.local and not (target.shared_inbox or target.inbox):
            raise invalid(f"{target.uri} has no inbox to send a Follow to")
        existing = await find_follow(session, me, target)
        if existing is None:
            await send_follow(session, ctx, me, target)
        return json_response(await relationship_of(session, me, target))


@endpoint("write:follows")
async def unfollow(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions.begin() as session:
        me = await person_of(session, caller.need_user())
        target = await get_actor(session, request.match_info["id"])
        existing = await find_follow(session, me, target)
        if existing is not None:
            existing.follower, existing.followee = me, target
            await send_undo_follow(session, ctx, existing)
            await session.flush()
        return json_response(await relationship_of(session, me, target))


async def _follow_list(
    request: web.Request, ctx: Context, caller: Caller, followers: bool
) -> web.Response:
    page = read_page(request.query, 40, 80)
    async with ctx.sessions() as session:
        actor = await get_actor(session, request.match_info["id"])
        mine = Follow.followee_id if followers else Follow.follower_id
        query = select(Follow).where(mine == actor.id, Follow.state == "accepted")
        rows = newest_first(
            list((await session.execute(paginate(query, Follow.id, page))).scalars().unique()), page
        )
        others = [row.follower if followers else row.followee for row in rows]
        data = await Renderer(session, ctx, caller.user).accounts(others)
        return paged(request, data, [row.id for row in rows])


@endpoint("read:accounts", public=True)
async def followers(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    return await _follow_list(request, ctx, caller, True)


@endpoint("read:accounts", public=True)
async def following(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    return await _follow_list(request, ctx, caller, False)


async def _answerable(session: AsyncSession, user: User) -> list[int]:
    """Actors whose follow requests this user answers: their Person and the groups they organise."""
    return [user.person_id, *(group.id for group in await organised_groups(session, user))]


@endpoint("read:follows")
async def follow_requests(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    page = read_page(request.query, 40, 80)
    async with ctx.sessions() as session:
        mine = await _answerable(session, caller.need_user())
        query = select(Follow).where(Follow.followee_id.in_(mine), Follow.state == "pending")
        rows = newest_first(
            list((await session.execute(paginate(query, Follow.id, page))).scalars().unique()), page
        )
        data = await Renderer(session, ctx, caller.user).accounts(row.follower for row in rows)
        return paged(request, data, [row.id for row in rows])


async def _answer(request: web.Request, ctx: Context, caller: Caller, accept: bool) -> web.Response:
    async with ctx.sessions.begin() as session:
        user = caller.need_user()
        requester = await get_actor(session, request.match_info["id"])
        mine = await _answerable(session, user)
        pending = (
            (
                await session.execute(
                    select(Follow).where(
                        Follow.follower_id == requester.id,
                        Follow.followee_id.in_(mine),
                        Follow.state == "pending",
                    )
                )
            )
            .scalars()
            .unique()
            .all()
        )
        if not pending:
            raise not_found()
        for relation in pending:
            if accept:
                await send_accept(session, ctx, relation)
            else:
                await send_reject(session, ctx, relation)
        await session.flush()
        me = await person_of(session, user)
        return json_response(await relationship_of(session, me, requester))


@endpoint("write:follows")
async def authorize_request(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    return await _answer(request, ctx, caller, True)


@endpoint("write:follows")
async def reject_request(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    return await _answer(request, ctx, caller, False)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/accounts/verify_credentials", verify_credentials)
    r.add_get("/api/v1/accounts/lookup", lookup)
    r.add_get("/api/v1/accounts/relationships", relationships)
    r.add_get("/api/v1/accounts/{id}", show)
    r.add_get("/api/v1/accounts/{id}/statuses", statuses)
    r.add_post("/api/v1/accounts/{id}/follow", follow)
    r.add_post("/api/v1/accounts/{id}/unfollow", unfollow)
    r.add_get("/api/v1/accounts/{id}/followers", followers)
    r.add_get("/api/v1/accounts/{id}/following", following)
    r.add_get("/api/v1/follow_requests", follow_requests)
    r.add_post("/api/v1/follow_requests/{id}/authorize", authorize_request)
    r.add_post("/api/v1/follow_requests/{id}/reject", reject_request)
