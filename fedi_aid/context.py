"""What every part of a running instance shares: settings, database, HTTP client, keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi_aid.config import Settings
from fedi_aid.db.engine import create_engine, create_session_factory
from fedi_aid.federation.http_client import HttpClient
from fedi_aid.federation.keys import KeyRef
from fedi_aid.urls import Urls


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
