"""Compose Follow, Accept, Reject and Undo{Follow}; write them for delivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.vocab import AS_CONTEXT
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.follows import remove_follow, save_follow
from fedi_aid.db.models import Actor, Follow
from fedi_aid.outbox.queue import inbox_of, queue_activity


def follow_activity(uri: str, follower: Actor, followee: Actor) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "Follow",
        "actor": follower.uri,
        "object": followee.uri,
    }


async def send_follow(
    session: AsyncSession, ctx: Context, follower: Actor, followee: Actor
) -> Follow:
    """A local actor follows another. Local targets are settled here, remote ones by Accept."""
    now = utcnow()
    uri = ctx.urls.activity("follow")
    if followee.local:
        state = "pending" if followee.locked else "accepted"
        return await save_follow(session, follower, followee, uri, state, now)
    follow = await save_follow(session, follower, followee, uri, "pending", now)
    await queue_activity(
        session, follower, follow_activity(uri, follower, followee), [inbox_of(followee)], now=now
    )
    ctx.wake_workers()
    return follow


async def send_undo_follow(session: AsyncSession, ctx: Context, follow: Follow) -> None:
    follower, followee = follow.follower, follow.followee
    await remove_follow(session, follow)
    if followee.local:
        return
    undo = {
        "@context": AS_CONTEXT,
        "id": ctx.urls.activity("undo"),
        "type": "Undo",
        "actor": follower.uri,
        "object": follow_activity(follow.uri, follower, followee),
    }
    await queue_activity(session, follower, undo, [inbox_of(followee)])
    ctx.wake_workers()


async def _answer_follow(session: AsyncSession, ctx: Context, follow: Follow, verb: str) -> None:
    follower, followee = follow.follower, follow.followee
    if follower.local:
        return
    answer = {
        "@context": AS_CONTEXT,
        "id": ctx.urls.activity(verb.lower()),
        "type": verb,
        "actor": followee.uri,
        # Mastodon finds the follow by the embedded Follow's id (or actor+object).
        "object": follow_activity(follow.uri, follower, followee),
    }
    await queue_activity(session, followee, answer, [inbox_of(follower)])
    ctx.wake_workers()


async def send_accept(session: AsyncSession, ctx: Context, follow: Follow) -> None:
    follow.state = "accepted"
    follow.updated_at = utcnow()
    await _answer_follow(session, ctx, follow, "Accept")


async def send_reject(session: AsyncSession, ctx: Context, follow: Follow) -> None:
    await _answer_follow(session, ctx, follow, "Reject")
    await remove_follow(session, follow)
