"""Discovery: groups near a point, found by walking follows between real instances."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp
import pytest

from fedi_aid.aid.geo import haversine_km
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.discovery.crawl import CrawlLimits
from fedi_aid.discovery.plan import Frontier, Task
from fedi_aid.discovery.profile import set_group_categories
from fedi_aid.discovery.service import (
    DiscoveryError,
    DiscoveryQuery,
    discover_nearby,
    discovery_json,
    parse_near,
)
from tests.harness import settle_waves
from tests.peers import MastodonPeer

CENTER = (26.9, 75.8)
# Homes at known distances from CENTER (0.1 degree of latitude is about 11.1 km).
HOMES = {
    0: (26.9, 75.8),  # the town that asks
    1: (27.0, 75.8),  # near, 11 km
    2: (28.8, 75.8),  # far, 211 km
    3: (26.72, 75.8),  # near, 20 km: reachable only through far g2
    4: (26.9, 76.1),  # near, 30 km
    5: (26.78, 75.8),  # near, 13 km, but three hops away
    6: (29.6, 75.8),  # far
    7: (26.95, 75.8),  # near, but follows nobody and nobody follows it
}
# a follows b. Reachability ignores direction: followers and following are both walked.
EDGES = [(0, 1), (2, 0), (2, 3), (1, 4), (4, 5), (6, 3)]
HOPS = {0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3}


def expected(radius_km: float, depth: int) -> dict[int, float]:
    return {
        i: haversine_km(CENTER, HOMES[i])
        for i, hops in HOPS.items()
        if i != 0 and hops <= depth and haversine_km(CENTER, HOMES[i]) <= radius_km
    }


@pytest.fixture
async def towns(make_instance):  # type: ignore[no-untyped-def]
    instances = [await make_instance() for _ in HOMES]
    for i, instance in enumerate(instances):
        await instance.create_group(f"g{i}", display_name=f"Town {i}")
        await instance.set_home(f"g{i}", f"Town {i}", *HOMES[i])
    for a, b in EDGES:
        await instances[a].follow(f"g{a}", instances[b].handle(f"g{b}"))
    await settle_waves(*instances)
    async with instances[1].ctx.sessions.begin() as session:
        await set_group_categories(session, instances[1].ctx, "g1", ["insulin", "water"])
    await instances[1].post("g1", title="Insulin pens")
    await instances[1].post("g1", title="Water", category="water", quantity=40, unit="litres")
    await instances[1].post("g1", kind="offer", title="Generator", category="power/generator")
    await instances[3].post("g3", title="Tents", category="shelter/tents", visibility="followers")
    await instances[3].post("g3", kind="offer", title="Rides", category="transport/rides")
    # A Mastodon user follows g1: their server is not fedi-aid, so the walk does not go there.
    peer = await MastodonPeer().start()
    mara = peer.add_actor("mara")
    g1 = await instances[1].actor("g1")
    await peer.post(mara, g1.inbox, peer.follow_activity(mara, g1.uri))
    await settle_waves(*instances)
    instances[0].peer = peer
    yield instances
    await peer.stop()


def record_requests(instance, log: list[tuple[str, float]]) -> None:  # type: ignore[no-untyped-def]
    real_get = instance.ctx.http.get

    async def get(url, **kwargs):  # type: ignore[no-untyped-def]
        log.append((url, time.monotonic()))
        return await real_get(url, **kwargs)

    instance.ctx.http.get = get


@pytest.mark.slow
async def test_discover_finds_exactly_the_near_groups_within_the_depth(towns) -> None:  # noqa: PLR0915
    here = towns[0]
    log: list[tuple[str, float]] = []
    record_requests(here, log)
    limits = CrawlLimits(max_requests=200, host_interval=0.05)
    query = DiscoveryQuery(*CENTER, radius_km=50, depth=2, limits=limits)

    report = await discover_nearby(here.ctx, query)
    data = discovery_json(report)
    want = expected(50, 2)
    assert [g["handle"] for g in data["groups"]] == [
        towns[i].handle(f"g{i}") for i in sorted(want, key=want.get)
    ]
    for group in data["groups"]:
        i = int(group["handle"].split("@")[0][1:])
        assert group["distance_km"] == pytest.approx(want[i], abs=0.1)
        assert group["hops"] == HOPS[i]
        assert group["place"] == f"Town {i}"
    counts = {
        g["handle"].split("@")[0]: (g["open_needs"], g["open_offers"]) for g in data["groups"]
    }
    assert counts == {"g1": (2, 1), "g3": (0, 1), "g4": (0, 0)}  # followers-only is not counted
    assert data["groups"][0]["followed_by"] == ["g0"]
    assert [c["label"] for c in data["groups"][0]["categories"]] == ["Insulin", "Water"]
    # The follower holds the categories too (they came with the actor Update).
    async with here.ctx.sessions() as session:
        g1 = await find_actor_by_uri(session, data["groups"][0]["uri"])
    assert g1.categories == [c["uri"] for c in data["groups"][0]["categories"]]

    # NodeInfo says what discovery needs to know about an instance.
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{towns[1].base_url}/nodeinfo/2.1") as response:
            nodeinfo = await response.json()
    assert nodeinfo["software"]["name"] == "fedi-aid"
    assert nodeinfo["metadata"]["groups"] == 1 and nodeinfo["metadata"]["openNeeds"] == 2

    # Every request is counted by the crawl, none is repeated, the budget holds.
    urls = [url for url, _ in log]
    assert urls == report.requests
    assert [u for u, n in Counter(urls).items() if n > 1] == []
    assert 0 < len(urls) <= 200 and not report.budget_exhausted
    # Polite: two requests to one host are at least host_interval apart.
    last: dict[str, float] = {}
    for url, at in log:
        host = urlsplit(url).netloc
        if host in last:
            assert at - last[host] >= 0.05, url
        last[host] = at
    # Hosts beyond the depth were never contacted (g5 and g6 are three hops away, g7 is alone).
    hosts = {urlsplit(u).netloc for u in urls}
    for i in (5, 6, 7):
        assert towns[i].host not in hosts
    peer = towns[0].peer
    assert [u for u in urls if peer.host in u] == [f"{peer.base}/.well-known/nodeinfo"]

    # The second time is instant: everything comes from the cache.
    log.clear()
    again = discovery_json(await discover_nearby(here.ctx, query))
    assert log == []
    assert again["groups"] == data["groups"] and again["stats"]["cached"] > 0

    # Deeper walks find the farther hops.
    deeper = await discover_nearby(here.ctx, DiscoveryQuery(*CENTER, 50, depth=3, limits=limits))
    want_deeper = [(await towns[i].actor(f"g{i}")).uri for i in expected(50, 3)]
    assert len(want_deeper) == 4
    assert sorted(g.uri for g in deeper.groups) == sorted(want_deeper)

    # A tight budget stops the walk there, and says so.
    log.clear()
    tight = CrawlLimits(max_requests=5, host_interval=0, refresh=True)
    cut = await discover_nearby(here.ctx, DiscoveryQuery(*CENTER, 50, depth=2, limits=tight))
    assert len(log) == len(cut.requests) <= 5
    assert cut.budget_exhausted

    # The isolated town knows one handle to start from: far g2 leads to g0 and g3.
    here = towns[7]
    seed = towns[2].handle("g2")
    query = DiscoveryQuery(*CENTER, radius_km=50, depth=1, seeds=(seed,))
    data = discovery_json(await discover_nearby(here.ctx, query))
    assert [g["handle"] for g in data["groups"]] == [towns[0].handle("g0"), towns[3].handle("g3")]
    assert data["stats"]["unresolved_seeds"] == []

    bad = DiscoveryQuery(*CENTER, radius_km=50, seeds=("nobody@" + towns[2].host,))
    missing = discovery_json(await discover_nearby(here.ctx, bad))
    assert missing["groups"] == [] and missing["stats"]["unresolved_seeds"] == list(bad.seeds)

    # Answers kept for no time at all are fetched again by the next walk.
    quick = CrawlLimits(cache_ttl=timedelta(seconds=0), host_interval=0)
    rewrite = CrawlLimits(cache_ttl=timedelta(seconds=0), host_interval=0, refresh=True)
    first = await discover_nearby(here.ctx, DiscoveryQuery(*CENTER, 50, 1, (seed,), rewrite))
    second = await discover_nearby(here.ctx, DiscoveryQuery(*CENTER, 50, 1, (seed,), quick))
    assert len(first.requests) == len(second.requests) > 0 and second.cached == 0


def test_frontier_plans_each_url_once_breadth_first() -> None:
    plan = Frontier(CENTER, radius_km=50, max_depth=1)
    plan.add_seed("https://a/g")
    plan.add_seed("https://a/g")
    task = plan.pop()
    assert task == Task("actor", "https://a/g", 0) and plan.pop() is None
    actor = {
        "uri": "https://a/g",
        "type": "Group",
        "latitude": 27.0,
        "longitude": 75.8,
        "followers": "https://a/g/followers",
        "following": "https://a/g/following",
        "open_needs": "https://a/g/collections/needs",
    }
    plan.actor_read(task, actor)
    kinds = [plan.pop() for _ in range(3)]
    assert [t.kind for t in kinds] == ["counts", "collection", "collection"]
    plan.collection_read(
        kinds[1], {"items": ["https://b/g", "https://a/g"], "next": "https://a/p2"}
    )
    plan.collection_read(kinds[2], {"items": ["https://b/g"], "next": None})
    rest = []
    while (t := plan.pop()) is not None:
        rest.append((t.kind, t.url, t.depth))
    assert rest == [("collection", "https://a/p2", 0), ("actor", "https://b/g", 1)]


def test_bad_queries_name_the_parameter() -> None:
    with pytest.raises(DiscoveryError, match="near"):
        parse_near("26.9")
    with pytest.raises(DiscoveryError, match="near"):
        parse_near("95,10")
    with pytest.raises(DiscoveryError, match="radius_km"):
        DiscoveryQuery(26.9, 75.8, radius_km=0).check()
    with pytest.raises(DiscoveryError, match="depth"):
        DiscoveryQuery(26.9, 75.8, radius_km=5, depth=9).check()
