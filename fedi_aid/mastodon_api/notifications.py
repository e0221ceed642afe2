"""Notifications: the notifications of the groups a member organises (pledges, comments,
matches…), as Mastodon `mention`s of the need or offer they are about; new followers and
follow requests as `follow` and `follow_request`. Dismissing one marks it read for every
organiser of the group."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import ColumnElement, false, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.accounts import organised_groups
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.models import Actor
from fedi_aid.db.models_accounts import User
from fedi_aid.db.models_oauth import ApiStatus
from fedi_aid.db.models_pledges import Notification, Pledge
from fedi_aid.mastodon_api import serializers
from fedi_aid.mastodon_api.accounts import paged
from fedi_aid.mastodon_api.auth import Caller, endpoint
from fedi_aid.mastodon_api.errors import not_found
from fedi_aid.mastodon_api.pagination import newest_first, paginate, read_page, row_id
from fedi_aid.mastodon_api.params import id_list
from fedi_aid.mastodon_api.store import Renderer, register_new, status_id_of_item
from fedi_aid.web.responses import json_response

FOLLOW_KINDS = ("follow", "follow_request")  # our kinds that are Mastodon types as they are


def mastodon_type(kind: str) -> str:
    return kind if kind in FOLLOW_KINDS else "mention"


async def _groups(session: AsyncSession, user: User) -> list[int]:
    return [group.id for group in await organised_groups(session, user)]


def _of_types(types: set[str]) -> ColumnElement[bool]:
    """Our notifications that Mastodon would call one of TYPES."""
    wanted = [Notification.kind == kind for kind in FOLLOW_KINDS if kind in types]
    if "mention" in types:
        wanted.append(Notification.kind.not_in(FOLLOW_KINDS))
    return or_(*wanted) if wanted else false()


def _types_filter(query: Any, request: web.Request) -> Any:
    wanted = set(id_list(dict(_list_params(request)), "types"))
    excluded = set(id_list(dict(_list_params(request)), "exclude_types"))
    if wanted:
        query = query.where(_of_types(wanted))
    if excluded:
        query = query.where(not_(_of_types(excluded)))
    return query


def _list_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in request.query.items():
        if key.endswith("[]"):
            params.setdefault(key[:-2], []).append(value)
        else:
            params[key] = value
    return params


async def _render(
    session: AsyncSession, renderer: Renderer, note: Notification
) -> dict[str, Any] | None:
    group = await session.get(Actor, note.group_id)
    if group is None:
        return None
    who: Actor | None = await find_actor_by_uri(session, note.subject_uri)
    item_uri = note.subject_uri
    pledge = (
        await session.execute(select(Pledge).where(Pledge.uri == note.subject_uri))
    ).scalar_one_or_none()
    if pledge is not None:
        item_uri = pledge.item.uri
        who = await find_actor_by_uri(session, pledge.pledger_uri)
    status_json = None
    if mastodon_type(note.kind) == "mention":
        item = await find_item_by_uri(session, item_uri)
        status_id = await status_id_of_item(session, item.id) if item is not None else None
        status = await session.get(ApiStatus, status_id) if status_id else None
        status_json = await renderer.status(status) if status is not None else None
        if status_json is None:
            return None  # Mastodon apps cannot show a mention without its status
    account = await renderer.account(who or group)
    data = serializers.notification(
        note.id, mastodon_type(note.kind), note.created_at, account, status_json
    )
    data["fedi_aid"] = {"kind": note.kind, "text": note.text, "group_id": str(group.id)}
    return data


@endpoint("read:notifications")
async def index(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    page = read_page(request.query, 40, 80)
    async with ctx.sessions.begin() as session:
        await register_new(session)
    async with ctx.sessions() as session:
        query = select(Notification).where(
            Notification.group_id.in_(await _groups(session, user)),
            Notification.read_at.is_(None),
        )
        query = _types_filter(query, request)
        rows = newest_first(
            list((await session.execute(paginate(query, Notification.id, page))).scalars()), page
        )
        renderer = Renderer(session, ctx, user)
        data = [d for d in [await _render(session, renderer, row) for row in rows] if d]
        return paged(request, data, [row.id for row in rows])


async def _own(session: AsyncSession, user: User, raw_id: str) -> Notification:
    key = row_id(raw_id)
    note = await session.get(Notification, key) if key is not None else None
    if note is None or note.group_id not in await _groups(session, user):
        raise not_found()
    return note


@endpoint("read:notifications")
async def show(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions() as session:
        note = await _own(session, user, request.match_info["id"])
        data = await _render(session, Renderer(session, ctx, user), note)
        if data is None:
            raise not_found()
        return json_response(data)


@endpoint("write:notifications")
async def dismiss(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        note = await _own(session, user, request.match_info["id"])
        note.read_at = note.read_at or utcnow()
    return json_response({})


@endpoint("write:notifications")
async def clear(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    user = caller.need_user()
    async with ctx.sessions.begin() as session:
        await session.execute(
            update(Notification)
            .where(
                Notification.group_id.in_(await _groups(session, user)),
                Notification.read_at.is_(None),
            )
            .values(read_at=utcnow())
        )
    return json_response({})


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/notifications", index)
    r.add_post("/api/v1/notifications/clear", clear)
    r.add_get("/api/v1/notifications/{id}", show)
    r.add_post("/api/v1/notifications/{id}/dismiss", dismiss)
