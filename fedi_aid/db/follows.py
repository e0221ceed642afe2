"""Follow relations between actors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.models import Actor, Follow


async def find_follow(session: AsyncSession, follower: Actor, followee: Actor) -> Follow | None:
    result = await session.execute(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followee_id == followee.id)
    )
    return result.scalar_one_or_none()


async def find_follow_by_uri(session: AsyncSession, uri: str) -> Follow | None:
    return (await session.execute(select(Follow).where(Follow.uri == uri))).scalar_one_or_none()


async def save_follow(
    session: AsyncSession, follower: Actor, followee: Actor, uri: str, state: str, now: datetime
) -> Follow:
    """Insert or refresh the one follow row for this pair (a repeated Follow replaces the id)."""
    follow = await find_follow(session, follower, followee)
    if follow is None:
        follow = Follow(
            uri=uri,
            follower_id=follower.id,
            followee_id=followee.id,
            state=state,
            created_at=now,
            updated_at=now,
        )
        session.add(follow)
    else:
        follow.uri = uri
        follow.state = state
        follow.updated_at = now
    # Callers read both ends after the session closes.
    follow.follower, follow.followee = follower, followee
    await session.flush()
    return follow


async def remove_follow(session: AsyncSession, follow: Follow) -> None:
    await session.execute(delete(Follow).where(Follow.id == follow.id))


async def list_followers(
    session: AsyncSession, followee: Actor, state: str = "accepted"
) -> Sequence[Follow]:
    query = (
        select(Follow)
        .where(Follow.followee_id == followee.id, Follow.state == state)
        .order_by(Follow.id)
    )
    return (await session.execute(query)).scalars().all()


async def list_following(
    session: AsyncSession, follower: Actor, state: str | None = None
) -> Sequence[Follow]:
    query = select(Follow).where(Follow.follower_id == follower.id).order_by(Follow.id)
    if state:
        query = query.where(Follow.state == state)
    return (await session.execute(query)).scalars().all()


async def page_of_follows(
    session: AsyncSession, actor: Actor, *, followers: bool, offset: int, limit: int
) -> tuple[int, list[str]]:
    """(total, actor URIs) for a collection page; accepted relations only."""
    mine = Follow.followee_id if followers else Follow.follower_id
    other = Follow.follower_id if followers else Follow.followee_id
    total = (
        await session.execute(
            select(func.count())
            .select_from(Follow)
            .where(mine == actor.id, Follow.state == "accepted")
        )
    ).scalar_one()
    rows = await session.execute(
        select(Actor.uri)
        .join(Follow, other == Actor.id)
        .where(mine == actor.id, Follow.state == "accepted")
        .order_by(Follow.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return int(total), [uri for (uri,) in rows]


async def follower_inboxes(session: AsyncSession, followee: Actor) -> list[str]:
    """Distinct inboxes of accepted remote followers, the shared inbox where there is one."""
    rows = await session.execute(
        select(Actor.shared_inbox, Actor.inbox)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.followee_id == followee.id, Follow.state == "accepted", Actor.local.is_(False)
        )
    )
    inboxes = {shared or inbox for shared, inbox in rows if shared or inbox}
    return sorted(inboxes)


async def is_followed_locally(session: AsyncSession, followee: Actor) -> bool:
    """Whether some local actor follows `followee` (accepted): we want what it sends."""
    query = select(
        exists().where(
            Follow.followee_id == followee.id,
            Follow.state == "accepted",
            Follow.follower_id.in_(select(Actor.id).where(Actor.local.is_(True))),
        )
    )
    return bool((await session.execute(query)).scalar())
