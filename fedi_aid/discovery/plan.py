"""The crawl's plan: which document to read next, and what was found. Pure: no I/O.

Breadth first by follow distance from the seeds: every group at distance d is read, and its
followers and following collections walked, before anything at d + 1. A URL is planned at
most once, so no collection (or page, or actor) is ever fetched twice in one crawl. Groups
are expanded up to `max_depth`; those whose home is within the radius are the results.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

from fedi_aid.aid.geo import haversine_km

# Lower sorts first within a depth: counts of results, then actors, then collections.
RANKS = {"counts": 0, "actor": 1, "collection": 2}


@dataclass(frozen=True)
class Task:
    kind: str  # actor | collection | counts
    url: str
    depth: int
    owner: str | None = None  # the group a collection or count belongs to
    page: int = 0  # pages of this collection already read
    taken: int = 0  # members of this collection already taken
    counts: str | None = None  # for a counts task: open_needs | open_offers


@dataclass
class Found:
    uri: str
    username: str | None
    domain: str
    name: str
    url: str | None
    place_name: str | None
    latitude: float
    longitude: float
    radius_km: float | None
    categories: list[str]
    distance_km: float
    depth: int
    open_needs: int | None = None
    open_offers: int | None = None

    @property
    def handle(self) -> str | None:
        return f"{self.username}@{self.domain}" if self.username else None


@dataclass
class Frontier:
    center: tuple[float, float]
    radius_km: float
    max_depth: int
    local_uris: frozenset[str] = frozenset()
    max_pages: int = 10  # pages read per collection
    max_members: int = 200  # members taken per collection
    found: dict[str, Found] = field(default_factory=dict)
    groups_seen: int = 0
    _planned: set[str] = field(default_factory=set)
    _queue: list[tuple[int, int, int, Task]] = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    def _push(self, task: Task) -> None:
        if task.url in self._planned:
            return
        self._planned.add(task.url)
        heapq.heappush(self._queue, (task.depth, RANKS[task.kind], next(self._order), task))

    def add_seed(self, uri: str) -> None:
        self._push(Task("actor", uri, 0))

    def pop(self) -> Task | None:
        return heapq.heappop(self._queue)[3] if self._queue else None

    def __len__(self) -> int:
        return len(self._queue)

    def actor_read(self, task: Task, actor: dict[str, Any] | None) -> None:
        """An actor document was read (None: unreadable, or not an actor)."""
        if actor is None or actor.get("type") != "Group" or actor.get("uri") != task.url:
            return
        self.groups_seen += 1
        lat, lon = actor.get("latitude"), actor.get("longitude")
        if lat is not None and lon is not None and task.url not in self.local_uris:
            distance = haversine_km(self.center, (lat, lon))
            if distance <= self.radius_km:
                self.found[task.url] = Found(
                    uri=task.url,
                    username=actor.get("username"),
                    domain=actor.get("domain") or "",
                    name=actor.get("name") or "",
                    url=actor.get("url"),
                    place_name=actor.get("place_name"),
                    latitude=lat,
                    longitude=lon,
                    radius_km=actor.get("radius_km"),
                    categories=list(actor.get("categories") or []),
                    distance_km=round(distance, 1),
                    depth=task.depth,
                )
                for name in ("open_needs", "open_offers"):
                    if actor.get(name):
                        self._push(Task("counts", actor[name], task.depth, task.url, counts=name))
        if task.depth < self.max_depth:
            for name in ("followers", "following"):
                if actor.get(name):
                    self._push(Task("collection", actor[name], task.depth, task.url))

    def collection_read(self, task: Task, page: dict[str, Any] | None) -> None:
        """A collection (or one of its pages) was read: plan its members and its next page."""
        if page is None:
            return
        room = self.max_members - task.taken
        members = page.get("items", [])[: max(room, 0)]
        for uri in members:
            self._push(Task("actor", uri, task.depth + 1))
        taken = task.taken + len(members)
        next_page = page.get("next")
        if next_page and task.page + 1 < self.max_pages and taken < self.max_members:
            self._push(Task("collection", next_page, task.depth, task.owner, task.page + 1, taken))

    def counts_read(self, task: Task, total: int | None) -> None:
        found = self.found.get(task.owner or "")
        if found is not None and task.counts is not None:
            setattr(found, task.counts, total)

    def results(self) -> list[Found]:
        """Groups within the radius, nearest first."""
        return sorted(self.found.values(), key=lambda f: (f.distance_km, f.uri))
