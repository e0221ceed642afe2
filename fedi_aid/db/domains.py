"""Health of remote domains: failing since when, unavailable or not."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fedi_aid.db.models import Domain
from fedi_aid.domain_names import covering_domains


async def _get_or_create(session: AsyncSession, domain: str) -> Domain:
    row = await session.get(Domain, domain)
    if row is None:
        row = Domain(domain=domain, unavailable=False, blocked=False)
        session.add(row)
        await session.flush()
    return row


async def record_domain_success(session: AsyncSession, domain: str, now: datetime) -> None:
    row = await _get_or_create(session, domain)
    row.failing_since = None
    row.unavailable = False
    row.last_success_at = now


async def record_domain_failure(
    session: AsyncSession, domain: str, now: datetime, unavailable_after: timedelta
) -> bool:
    """Returns True when this failure made the domain unavailable."""
    row = await _get_or_create(session, domain)
    if row.failing_since is None:
        row.failing_since = now
        return False
    failing_since = row.failing_since
    if failing_since.tzinfo is None:
        failing_since = failing_since.replace(tzinfo=now.tzinfo)
    if not row.unavailable and now - failing_since >= unavailable_after:
        row.unavailable = True
        return True
    return False


async def mark_domains_seen(connection: AsyncConnection, domains: Collection[str]) -> None:
    """Signed requests arrived from these domains: they are up again (on a Core connection:
    the inbox's batch writer)."""
    await connection.execute(
        update(Domain)
        .where(Domain.domain.in_(sorted(domains)), Domain.unavailable.is_(True))
        .values(unavailable=False, failing_since=None)
    )


async def is_domain_blocked(session: AsyncSession, domain: str) -> bool:
    """Blocked instance-wide, itself or by a block of a parent domain."""
    covering = covering_domains(domain)
    query = select(Domain.domain).where(Domain.domain.in_(covering), Domain.blocked.is_(True))
    return (await session.execute(query.limit(1))).first() is not None


async def list_unavailable_domains(session: AsyncSession) -> list[str]:
    rows = await session.execute(select(Domain.domain).where(Domain.unavailable.is_(True)))
    return [d for (d,) in rows]
