"""The native API's steps, one per route: session handling, ownership, the service call.

Handlers in web/api.py parse with aid/api_input.py, call one of these, and render. Anything that
goes wrong raises: ApiInputError (bad input), ApiDenied (401/403), NotFound (404) or the
service's AidError (its own status, 409 for a final item).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.api_input import ApiInputError
from fedi_aid.aid.publish import AidDraft, post_item, update_item, withdraw_item
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_local_actor, find_remote_actor_by_handle
from fedi_aid.db.aid_items import ItemFilter, get_item, list_items
from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.db.tokens import find_token_group
from fedi_aid.federation.webfinger import WebfingerError, parse_handle
from fedi_aid.follows import FollowError, resolve_target
from fedi_aid.web.api_query import ListQuery
from fedi_aid.web.api_render import item_json

REALM = 'Bearer realm="fedi-aid"'


class ApiDenied(Exception):
    """401 (no or bad token, with WWW-Authenticate) or 403 (another group's item)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


async def authenticate(ctx: Context, token: str | None, *, required: bool) -> Actor | None:
    """The group a bearer token acts as. No token: None, or 401 when `required`."""
    if token is None:
        if required:
            raise ApiDenied(
                401,
                "Authorization: this needs a bearer token (fedi-aid token create GROUP)",
                {"WWW-Authenticate": REALM},
            )
        return None
    async with ctx.sessions.begin() as session:
        group = await find_token_group(session, token, utcnow())
    if group is None:
        raise ApiDenied(
            401,
            "Authorization: the bearer token is not valid (unknown or revoked)",
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    return group


def _visible(row: AidItemRow, viewer: Actor | None) -> bool:
    return row.visibility in ("public", "unlisted") or (
        viewer is not None and row.group_id == viewer.id
    )


def _owns(row: AidItemRow, viewer: Actor | None) -> bool:
    return viewer is not None and row.group_id == viewer.id


async def _group_uri(ctx: Context, ref: str) -> str | None:
    """A `group` filter (actor URI, `name@host`, or a local name) -> actor URI, None if unknown."""
    if ref.startswith(("http://", "https://")):
        return ref
    text = ref.removeprefix("acct:").lstrip("@")
    try:
        name, host = parse_handle(text) if "@" in text else (text, ctx.settings.host)
    except WebfingerError as exc:
        raise ApiInputError("group", f"{exc}, or an actor URI") from None
    async with ctx.sessions() as session:
        if host == ctx.settings.host:
            actor = await find_local_actor(session, name)
        else:
            actor = await find_remote_actor_by_handle(session, name, host)
    return actor.uri if actor is not None else None


async def list_page(
    ctx: Context, kind: str, query: ListQuery, viewer: Actor | None
) -> tuple[list[dict[str, Any]], int | None]:
    """One page, newest first, and the id to continue after (None on the last page).

    Only public and unlisted items, except that a group asking with its own token for its own
    items (`group=` itself) also sees its followers-only and direct ones.
    """
    group_uri = None
    if query.group is not None:
        group_uri = await _group_uri(ctx, query.group)
        if group_uri is None:
            return [], None
    filters = ItemFilter(
        kind=kind,
        category=query.category,
        status=query.status,
        group_uri=group_uri,
        local=query.local,
        near=query.near,
        within_km=query.within_km,
        public_only=not (viewer is not None and group_uri == viewer.uri),
    )
    async with ctx.sessions() as session:
        rows = await list_items(session, filters, after_id=query.after_id, limit=query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = [item_json(row, owner=_owns(row, viewer)) for row in rows]
    return items, (rows[-1].id if more and rows else None)


async def show_item(ctx: Context, kind: str, item_id: int, viewer: Actor | None) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await get_item(session, item_id, kind)
    if not _visible(row, viewer):
        raise NotFound(f"no {kind} with id {item_id}")
    return item_json(row, owner=_owns(row, viewer))


async def _resolve_direct_to(ctx: Context, refs: tuple[str, ...]) -> tuple[str, ...]:
    uris: list[str] = []
    for index, ref in enumerate(refs):
        try:
            actor = await resolve_target(ctx, ref)
        except FollowError as exc:
            raise ApiInputError(f"direct_to[{index}]", str(exc)) from None
        if actor.uri not in uris:
            uris.append(actor.uri)
    return tuple(uris)


async def create_item(ctx: Context, group: Actor, draft: AidDraft) -> dict[str, Any]:
    """Publish as `group` (the token's). direct_to handles are looked up before the write."""
    if draft.direct_to:
        draft = replace(draft, direct_to=await _resolve_direct_to(ctx, draft.direct_to))
    async with ctx.sessions.begin() as session:
        publisher = await session.get(Actor, group.id)
        if publisher is None:
            raise ApiDenied(401, "Authorization: the token's group no longer exists")
        row = await post_item(session, ctx, publisher, draft)
        return item_json(row, owner=True)


async def _owned_row(session: AsyncSession, kind: str, item_id: int, group: Actor) -> AidItemRow:
    row = await get_item(session, item_id, kind)
    if not _visible(row, group):
        raise NotFound(f"no {kind} with id {item_id}")
    if not _owns(row, group):
        raise ApiDenied(403, f"this {kind} was published by another group; its token may change it")
    return row


async def change_item(
    ctx: Context, group: Actor, kind: str, item_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    async with ctx.sessions.begin() as session:
        row = await _owned_row(session, kind, item_id, group)
        row = await update_item(session, ctx, row, changes)
        return item_json(row, owner=True)


async def withdraw(ctx: Context, group: Actor, kind: str, item_id: int) -> dict[str, Any]:
    async with ctx.sessions.begin() as session:
        row = await _owned_row(session, kind, item_id, group)
        row = await withdraw_item(session, ctx, row)
        return item_json(row, owner=True)
