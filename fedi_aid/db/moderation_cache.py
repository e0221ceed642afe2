"""The inbox's moderation checks answered from memory: blocked domains and actors, group blocks,
and which domains are marked unavailable.

A snapshot of those rows is read in one go and kept for at most TTL_SECONDS. A change made in
this process (CLI command run in-process, web admin, the delivery worker marking a domain
unavailable) is seen at once: fedi_aid.db.change_counters moves a counter and the next check
reloads. A change made by another process (`fedi-aid block` on the command line) is honoured
at the latest TTL_SECONDS after it was committed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi_aid.db import change_counters
from fedi_aid.db.models import Domain
from fedi_aid.db.models_moderation import Block
from fedi_aid.domain_names import covering_domains

# How long a block added by another process may go unnoticed. Reloading costs two small
# queries, so this is kept short.
TTL_SECONDS = 2.0


@dataclass(frozen=True)
class ModerationSnapshot:
    blocked_domains: frozenset[str]
    # Instance-wide actor blocks (a group_id NULL block of kind "actor").
    blocked_actors: frozenset[str]
    # A group's blocks: (group_id, kind, target).
    group_blocks: frozenset[tuple[int, str, str]]
    # Marked unavailable by the delivery worker; a signed request from one clears the mark.
    # Mutable: the inbox drops a domain from it once it cleared the mark in the database.
    unavailable_domains: set[str] = field(default_factory=set)

    def is_domain_blocked(self, domain: str) -> bool:
        """As fedi_aid.db.domains.is_domain_blocked (a block covers subdomains)."""
        return bool(self.blocked_domains) and any(
            d in self.blocked_domains for d in covering_domains(domain)
        )

    def is_blocked(self, actor_uri: str, domain: str, group_id: int | None = None) -> bool:
        """As fedi_aid.db.moderation.is_blocked."""
        if actor_uri in self.blocked_actors:
            return True
        if group_id is None or not self.group_blocks:
            return False
        if (group_id, "actor", actor_uri) in self.group_blocks:
            return True
        return any((group_id, "domain", d) in self.group_blocks for d in covering_domains(domain))


async def load_snapshot(session: AsyncSession) -> ModerationSnapshot:
    domains = await session.execute(
        select(Domain.domain, Domain.blocked, Domain.unavailable).where(
            or_(Domain.blocked.is_(True), Domain.unavailable.is_(True))
        )
    )
    blocked_domains, unavailable = set(), set()
    for name, blocked, is_unavailable in domains:
        if blocked:
            blocked_domains.add(name)
        if is_unavailable:
            unavailable.add(name)
    actors, groups = set(), set()
    for group_id, kind, target in await session.execute(
        select(Block.group_id, Block.kind, Block.target)
    ):
        if group_id is None:
            if kind == "actor":
                actors.add(target)
        else:
            groups.add((group_id, kind, target))
    return ModerationSnapshot(
        frozenset(blocked_domains), frozenset(actors), frozenset(groups), unavailable
    )


class ModerationCache:
    """One per Context. `await current()` is a dict lookup unless the snapshot is stale."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.clock = clock
        self._snapshot: ModerationSnapshot | None = None
        self._loaded_at = 0.0
        self._generation = -1
        self._loading: asyncio.Future[ModerationSnapshot] | None = None
        self._loading_generation = -1

    def _fresh(self) -> ModerationSnapshot | None:
        snapshot = self._snapshot
        if (
            snapshot is not None
            and self._generation == change_counters.generation(change_counters.MODERATION)
            and self.clock() - self._loaded_at < self.ttl
        ):
            return snapshot
        return None

    async def current(self) -> ModerationSnapshot:
        snapshot = self._fresh()
        if snapshot is not None:
            return snapshot
        # One reload at a time: concurrent callers share it, unless a change was counted
        # after it started (then its rows may predate the change).
        generation = change_counters.generation(change_counters.MODERATION)
        loading = self._loading
        if (
            loading is None
            or loading.done()
            or self._loading_generation != generation
            or loading.get_loop() is not asyncio.get_running_loop()
        ):
            loading = self._loading = asyncio.ensure_future(self._reload(generation))
            self._loading_generation = generation
        return await asyncio.shield(loading)

    async def _reload(self, generation: int) -> ModerationSnapshot:
        # The counter and the clock are read before the rows: a change committed meanwhile
        # moves the counter past the remembered value and forces the next reload.
        started = self.clock()
        async with self.sessions() as session:
            snapshot = await load_snapshot(session)
        self._snapshot, self._loaded_at, self._generation = snapshot, started, generation
        return snapshot

    def domains_seen(self, domains: Collection[str]) -> None:
        """The inbox cleared these domains' unavailable mark in the database."""
        if self._snapshot is not None:
            self._snapshot.unavailable_domains.difference_update(domains)

    def invalidate(self) -> None:
        self._snapshot = None
