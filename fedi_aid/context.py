"""What every part of a running instance shares: settings, database, HTTP client, keys."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi_aid.config import Settings
from fedi_aid.db.engine import create_engine, create_session_factory
from fedi_aid.federation.http_client import HttpClient
from fedi_aid.federation.keys import KeyRef
from fedi_aid.urls import Urls

if TYPE_CHECKING:
    from fedi_aid.db.moderation_cache import ModerationCache
    from fedi_aid.inbox.batch_store import InboxWriter
    from fedi_aid.inbox.key_cache import KeyCache


@dataclass
class Context:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: HttpClient
    urls: Urls
    # Set once the instance actor exists; signs fetches.
    instance_key: KeyRef | None = None
    # Woken when rows were written that a worker should look at (saves a poll interval).
    work_available: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def create(cls, settings: Settings) -> Context:
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_session_factory(engine),
            http=HttpClient(settings),
            urls=Urls(settings.base_url),
        )

    async def start(self) -> None:
        await self.http.start()

    async def close(self) -> None:
        await self.http.close()
        await self.engine.dispose()

    def wake_workers(self) -> None:
        self.work_available.set()

    # -- the inbox's fast path (fedi_aid.inbox.receive): made on first use ------------------

    @functools.cached_property
    def moderation(self) -> ModerationCache:
        """Blocks and domain health, mirrored in memory for the inbox's checks."""
        from fedi_aid.db.moderation_cache import ModerationCache

        return ModerationCache(self.sessions)

    @functools.cached_property
    def verified_keys(self) -> KeyCache:
        """Owners of signing keys that verified recently."""
        from fedi_aid.inbox.key_cache import MAX_AGE_SECONDS, KeyCache

        return KeyCache(max_age=min(float(self.settings.key_cache_seconds), MAX_AGE_SECONDS))

    @functools.cached_property
    def inbox_writer(self) -> InboxWriter:
        """Stores incoming activities, the concurrent requests' rows in one transaction."""
        from fedi_aid.inbox.batch_store import InboxWriter

        return InboxWriter(
            self.engine,
            on_stored=self.wake_workers,
            on_domains_seen=self.moderation.domains_seen,
        )
