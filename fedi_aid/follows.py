"""What an organiser does with follows: follow by handle or URL, unfollow, approve, list."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri, get_local_actor
from fedi_aid.db.errors import NotFound
from fedi_aid.db.follows import find_follow, list_followers, list_following
from fedi_aid.db.models import Actor, Follow
from fedi_aid.federation.resolver import ResolveError, fetch_actor
from fedi_aid.federation.webfinger import WebfingerError, parse_handle, webfinger
from fedi_aid.outbox.follows import send_accept, send_follow, send_reject, send_undo_follow


class FollowError(Exception):
    """A follow operation cannot be done; the message says why and what to do."""


async def resolve_target(ctx: Context, handle_or_url: str) -> Actor:
    """`name@host` (WebFinger), a local name, or an actor URL -> a stored actor."""
    text = handle_or_url.strip()
    try:
        if text.startswith(("http://", "https://")):
            async with ctx.sessions() as session:
                local = await find_actor_by_uri(session, text)
            if local is None and text.startswith(ctx.settings.base_url.rstrip("/") + "/"):
                raise NotFound(f"no actor at {text} on this instance")
            return local if local is not None else await fetch_actor(ctx, text, refresh=True)
        if "@" not in text.lstrip("@"):
            async with ctx.sessions() as session:
                return await get_local_actor(session, text.lstrip("@"))
        name, host = parse_handle(text)
        if host == ctx.settings.host:
            async with ctx.sessions() as session:
                return await get_local_actor(session, name)
        return await fetch_actor(ctx, await webfinger(ctx, text), refresh=True)
    except (WebfingerError, ResolveError, NotFound) as exc:
        raise FollowError(str(exc)) from None


async def follow(ctx: Context, group_name: str, target_ref: str) -> Follow:
    async with ctx.sessions() as session:
        await _local_group(session, group_name)  # fail fast, before any lookup
    target = await resolve_target(ctx, target_ref)
    async with ctx.sessions.begin() as session:
        group = await _local_group(session, group_name)
        if target.id == group.id:
            raise FollowError("a group cannot follow itself")
        target = await session.merge(target)
        return await send_follow(session, ctx, group, target)


async def unfollow(ctx: Context, group_name: str, target_ref: str) -> Actor:
    async with ctx.sessions() as session:
        await _local_group(session, group_name)
    target = await resolve_target(ctx, target_ref)
    async with ctx.sessions.begin() as session:
        group = await _local_group(session, group_name)
        relation = await find_follow(session, group, target)
        if relation is None:
            raise FollowError(f"{group_name} does not follow {target.uri}")
        await send_undo_follow(session, ctx, relation)
    return target


async def approve(
    ctx: Context, group_name: str, follower_ref: str, *, reject: bool = False
) -> Follow:
    follower = await resolve_target(ctx, follower_ref)
    async with ctx.sessions.begin() as session:
        group = await _local_group(session, group_name)
        relation = await find_follow(session, follower, group)
        if relation is None or relation.state != "pending":
            raise FollowError(f"there is no pending follow request from {follower.uri}")
        if reject:
            await send_reject(session, ctx, relation)
        else:
            await send_accept(session, ctx, relation)
        return relation


async def followers_of(ctx: Context, group_name: str, state: str = "accepted") -> list[Follow]:
    async with ctx.sessions() as session:
        group = await _local_group(session, group_name)
        return list(await list_followers(session, group, state=state))


async def following_of(ctx: Context, group_name: str) -> list[Follow]:
    async with ctx.sessions() as session:
        group = await _local_group(session, group_name)
        return list(await list_following(session, group))


async def _local_group(session: AsyncSession, name: str) -> Actor:
    try:
        return await get_local_actor(session, name.lstrip("@"))
    except NotFound as exc:
        raise FollowError(f"{exc}; list them with `fedi-aid group list`") from None
