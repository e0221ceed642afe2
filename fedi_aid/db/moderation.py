"""Moderation rows: domain policies (on `domains`), blocks, reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.dialect import insert_ignoring_duplicates
from fedi_aid.db.models import Actor, Delivery, Domain, Follow
from fedi_aid.db.models_moderation import Block, Report
from fedi_aid.domain_names import covering_domains


async def set_domain_policy(
    session: AsyncSession,
    domain: str,
    *,
    blocked: bool | None = None,
    silenced: bool | None = None,
    reason: str | None = None,
) -> Domain:
    row = await session.get(Domain, domain)
    if row is None:
        row = Domain(domain=domain, unavailable=False, blocked=False, silenced=False)
        session.add(row)
    if blocked is not None:
        row.blocked = blocked
    if silenced is not None:
        row.silenced = silenced
    if reason:
        row.moderation_reason = reason
    await session.flush()
    return row


async def is_domain_silenced(session: AsyncSession, domain: str) -> bool:
    """Silenced, itself or by a silence of a parent domain."""
    covering = covering_domains(domain)
    query = select(Domain.domain).where(Domain.domain.in_(covering), Domain.silenced.is_(True))
    return (await session.execute(query.limit(1))).first() is not None


def on_domain(column: Any, domain: str) -> ColumnElement[bool]:
    """COLUMN (a domain) is DOMAIN or one of its subdomains, with or without a port."""
    pattern = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        column == domain,
        column.like(f"{pattern}:%", escape="\\"),
        column.like(f"%.{pattern}", escape="\\"),
        column.like(f"%.{pattern}:%", escape="\\"),
    )


async def list_domain_policies(session: AsyncSession) -> Sequence[Domain]:
    query = (
        select(Domain)
        .where(or_(Domain.blocked.is_(True), Domain.silenced.is_(True)))
        .order_by(Domain.domain)
    )
    return (await session.execute(query)).scalars().all()


async def find_block(
    session: AsyncSession, kind: str, target: str, group_id: int | None
) -> Block | None:
    group_match = Block.group_id.is_(None) if group_id is None else Block.group_id == group_id
    query = select(Block).where(Block.kind == kind, Block.target == target, group_match)
    return (await session.execute(query)).scalars().first()


async def add_block(
    session: AsyncSession, kind: str, target: str, group_id: int | None, reason: str, now: datetime
) -> bool:
    """False when the same block already exists."""
    if await find_block(session, kind, target, group_id) is not None:
        return False
    session.add(Block(kind=kind, target=target, group_id=group_id, reason=reason, created_at=now))
    await session.flush()
    return True


async def remove_block(session: AsyncSession, kind: str, target: str, group_id: int | None) -> bool:
    block = await find_block(session, kind, target, group_id)
    if block is None:
        return False
    await session.execute(delete(Block).where(Block.id == block.id))
    return True


async def list_blocks(session: AsyncSession) -> Sequence[tuple[Block, str | None]]:
    """Every block with the blocking group's name (None: the whole instance)."""
    query = (
        select(Block, Actor.username)
        .outerjoin(Actor, Actor.id == Block.group_id)
        .order_by(Block.id)
    )
    return [(block, name) for block, name in await session.execute(query)]


async def is_blocked(
    session: AsyncSession, actor_uri: str, domain: str, group_id: int | None = None
) -> bool:
    """The actor is blocked on the whole instance, or `group_id` blocks it or its domain.

    Instance-wide domain blocks are `domains.blocked`, checked by the inbox before this."""
    this_actor = (Block.kind == "actor") & (Block.target == actor_uri)
    matches = Block.group_id.is_(None) & this_actor
    if group_id is not None:
        this_domain = (Block.kind == "domain") & Block.target.in_(covering_domains(domain))
        matches = matches | ((Block.group_id == group_id) & (this_actor | this_domain))
    result = await session.execute(select(Block.id).where(matches).limit(1))
    return result.first() is not None


async def follows_between(
    session: AsyncSession,
    local_ids: Sequence[int] | None,
    *,
    actor_uri: str | None = None,
    domain: str | None = None,
) -> Sequence[Follow]:
    """Follows either way between local actors (all when local_ids is None) and the remote
    actor `actor_uri` or every actor on `domain` and its subdomains."""
    remote = select(Actor.id).where(Actor.local.is_(False))
    remote = (
        remote.where(Actor.uri == actor_uri)
        if actor_uri
        else remote.where(on_domain(Actor.domain, domain or ""))
    )
    remote_ids = remote.scalar_subquery()
    outgoing = Follow.followee_id.in_(remote_ids)
    incoming = Follow.follower_id.in_(remote_ids)
    if local_ids is not None:
        outgoing = outgoing & Follow.follower_id.in_(local_ids)
        incoming = incoming & Follow.followee_id.in_(local_ids)
    query = select(Follow).where(or_(outgoing, incoming)).order_by(Follow.id)
    return (await session.execute(query)).scalars().unique().all()


async def delete_follows(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(Follow).where(Follow.id.in_(ids)))


async def drop_pending_deliveries(session: AsyncSession, domain: str, now: datetime) -> int:
    """Pending deliveries to a blocked domain (and its subdomains) will never be sent."""
    result = await session.execute(
        update(Delivery)
        .where(on_domain(Delivery.domain, domain), Delivery.state == "pending")
        .values(state="dead", last_error="domain blocked", finished_at=now, locked_until=None)
    )
    return int(result.rowcount or 0)


async def store_report(session: AsyncSession, **values: Any) -> bool:
    """Store a report once per Flag id. False when it was already stored."""
    statement = insert_ignoring_duplicates(session, Report, ["uri"]).values(**values)
    return bool((await session.execute(statement)).rowcount)


async def list_reports(
    session: AsyncSession,
    direction: str | None = None,
    limit: int = 100,
    *,
    open_only: bool = False,
) -> Sequence[Report]:
    query = select(Report).order_by(Report.id.desc()).limit(limit)
    if direction:
        query = query.where(Report.direction == direction)
    if open_only:
        query = query.where(Report.resolved.is_(False))
    return (await session.execute(query)).scalars().all()


async def find_report(session: AsyncSession, ref: str) -> Report | None:
    """A report by its number (as `reports` lists it) or its Flag id."""
    if ref.isdigit():
        return await session.get(Report, int(ref))
    return (await session.execute(select(Report).where(Report.uri == ref))).scalar_one_or_none()
