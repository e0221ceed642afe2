"""Relay policies and the record of what each group relayed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.relay_policy import DEFAULT_POLICY, RelayPolicy
from fedi_aid.db.dialect import insert_ignoring_duplicates
from fedi_aid.db.models import Actor, Follow, Relay
from fedi_aid.db.models import RelayPolicy as RelayPolicyRow


async def get_policy(session: AsyncSession, group: Actor) -> RelayPolicy:
    row = await session.get(RelayPolicyRow, group.id)
    if row is None:
        return DEFAULT_POLICY
    return RelayPolicy(
        enabled=row.enabled,
        kinds=tuple(row.kinds),
        categories=tuple(row.categories),
        min_urgency=row.min_urgency,
        max_distance_km=row.max_distance_km,
    )


async def save_policy(
    session: AsyncSession, group: Actor, policy: RelayPolicy, now: datetime
) -> None:
    row = await session.get(RelayPolicyRow, group.id)
    if row is None:
        row = RelayPolicyRow(group_id=group.id)
        session.add(row)
    row.enabled = policy.enabled
    row.kinds = list(policy.kinds)
    row.categories = list(policy.categories)
    row.min_urgency = policy.min_urgency
    row.max_distance_km = policy.max_distance_km
    row.updated_at = now


async def record_relay(
    session: AsyncSession,
    group: Actor,
    object_uri: str,
    announce_uri: str,
    hop_count: int,
    now: datetime,
) -> bool:
    """True the first time this group relays this object; False ever after."""
    statement = insert_ignoring_duplicates(session, Relay, ["group_id", "object_uri"]).values(
        group_id=group.id,
        object_uri=object_uri,
        announce_uri=announce_uri,
        hop_count=hop_count,
        created_at=now,
    )
    return bool((await session.execute(statement)).rowcount)


async def groups_that_relayed(session: AsyncSession, object_uri: str) -> list[Actor]:
    rows = await session.execute(
        select(Actor).join(Relay, Relay.group_id == Actor.id).where(Relay.object_uri == object_uri)
    )
    return list(rows.scalars().all())


async def local_groups_following(session: AsyncSession, actor: Actor) -> list[Actor]:
    """Local groups with an accepted follow of `actor`: the ones that may relay its posts."""
    rows = await session.execute(
        select(Actor)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.followee_id == actor.id,
            Follow.state == "accepted",
            Actor.local.is_(True),
            Actor.type == "Group",
        )
        .order_by(Actor.id)
    )
    return list(rows.scalars().all())
