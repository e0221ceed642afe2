"""Actors: local (with keys) and remote (cached documents)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import Actor


async def find_actor_by_uri(session: AsyncSession, uri: str) -> Actor | None:
    return (await session.execute(select(Actor).where(Actor.uri == uri))).scalar_one_or_none()


async def get_actor_by_uri(session: AsyncSession, uri: str) -> Actor:
    actor = await find_actor_by_uri(session, uri)
    if actor is None:
        raise NotFound(f"no actor {uri}")
    return actor


async def find_actor_by_key_id(session: AsyncSession, key_id: str) -> Actor | None:
    result = await session.execute(select(Actor).where(Actor.key_id == key_id).limit(1))
    return result.scalar_one_or_none()


async def find_local_actor(session: AsyncSession, username: str) -> Actor | None:
    result = await session.execute(
        select(Actor).where(Actor.local.is_(True), Actor.username == username.lower())
    )
    return result.scalar_one_or_none()


async def get_local_actor(session: AsyncSession, username: str, type_: str | None = None) -> Actor:
    actor = await find_local_actor(session, username)
    if actor is None or (type_ is not None and actor.type != type_):
        kind = (type_ or "actor").lower()
        raise NotFound(f"no local {kind} named {username!r}")
    return actor


async def find_remote_actor_by_handle(
    session: AsyncSession, username: str, domain: str
) -> Actor | None:
    result = await session.execute(
        select(Actor).where(
            Actor.local.is_(False),
            func.lower(Actor.username) == username.lower(),
            Actor.domain == domain.lower(),
        )
    )
    return result.scalars().first()


async def list_local_actors(session: AsyncSession, type_: str | None = None) -> Sequence[Actor]:
    query = select(Actor).where(Actor.local.is_(True)).order_by(Actor.username)
    if type_:
        query = query.where(Actor.type == type_)
    return (await session.execute(query)).scalars().all()


async def count_local_actors(session: AsyncSession, type_: str) -> int:
    query = (
        select(func.count()).select_from(Actor).where(Actor.local.is_(True), Actor.type == type_)
    )
    return int((await session.execute(query)).scalar_one())
