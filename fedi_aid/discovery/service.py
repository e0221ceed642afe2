"""Which groups are near here? One call for the CLI, the API and the web UI.

    report = await discover_nearby(ctx, DiscoveryQuery(26.9, 75.8, radius_km=50))
    discovery_json(report)  # what the API answers and `fedi-aid discover --json` prints

Seeds are handles (`name@host`), actor URLs or local group names; without seeds the crawl
starts from every local group. Local groups are never listed among the results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from fedi_aid.aid.categories import UnknownCategory, label
from fedi_aid.aid.geo import validate_point
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_local_actor, list_local_actors
from fedi_aid.db.aid_items import OPEN_STATUSES
from fedi_aid.db.discovery_cache import purge_expired
from fedi_aid.db.models import Actor, AidItemRow, Follow
from fedi_aid.discovery.crawl import BudgetExhausted, Crawler, CrawlLimits, Progress
from fedi_aid.discovery.plan import Found, Frontier
from fedi_aid.federation.webfinger import WebfingerError, parse_handle, webfinger

MAX_DEPTH = 6
MAX_RADIUS_KM = 5000.0
MAX_REQUESTS = 2000


class DiscoveryError(ValueError):
    """A query that cannot run; the message names the parameter."""


@dataclass(frozen=True)
class DiscoveryQuery:
    latitude: float
    longitude: float
    radius_km: float
    depth: int = 3
    seeds: tuple[str, ...] = ()
    limits: CrawlLimits = field(default_factory=CrawlLimits)

    def check(self) -> None:
        try:
            validate_point(self.latitude, self.longitude)
        except ValueError as exc:
            raise DiscoveryError(f"near: {exc}") from None
        if not 0 < self.radius_km <= MAX_RADIUS_KM:
            raise DiscoveryError(f"radius_km: must be above 0 and at most {MAX_RADIUS_KM:g}")
        if not 0 <= self.depth <= MAX_DEPTH:
            raise DiscoveryError(f"depth: must be between 0 and {MAX_DEPTH}")
        if not 1 <= self.limits.max_requests <= MAX_REQUESTS:
            raise DiscoveryError(f"max_requests: must be between 1 and {MAX_REQUESTS}")


@dataclass
class DiscoveryReport:
    query: DiscoveryQuery
    groups: list[Found]
    followed_by: dict[str, list[str]]
    requests: list[str]
    cached: int
    groups_seen: int
    budget_exhausted: bool
    unresolved_seeds: list[str]
    seconds: float


def parse_near(text: str) -> tuple[float, float]:
    """`LAT,LON` -> (lat, lon); DiscoveryError naming `near` otherwise."""
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
        validate_point(lat, lon)
    except ValueError:
        raise DiscoveryError(
            f"near: expected LAT,LON in degrees such as 26.91,75.79, got {text!r}"
        ) from None
    return lat, lon


async def _seed_uris(
    ctx: Context, crawler: Crawler, seeds: tuple[str, ...]
) -> tuple[set[str], list[str]]:
    uris: set[str] = set()
    unresolved: list[str] = []
    if not seeds:
        async with ctx.sessions() as session:
            return {a.uri for a in await list_local_actors(session, "Group")}, []
    for seed in seeds:
        text = seed.strip()
        if text.startswith(("http://", "https://")):
            uris.add(text)
            continue
        try:
            name, host = parse_handle(text) if "@" in text.lstrip("@") else (text, None)
        except WebfingerError as exc:
            raise DiscoveryError(f"seed: {exc}") from None
        if host is None or host == ctx.settings.host:
            async with ctx.sessions() as session:
                local = await find_local_actor(session, name.lstrip("@"))
            if local is None:
                raise DiscoveryError(f"seed: no local group named {name!r}")
            uris.add(local.uri)
            continue
        try:
            uri = await crawler.webfinger(f"{name}@{host}", webfinger)
        except BudgetExhausted:
            crawler.budget_exhausted = True
            uri = None
        if uri is None:
            unresolved.append(text)
        else:
            uris.add(uri)
    return uris, unresolved


async def _fill_counts_from_store(ctx: Context, found: list[Found]) -> None:
    missing = [f.uri for f in found if f.open_needs is None or f.open_offers is None]
    if not missing:
        return
    async with ctx.sessions() as session:
        rows = await session.execute(
            select(Actor.uri, AidItemRow.kind, func.count())
            .join(AidItemRow, AidItemRow.group_id == Actor.id)
            .where(
                Actor.uri.in_(missing),
                AidItemRow.status.in_(OPEN_STATUSES),
                AidItemRow.visibility.in_(("public", "unlisted")),
            )
            .group_by(Actor.uri, AidItemRow.kind)
        )
        counts = {(uri, kind): n for uri, kind, n in rows}
    for f in found:
        if f.uri in missing:
            f.open_needs = (
                f.open_needs if f.open_needs is not None else counts.get((f.uri, "need"), 0)
            )
            f.open_offers = (
                f.open_offers if f.open_offers is not None else counts.get((f.uri, "offer"), 0)
            )


async def _followed_by(ctx: Context, uris: list[str]) -> dict[str, list[str]]:
    if not uris:
        return {}
    follower = select(Actor.id, Actor.username).where(Actor.local.is_(True)).subquery()
    async with ctx.sessions() as session:
        rows = await session.execute(
            select(Actor.uri, follower.c.username)
            .join(Follow, Follow.followee_id == Actor.id)
            .join(follower, follower.c.id == Follow.follower_id)
            .where(Actor.uri.in_(uris), Follow.state.in_(("accepted", "pending")))
        )
        result: dict[str, list[str]] = {}
        for uri, name in rows:
            result.setdefault(uri, []).append(name)
    return result


async def discover_nearby(
    ctx: Context, query: DiscoveryQuery, on_progress: Callable[[Progress], None] | None = None
) -> DiscoveryReport:
    """Walk the follow graph from the seeds; groups within the radius, nearest first."""
    query.check()
    started = time.monotonic()
    async with ctx.sessions.begin() as session:
        await purge_expired(session, utcnow())
    crawler = Crawler(ctx, query.limits, on_progress)
    seeds, unresolved = await _seed_uris(ctx, crawler, query.seeds)
    async with ctx.sessions() as session:
        local = frozenset(a.uri for a in await list_local_actors(session))
    frontier = Frontier((query.latitude, query.longitude), query.radius_km, query.depth, local)
    for uri in sorted(seeds):
        frontier.add_seed(uri)
    await crawler.run(frontier, seeds)
    groups = frontier.results()
    await _fill_counts_from_store(ctx, groups)
    return DiscoveryReport(
        query=query,
        groups=groups,
        followed_by=await _followed_by(ctx, [g.uri for g in groups]),
        requests=list(crawler.requests),
        cached=crawler.cached,
        groups_seen=frontier.groups_seen,
        budget_exhausted=crawler.budget_exhausted,
        unresolved_seeds=unresolved,
        seconds=round(time.monotonic() - started, 3),
    )


def _category(uri: str) -> dict[str, str]:
    try:
        return {"uri": uri, "label": label(uri)}
    except UnknownCategory:
        return {"uri": uri, "label": uri}


def discovery_json(report: DiscoveryReport) -> dict[str, Any]:
    q = report.query
    return {
        "near": {"latitude": q.latitude, "longitude": q.longitude},
        "radius_km": q.radius_km,
        "depth": q.depth,
        "groups": [
            {
                "handle": g.handle,
                "uri": g.uri,
                "name": g.name,
                "url": g.url,
                "place": g.place_name,
                "latitude": g.latitude,
                "longitude": g.longitude,
                "distance_km": g.distance_km,
                "hops": g.depth,
                "categories": [_category(c) for c in g.categories],
                "open_needs": g.open_needs,
                "open_offers": g.open_offers,
                "followed_by": sorted(report.followed_by.get(g.uri, [])),
            }
            for g in report.groups
        ],
        "stats": {
            "requests": len(report.requests),
            "max_requests": q.limits.max_requests,
            "cached": report.cached,
            "groups_seen": report.groups_seen,
            "budget_exhausted": report.budget_exhausted,
            "unresolved_seeds": report.unresolved_seeds,
            "seconds": report.seconds,
        },
    }
