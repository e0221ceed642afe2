"""/api/v2/search: accounts (with resolve=true a remote handle is looked up by WebFinger and
fetched), needs and offers by title, hashtags from the category vocabulary."""

from __future__ import annotations

import contextlib
import re

from aiohttp import web
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.to_as import COMMUNITY_HASHTAG, KIND_HASHTAGS
from fedi_aid.aid.categories import all_categories
from fedi_aid.context import Context
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.db.models_oauth import ApiStatus
from fedi_aid.follows import FollowError, resolve_target
from fedi_aid.mastodon_api import serializers
from fedi_aid.mastodon_api.auth import Caller, endpoint
from fedi_aid.mastodon_api.errors import invalid
from fedi_aid.mastodon_api.pagination import small_number
from fedi_aid.mastodon_api.store import Renderer, register_new, statuses_with_items, visible_item
from fedi_aid.web.responses import json_response

HANDLE_RE = re.compile(r"^@?[\w.-]+@[\w.-]+(:\d+)?$")
TYPES = ("accounts", "statuses", "hashtags")


def _like(q: str) -> str:
    return "%" + q.lower().replace("\\", "").replace("%", "").replace("_", "\\_") + "%"


@endpoint("read:search", public=True)
async def search(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    q = request.query.get("q", "").strip()
    if not q:
        raise invalid("q can't be blank")
    wanted = request.query.get("type") or None
    if wanted is not None and wanted not in TYPES:
        raise invalid(f"type must be one of {', '.join(TYPES)}")
    limit = max(small_number(request.query.get("limit"), 20, 40), 1)
    offset = small_number(request.query.get("offset"), 0, 10_000)
    resolve = request.query.get("resolve") in ("true", "1") and caller.user is not None
    accounts: list[Actor] = []
    is_handle = bool(HANDLE_RE.match(q))
    is_url = q.startswith(("http://", "https://"))
    if wanted in (None, "accounts") and (is_handle or is_url) and resolve:
        # Mastodon answers an empty result for a handle it cannot resolve.
        with contextlib.suppress(FollowError):
            accounts.append(await resolve_target(ctx, q))
    async with ctx.sessions.begin() as session:
        await register_new(session)
    async with ctx.sessions() as session:
        renderer = Renderer(session, ctx, caller.user)
        if wanted in (None, "accounts") and not accounts:
            accounts = await _find_accounts(session, ctx, q, is_handle, limit, offset)
        statuses: list[dict] = []
        if wanted in (None, "statuses") and not is_handle:
            query = statuses_with_items().where(
                visible_item(), AidItemRow.visibility == "public", ApiStatus.reblog_of_id.is_(None)
            )
            if is_url:
                query = query.where(AidItemRow.uri == q)
            else:
                query = query.where(func.lower(AidItemRow.title).like(_like(q), escape="\\"))
            rows = (
                await session.execute(
                    query.order_by(ApiStatus.id.desc()).offset(offset).limit(limit)
                )
            ).scalars()
            statuses = await renderer.statuses(list(rows))
        hashtags = []
        if wanted in (None, "hashtags") and not is_handle and not is_url:
            hashtags = [serializers.tag(name, ctx.settings.base_url) for name in _tags(q)][
                offset : offset + limit
            ]
        return json_response(
            {
                "accounts": await renderer.accounts(accounts),
                "statuses": statuses,
                "hashtags": hashtags,
            }
        )


async def _find_accounts(
    session: AsyncSession, ctx: Context, q: str, is_handle: bool, limit: int, offset: int
) -> list[Actor]:
    query = select(Actor).where(Actor.type.in_(("Group", "Person")))
    if is_handle:
        name, _, host = q.lstrip("@").partition("@")
        host = host.lower()
        query = query.where(Actor.username == name)
        query = (
            query.where(Actor.local)
            if host == ctx.settings.host
            else query.where(Actor.domain == host)
        )
    else:
        pattern = _like(q.lstrip("@"))
        query = query.where(
            or_(
                func.lower(Actor.username).like(pattern, escape="\\"),
                func.lower(Actor.display_name).like(pattern, escape="\\"),
            )
        )
    rows = await session.execute(
        query.order_by(Actor.local.desc(), Actor.id).offset(offset).limit(limit)
    )
    return list(rows.scalars())


def _tags(q: str) -> list[str]:
    low = q.lstrip("#").lower()
    names = [*KIND_HASHTAGS.values(), COMMUNITY_HASHTAG, *(c.hashtag for c in all_categories())]
    return [name for name in dict.fromkeys(names) if low in name.lower()]


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v2/search", search)
