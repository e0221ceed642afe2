"""The crawl's I/O: read what the plan asks for, from the cache, our own database, or the network.

Polite by construction: signed GETs through the one guarded HTTP client, requests one at a
time with at least `host_interval` seconds between two to the same host, a total request
budget, and every answer (or failure) cached in the database until it expires, so a second
crawl of the same area costs nothing. Only hosts whose NodeInfo says they run fedi-aid with
at least one group are walked (seeds are always read).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fedi_aid.activitypub.actor_to_as import actor_to_as
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri, find_local_actor
from fedi_aid.db.discovery_cache import find_fresh, save_entry
from fedi_aid.db.follows import page_of_follows
from fedi_aid.discovery.counts import count_open_items
from fedi_aid.discovery.parse import (
    actor_summary,
    collection_summary,
    nodeinfo_link,
    nodeinfo_summary,
    runs_fedi_aid,
)
from fedi_aid.discovery.plan import Frontier
from fedi_aid.federation.http_client import FetchError
from fedi_aid.federation.resolver import ResolveError, fetch_document
from fedi_aid.federation.webfinger import WebfingerError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlLimits:
    max_requests: int = 200
    host_interval: float = 0.5  # seconds between two requests to one host
    cache_ttl: timedelta = timedelta(hours=6)
    error_ttl: timedelta = timedelta(minutes=30)
    refresh: bool = False  # ignore (but rewrite) the cache


@dataclass
class Progress:
    requests: int
    budget: int
    cached: int
    groups_seen: int
    found: int
    queued: int
    url: str


class BudgetExhausted(Exception):
    pass


@dataclass
class Crawler:
    ctx: Context
    limits: CrawlLimits
    on_progress: Callable[[Progress], None] | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    requests: list[str] = field(default_factory=list)  # every URL fetched over the network
    cached: int = 0
    budget_exhausted: bool = False
    _last_by_host: dict[str, float] = field(default_factory=dict)

    # ---- the walk ------------------------------------------------------------------------

    async def run(self, frontier: Frontier, seeds: set[str]) -> None:
        while (task := frontier.pop()) is not None:
            try:
                if task.kind == "actor":
                    frontier.actor_read(task, await self.actor(task.url, seed=task.url in seeds))
                elif task.kind == "collection":
                    frontier.collection_read(task, await self.collection(task.url))
                else:
                    frontier.counts_read(task, await self.count(task.url))
            except BudgetExhausted:
                self.budget_exhausted = True
            if self.on_progress is not None:
                self.on_progress(
                    Progress(
                        len(self.requests),
                        self.limits.max_requests,
                        self.cached,
                        frontier.groups_seen,
                        len(frontier.found),
                        len(frontier),
                        task.url,
                    )
                )

    # ---- what the plan reads ---------------------------------------------------------------

    def _is_local(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() == self.ctx.settings.host

    async def actor(self, url: str, *, seed: bool = False) -> dict[str, Any] | None:
        if self._is_local(url):
            async with self.ctx.sessions() as session:
                local = await find_actor_by_uri(session, url)
            return actor_summary(actor_to_as(local)) if local is not None and local.local else None
        if not seed and not await self._walkable_host(url):
            return None
        return await self._cached("actor", url, self._fetch_actor)

    async def collection(self, url: str) -> dict[str, Any] | None:
        if self._is_local(url):
            return await self._local_collection(url)
        return await self._cached("collection", url, self._fetch_collection)

    async def count(self, url: str) -> int | None:
        if self._is_local(url):
            return await self._local_count(url)
        data = await self._cached("collection", url, self._fetch_collection)
        return data.get("total") if data else None

    async def webfinger(
        self, handle: str, lookup: Callable[[Context, str], Awaitable[str]]
    ) -> str | None:
        """A seed handle -> its actor URL (one budgeted, cached WebFinger lookup)."""

        scheme = "http" if self.ctx.settings.development else "https"

        async def fetch(key: str) -> dict[str, Any]:
            url = f"{scheme}://{handle.rpartition('@')[2]}/.well-known/webfinger"
            async with self._request(url):
                try:
                    return {"uri": await lookup(self.ctx, handle)}
                except WebfingerError as exc:
                    raise ResolveError(str(exc)) from None

        data = await self._cached("webfinger", f"acct:{handle}", fetch)
        return data.get("uri") if data else None

    # ---- network, through the cache ----------------------------------------------------------

    async def _cached(
        self, kind: str, url: str, fetch: Callable[[str], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any] | None:
        now = utcnow()
        if not self.limits.refresh:
            async with self.ctx.sessions() as session:
                entry = await find_fresh(session, url, now)
            if entry is not None:
                self.cached += 1
                return entry.data if entry.ok else None
        data: dict[str, Any] | None = None
        error = None
        try:
            data = await fetch(url)
        except (ResolveError, FetchError) as exc:
            error = str(exc)
            log.info("discovery: %s", error)
        ttl = self.limits.cache_ttl if error is None else self.limits.error_ttl
        async with self.ctx.sessions.begin() as session:
            await save_entry(
                session, url, kind, data=data, error=error, now=now, expires_at=now + ttl
            )
        return data

    async def _get(self, url: str) -> dict[str, Any]:
        """One signed GET, within the budget and the per-host interval."""
        async with self._request(url):
            return await fetch_document(self.ctx, url)

    @contextlib.asynccontextmanager
    async def _request(self, url: str) -> AsyncIterator[None]:
        """Budget and per-host pause around one request: `host_interval` seconds pass between
        the end of one request to a host and the start of the next."""
        if len(self.requests) >= self.limits.max_requests:
            raise BudgetExhausted
        host = urlsplit(url).netloc.lower()
        last = self._last_by_host.get(host)
        if last is not None:
            wait = last + self.limits.host_interval - self.clock()
            if wait > 0:
                await self.sleep(wait)
        self.requests.append(url)
        try:
            yield
        finally:
            self._last_by_host[host] = self.clock()

    async def _fetch_actor(self, url: str) -> dict[str, Any]:
        summary = actor_summary(await self._get(url))
        if summary is None:
            raise ResolveError(f"{url} is not an actor")
        return summary

    async def _fetch_collection(self, url: str) -> dict[str, Any]:
        return collection_summary(await self._get(url))

    async def _walkable_host(self, url: str) -> bool:
        parts = urlsplit(url)
        index_url = f"{parts.scheme}://{parts.netloc}/.well-known/nodeinfo"
        data = await self._cached("nodeinfo", index_url, self._fetch_nodeinfo)
        return data is not None and runs_fedi_aid(data)

    async def _fetch_nodeinfo(self, index_url: str) -> dict[str, Any]:
        accept = "application/json"
        async with self._request(index_url):
            _, index = await self.ctx.http.get_json(index_url, accept=accept)
        link = nodeinfo_link(index)
        if link is None:
            raise ResolveError(f"{index_url} links no NodeInfo 2.x document")
        if urlsplit(link).netloc.lower() != urlsplit(index_url).netloc.lower():
            raise ResolveError(f"{index_url} points NodeInfo to another host")
        async with self._request(link):
            _, doc = await self.ctx.http.get_json(link, accept=accept)
        return nodeinfo_summary(doc)

    # ---- our own groups, from the database ---------------------------------------------------

    async def _local_collection(self, url: str) -> dict[str, Any] | None:
        path = urlsplit(url).path.rstrip("/")
        parts = path.split("/")
        if len(parts) != 4 or parts[1] != "users" or parts[3] not in ("followers", "following"):
            return None
        async with self.ctx.sessions() as session:
            actor = await find_local_actor(session, parts[2])
            if actor is None:
                return None
            total, uris = await page_of_follows(
                session, actor, followers=parts[3] == "followers", offset=0, limit=500
            )
        return {"items": uris, "next": None, "total": total}

    async def _local_count(self, url: str) -> int | None:
        path = urlsplit(url).path.rstrip("/")
        parts = path.split("/")
        if len(parts) != 5 or parts[1] != "users" or parts[4] not in ("needs", "offers"):
            return None
        async with self.ctx.sessions() as session:
            actor = await find_local_actor(session, parts[2])
            if actor is None:
                return None
            return await count_open_items(session, actor.id, parts[4][:-1])
