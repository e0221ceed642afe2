"""The discovery crawl's cache: one row per URL, good until it expires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.models_discovery import DiscoveryCacheEntry


async def find_fresh(session: AsyncSession, url: str, now: datetime) -> DiscoveryCacheEntry | None:
    query = select(DiscoveryCacheEntry).where(
        DiscoveryCacheEntry.url == url, DiscoveryCacheEntry.expires_at > now
    )
    return (await session.execute(query)).scalar_one_or_none()


async def save_entry(
    session: AsyncSession,
    url: str,
    kind: str,
    *,
    data: dict[str, Any] | None,
    error: str | None,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Insert or replace the entry for `url` (a concurrent insert of the same URL is fine)."""
    await session.execute(delete(DiscoveryCacheEntry).where(DiscoveryCacheEntry.url == url))
    session.add(
        DiscoveryCacheEntry(
            url=url[:2048],
            kind=kind,
            ok=error is None,
            data=data,
            error=error[:1000] if error else None,
            fetched_at=now,
            expires_at=expires_at,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(DiscoveryCacheEntry).where(DiscoveryCacheEntry.expires_at <= now)
    )
    return int(result.rowcount or 0)
