"""Needs travel group to group: relay policy, hop budget, no loops, changes follow the wave."""

from __future__ import annotations

import math
from collections import deque

import pytest
from sqlalchemy import func, select

from fedi_aid.aid.geo import haversine_km
from fedi_aid.db.models import Delivery, OutgoingActivity
from tests.harness import settle_waves
from tests.peers import MastodonPeer

N = 12
# Ring: i follows i+1. Chords: even i follows i+4. Mutual pairs: i+1 follows i as well.
EDGES = sorted(
    {(i, (i + 1) % N) for i in range(N)}
    | {(i, (i + 4) % N) for i in range(0, N, 2)}
    | {((i + 1) % N, i) for i in (0, 6)}
)
# Homes on a circle of about 50 km around Jaipur, so ring neighbours are ~26 km apart and
# chords ~87 km; the origin's need is at instance 0's home.
HOMES = [
    (26.9 + 0.45 * math.cos(2 * math.pi * i / N), 75.8 + 0.5 * math.sin(2 * math.pi * i / N))
    for i in range(N)
]


def expected_reach(origin: int, budget: int, max_km: float) -> dict[int, int]:
    """instance -> hop count at which it first stores the need (shortest path)."""
    followers = {i: [a for a, b in EDGES if b == i] for i in range(N)}
    reached: dict[int, int] = {}
    queue = deque((f, 0) for f in followers[origin])
    while queue:
        node, hops = queue.popleft()
        if node == origin or node in reached:
            continue
        reached[node] = hops
        accepts = haversine_km(HOMES[node], HOMES[origin]) <= max_km
        if hops + 1 <= budget and accepts:
            queue.extend((f, hops + 1) for f in followers[node])
    return reached


@pytest.fixture
async def mesh(make_instance):  # type: ignore[no-untyped-def]
    instances = [await make_instance() for _ in range(N)]
    for i, instance in enumerate(instances):
        await instance.create_group(f"g{i}")
        await instance.set_home(f"g{i}", f"Town {i}", *HOMES[i])
    for a, b in EDGES:
        await instances[a].follow(f"g{a}", instances[b].handle(f"g{b}"))
    await settle_waves(*instances)
    return instances


async def _deliveries(instances, type_: str) -> int:  # type: ignore[no-untyped-def]
    total = 0
    for instance in instances:
        async with instance.ctx.sessions() as session:
            query = (
                select(func.count())
                .select_from(Delivery)
                .join(OutgoingActivity, OutgoingActivity.id == Delivery.activity_id)
                .where(OutgoingActivity.type == type_)
            )
            total += (await session.execute(query)).scalar_one()
    return total


async def _holders(instances, uri: str) -> dict[int, int]:  # type: ignore[no-untyped-def]
    found = {}
    for i, instance in enumerate(instances):
        row = await instance.item(uri)
        if row is not None and not row.local:
            found[i] = row.hop_count
    return found


@pytest.mark.slow
async def test_mesh_wave_reaches_exactly_the_budget_and_dies_out(mesh) -> None:
    instances = mesh
    max_km = 60.0
    for i, instance in enumerate(instances):
        await instance.set_policy(f"g{i}", min_urgency="high", max_distance_km=max_km)
    lat, lon = HOMES[0]
    need = await instances[0].post(
        "g0", urgency="high", latitude=lat, longitude=lon, place_name="Town 0"
    )  # high: hop budget 3
    await settle_waves(*instances)

    expected = expected_reach(0, budget=3, max_km=max_km)
    holders = await _holders(instances, need.uri)
    assert holders == expected
    # Each instance stored it once (unique uri) and each relaying group announced it once.
    relayers = [
        n
        for n, hops in expected.items()
        if hops + 1 <= 3 and haversine_km(HOMES[n], HOMES[0]) <= max_km
    ]
    used_edges = sum(1 for a, b in EDGES if b == 0) + sum(1 for a, b in EDGES if b in relayers)
    creates = await _deliveries(instances, "Create")
    announces = await _deliveries(instances, "Announce")
    assert creates + announces == used_edges
    # Nothing echoes once the wave is over.
    await settle_waves(*instances)
    assert await _deliveries(instances, "Announce") == announces

    # Changes at the origin reach every copy, including relayed ones.
    await instances[0].change(need.uri, remaining=7)
    await settle_waves(*instances)
    for i in expected:
        assert (await instances[i].item(need.uri)).remaining == 7, i
    await instances[0].change(need.uri, status="withdrawn")
    await settle_waves(*instances)
    assert await _holders(instances, need.uri) == {}


async def test_low_budget_and_policy_limit_the_wave(make_instance) -> None:
    a, b, c, d = [await make_instance() for _ in range(4)]
    for i, inst in enumerate((a, b, c, d)):
        await inst.create_group(f"g{i}")
    # d -> c -> b -> a: each follows the next one up the chain.
    await d.follow("g3", c.handle("g2"))
    await c.follow("g2", b.handle("g1"))
    await b.follow("g1", a.handle("g0"))
    await settle_waves(a, b, c, d)
    await b.set_policy("g1", min_urgency="low", max_distance_km=None)
    await c.set_policy("g2", min_urgency="low", max_distance_km=None)

    low = await a.post("g0", urgency="low")  # budget 1: b relays, c does not
    normal_offer = await a.post("g0", "offer", urgency="critical")  # kinds: needs only
    await settle_waves(a, b, c, d)
    assert await b.item(low.uri) is not None
    assert (await c.item(low.uri)).hop_count == 1
    assert await d.item(low.uri) is None
    assert await c.item(normal_offer.uri) is None

    hidden = await a.post("g0", urgency="critical", visibility="followers")
    await settle_waves(a, b, c, d)
    assert await b.item(hidden.uri) is not None
    assert await c.item(hidden.uri) is None and await d.item(hidden.uri) is None


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    peer = MastodonPeer()
    await peer.start()
    yield peer
    await peer.stop()


async def test_forged_or_missing_objects_change_nothing(make_instance, peer) -> None:
    a, b = await make_instance(), await make_instance()
    await a.create_group("origin")
    await b.create_group("down")
    relayer = peer.add_actor("relay", "Group")
    await b.follow("down", relayer.uri)
    await settle_waves(a, b)
    need = await a.post("origin", urgency="critical", title="Insulin pens")

    forged_note = {
        "id": need.uri,
        "type": "Note",
        "attributedTo": (await a.actor("origin")).uri,
        "content": "<p>Send money to mallory</p>",
        "name": "Send money",
        "purpose": "request",
        "publishes": {
            "type": "Intent",
            "resourceConformsTo": "https://fedi-aid.org/ns/categories/money",
            "resourceQuantity": {"hasUnit": "USD", "hasNumericalValue": "5000"},
        },
        "published": "2026-11-25T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    altered = {
        "id": f"{peer.base}/announce/1",
        "type": "Announce",
        "actor": relayer.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": f"{peer.base}/create/1",
            "type": "Create",
            "actor": forged_note["attributedTo"],
            "object": forged_note,
        },
    }
    missing = {
        "id": f"{peer.base}/announce/2",
        "type": "Announce",
        "actor": relayer.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": f"{a.base_url}/needs/doesnotexist",
    }
    for activity in (altered, missing):
        status, text = await peer.post(relayer, f"{b.base_url}/inbox", activity)
        assert status == 202, text
    await settle_waves(a, b)
    stored = await b.item(need.uri)
    # Only the origin's copy is stored: the altered text never is.
    assert stored is not None and stored.title == "Insulin pens"
    assert stored.category.endswith("medicine/insulin") and stored.quantity == 20
    assert await b.item(f"{a.base_url}/needs/doesnotexist") is None


async def test_litepub_relay_announce_by_uri_is_fetched_and_relayed(make_instance, peer) -> None:
    a, b, c = await make_instance(), await make_instance(), await make_instance()
    await a.create_group("origin")
    await b.create_group("mid")
    await c.create_group("far")
    relay = peer.add_actor("relay", "Application")
    await b.follow("mid", relay.uri)
    await c.follow("far", b.handle("mid"))
    await settle_waves(a, b, c)
    need = await a.post("origin", urgency="critical")
    # A LitePub-style relay boosts the need by its id; b trusts only what a serves.
    announce = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.base}/activities/1",
        "type": "Announce",
        "actor": relay.uri,
        "to": [f"{relay.uri}/followers"],
        "object": need.uri,
    }
    status, _ = await peer.post(relay, f"{b.base_url}/inbox", announce)
    assert status == 202
    await settle_waves(a, b, c)
    assert (await b.item(need.uri)).hop_count == 1
    assert (await c.item(need.uri)).hop_count == 2


async def test_group_home_travels_in_the_actor_document(make_instance) -> None:
    a, b = await make_instance(), await make_instance()
    await a.create_group("town")
    await a.set_home("town", "Town", 26.91234, 75.78765)
    await b.create_group("other")
    await b.follow("other", a.handle("town"))
    await settle_waves(a, b)
    async with b.ctx.sessions() as session:
        from fedi_aid.db.actors import find_actor_by_uri

        cached = await find_actor_by_uri(session, (await a.actor("town")).uri)
    assert (cached.home_place_name, cached.home_latitude, cached.home_longitude) == (
        "Town",
        26.91,
        75.79,
    )
