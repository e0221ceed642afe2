"""Timelines: home (what the member's Person and their groups follow, relays as boosts),
public (local / remote / all) and hashtag."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import or_, select

from fedi_aid.accounts import organised_groups
from fedi_aid.activitypub.to_as import COMMUNITY_HASHTAG, KIND_HASHTAGS
from fedi_aid.aid.categories import all_categories
from fedi_aid.context import Context
from fedi_aid.db.models import AidItemRow, Follow
from fedi_aid.db.models_oauth import ApiStatus
from fedi_aid.mastodon_api.accounts import paged
from fedi_aid.mastodon_api.auth import Caller, endpoint
from fedi_aid.mastodon_api.pagination import newest_first, paginate, read_page
from fedi_aid.mastodon_api.store import (
    Renderer,
    readable,
    register_new,
    statuses_with_items,
    visible_item,
)


async def _answer(request: web.Request, ctx: Context, caller: Caller, query: Any) -> web.Response:
    page = read_page(request.query)
    async with ctx.sessions() as session:
        result = await session.execute(paginate(query, ApiStatus.id, page))
        rows = newest_first(list(result.scalars()), page)
        data = await Renderer(session, ctx, caller.user).statuses(rows)
        return paged(request, data, [row.id for row in rows])


@endpoint("read:statuses")
async def home(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        await register_new(session)
        readers = [user.person_id, *(g.id for g in await organised_groups(session, user))]
        followed = select(Follow.followee_id).where(
            Follow.follower_id.in_(readers), Follow.state == "accepted"
        )
    query = statuses_with_items().where(
        visible_item(),
        readable(readers),
        or_(ApiStatus.actor_id.in_(followed), ApiStatus.actor_id.in_(readers)),
    )
    return await _answer(request, ctx, caller, query)


def _public_items(request: web.Request) -> Any:
    query = statuses_with_items().where(
        visible_item(), AidItemRow.visibility == "public", ApiStatus.reblog_of_id.is_(None)
    )
    if request.query.get("local") in ("true", "1"):
        query = query.where(AidItemRow.local.is_(True))
    elif request.query.get("remote") in ("true", "1"):
        query = query.where(AidItemRow.local.is_(False))
    return query


@endpoint("read:statuses", public=True)
async def public(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions.begin() as session:
        await register_new(session)
    return await _answer(request, ctx, caller, _public_items(request))


def tag_condition(tag: str) -> Any:
    """Items that carry #tag: #Need/#Offer by kind, #MutualAid all, else by category."""
    low = tag.lower()
    for kind, name in KIND_HASHTAGS.items():
        if name.lower() == low:
            return AidItemRow.kind == kind
    if low == COMMUNITY_HASHTAG.lower():
        return AidItemRow.id.is_not(None)
    uris = [c.uri for c in all_categories() if c.hashtag.lower() == low]
    if not uris:
        return AidItemRow.id.is_(None)
    return or_(*(AidItemRow.category.startswith(uri) for uri in uris))


@endpoint("read:statuses", public=True)
async def tag(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions.begin() as session:
        await register_new(session)
    query = _public_items(request).where(tag_condition(request.match_info["tag"]))
    return await _answer(request, ctx, caller, query)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/timelines/home", home)
    app.router.add_get("/api/v1/timelines/public", public)
    app.router.add_get("/api/v1/timelines/tag/{tag}", tag)
