"""Need <-> offer matching: the pure score, and three instances matching across a relay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest
from sqlalchemy import select

from fedi_aid.aid.matching import Candidate, rank, related_categories, score_pair
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.matching import find_matches
from fedi_aid.db.models_pledges import Notification
from tests.harness import settle

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
INSULIN = "https://fedi-aid.org/ns/categories/medicine/insulin"
MEDICINE = "https://fedi-aid.org/ns/categories/medicine"
WATER = "https://fedi-aid.org/ns/categories/water"
JAIPUR = (26.91, 75.79)


def _c(id_: int, kind: str, **kw) -> Candidate:  # type: ignore[no-untyped-def]
    fields = {
        "category": INSULIN,
        "group_id": id_ + 100,
        "remaining": Decimal(20),
        "urgency_rank": 1,
        "latitude": JAIPUR[0],
        "longitude": JAIPUR[1],
    }
    return Candidate(id=id_, kind=kind, **{**fields, **kw})


def test_related_categories_are_parents_and_children() -> None:
    assert set(related_categories(INSULIN)) == {INSULIN, MEDICINE}
    assert INSULIN in related_categories(MEDICINE)
    assert WATER not in related_categories(MEDICINE)


def test_score_prefers_urgent_near_and_covering() -> None:
    need = _c(1, "need", urgency_rank=3, remaining=Decimal(20))
    near_full = _c(2, "offer", remaining=Decimal(40), latitude=26.99)  # ~9 km, covers all
    near_part = _c(3, "offer", remaining=Decimal(5), latitude=26.99)  # covers a quarter
    far_full = _c(4, "offer", remaining=Decimal(40), latitude=27.3)  # ~43 km
    assert [m.id for m in rank(need, [far_full, near_part, near_full], NOW)] == [2, 4, 3]
    top = score_pair(need, near_full, NOW)
    assert top is not None and top.coverage == 1.0 and 0.9 < top.score <= 1.0


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (_c(2, "offer", category=WATER), "category"),
        (_c(2, "offer", latitude=28.61, longitude=77.21), "too far (240 km > 25 + 25)"),
        (_c(2, "offer", status="met"), "met"),
        (_c(2, "offer", remaining=Decimal(0)), "nothing left"),
        (_c(2, "offer", expires_at=NOW - timedelta(hours=1)), "expired"),
        (_c(2, "offer", visibility="followers"), "not public"),
        (_c(2, "offer", group_id=101), "same group"),
        (_c(2, "need"), "same kind"),
    ],
)
def test_what_does_not_fit(other: Candidate, why: str) -> None:
    assert score_pair(_c(1, "need"), other, NOW) is None, why


def test_radius_and_limit_decide_reach() -> None:
    need = _c(1, "need")
    delhi = _c(2, "offer", latitude=28.61, longitude=77.21, radius_km=250)
    assert score_pair(need, delhi, NOW) is not None  # 25 + 250 km reach
    assert score_pair(need, delhi, NOW, limit_km=100) is None
    assert score_pair(need, _c(3, "offer", latitude=None, longitude=None), NOW) is not None
    assert score_pair(need, _c(3, "offer", latitude=None, longitude=None), NOW, 50) is None


async def test_three_instances_match_across_a_relay(make_instance) -> None:
    a, b, c = await make_instance(), await make_instance(), await make_instance()
    await a.create_group("riverside")
    await b.create_group("hub")
    await c.create_group("hilltown")
    for instance, name in ((a, "riverside"), (c, "hilltown")):
        await b.follow("hub", instance.handle(name))
        await instance.follow(name, b.handle("hub"))
    await b.set_policy("hub", kinds=("need", "offer"), min_urgency="low", max_distance_km=None)
    await settle(a, b, c)

    lat, lon = JAIPUR
    critical = await a.post(
        "riverside", quantity=20, urgency="critical", latitude=lat, longitude=lon
    )
    normal = await a.post(
        "riverside", title="Medicine", category="medicine", quantity=10, latitude=lat, longitude=lon
    )
    close = await c.post(
        "hilltown", "offer", quantity=40, latitude=26.99, longitude=75.79, place_name="Amer"
    )
    far = await c.post(
        "hilltown",
        "offer",
        title="Medicine box",
        category="medicine",
        quantity=5,
        unit="pens",
        latitude=27.6,
        longitude=75.79,
        radius_km=100,
    )
    await c.post("hilltown", "offer", title="Water", category="water", quantity=99, unit="litres",
                 latitude=lat, longitude=lon)  # fmt: skip
    await settle(a, b, c)
    assert await a.item(close.uri) is not None and await c.item(critical.uri) is not None

    async with a.ctx.sessions() as session:
        need = await find_item_by_uri(session, critical.uri)
        found = [row.uri for _, row in await find_matches(session, need)]
    assert found == [close.uri, far.uri]
    async with c.ctx.sessions() as session:
        offer = await find_item_by_uri(session, close.uri)
        found = [row.uri for _, row in await find_matches(session, offer)]
        nearby = [row.uri for _, row in await find_matches(session, offer, limit_km=5)]
    assert found == [critical.uri, normal.uri]
    assert nearby == []  # 9 km apart

    # A's admins were told when C's fitting offers arrived; not about the water.
    async with a.ctx.sessions() as session:
        told = (await session.execute(select(Notification))).scalars().all()
    matched = [n for n in told if n.kind == "match"]
    assert sorted(n.subject_uri for n in matched) == sorted([close.uri, far.uri])
    assert {n.kind for n in told} == {"match", "follow"}  # and hub's follow of A's group

    # The same through the API, with the documented score.
    async with aiohttp.ClientSession() as http:
        url = f"{a.base_url}/api/aid/v1/needs/{need.id}/matches"
        async with http.get(url) as response:
            assert response.status == 200
            items = (await response.json())["items"]
        assert [i["uri"] for i in items] == [close.uri, far.uri]
        assert items[0]["score"] > items[1]["score"] and items[0]["coverage"] == 1.0
        async with http.get(url, params={"within_km": "-1"}) as response:
            assert response.status == 400 and "within_km" in (await response.json())["error"]
        async with http.get(f"{a.base_url}/api/aid/v1/offers/{need.id}/matches") as response:
            assert response.status == 404
