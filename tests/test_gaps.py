"""Gap discovery and abundance near a point; the HXL CSV; the CLI and API around them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import aiohttp

from fedi_aid.aid.gaps import aggregate
from fedi_aid.aid.pledge_actions import change_state, pledge_locally
from fedi_aid.clock import utcnow
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.gaps import open_items_near
from tests.harness import settle

JAIPUR = (26.91, 75.79)
AMER = (26.99, 75.85)  # about 10 km
DELHI = (28.61, 77.21)  # about 240 km


async def _gaps(instance, kind="need", radius=150.0, category=None, now=None):  # type: ignore[no-untyped-def]
    async with instance.ctx.sessions() as session:
        items = await open_items_near(
            session, kind, near=JAIPUR, radius_km=radius, category=category, now=now
        )
    return aggregate(items)


def _cli(instance, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    settings = instance.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env.update(
        FEDI_AID_BASE_URL=settings.base_url,
        FEDI_AID_DATA_DIR=str(settings.data_dir),
        FEDI_AID_DATABASE_URL=settings.effective_database_url,
        FEDI_AID_DATABASE_SCHEMA=settings.database_schema or "",
        FEDI_AID_DEVELOPMENT="true",
    )
    return subprocess.run(
        [sys.executable, "-m", "fedi_aid", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_gaps_near_a_point_leave_out_far_met_and_expired(make_instance) -> None:
    a, b = await make_instance(), await make_instance()
    await a.create_group("riverside", display_name="Riverside")
    await b.create_group("hilltown", display_name="Hilltown")
    await a.follow("riverside", b.handle("hilltown"))
    await settle(a, b)

    insulin = await a.post(
        "riverside", quantity=20, urgency="critical", latitude=JAIPUR[0], longitude=JAIPUR[1],
        place_name="Riverside",
    )  # fmt: skip
    met = await a.post(
        "riverside", title="Met", quantity=3, latitude=JAIPUR[0], longitude=JAIPUR[1]
    )
    await a.change(met.uri, status="met")
    expiring = await a.post(
        "riverside", title="Soon", quantity=4, latitude=JAIPUR[0], longitude=JAIPUR[1],
        expires_at=utcnow() + timedelta(hours=1),
    )  # fmt: skip
    await a.post("riverside", title="Water", category="water", quantity=100, unit="litres",
                 latitude=JAIPUR[0], longitude=JAIPUR[1])  # fmt: skip
    await a.post("riverside", "offer", title="Spare pens", quantity=40, latitude=JAIPUR[0],
                 longitude=JAIPUR[1])  # fmt: skip
    small_town = await b.post(
        "hilltown", title="Medicine", category="medicine", quantity=5, unit="pens",
        latitude=AMER[0], longitude=AMER[1], place_name="Amer", urgency="high",
    )  # fmt: skip
    far = await b.post("hilltown", quantity=50, latitude=DELHI[0], longitude=DELHI[1])
    await settle(a, b)
    assert await a.item(far.uri) is not None  # known here, but 240 km away

    # 5 confirmed (covered), 3 proposed (pledged, not yet counted).
    async with a.ctx.sessions.begin() as session:
        item = await find_item_by_uri(session, insulin.uri)
        confirmed = await pledge_locally(session, a.ctx, item, "Asha", Decimal(5))
        await pledge_locally(session, a.ctx, item, "Ravi", Decimal(3))
    async with a.ctx.sessions.begin() as session:
        await change_state(session, a.ctx, confirmed.id, "confirmed")

    later = utcnow() + timedelta(hours=2)
    gaps = await _gaps(a, category="https://fedi-aid.org/ns/categories/medicine", now=later)
    lines = [(g.group_name, g.category.rsplit("/", 1)[-1], g.missing, g.urgency) for g in gaps]
    assert lines == [
        ("Riverside", "insulin", Decimal(15), "critical"),
        ("Hilltown", "medicine", Decimal(5), "high"),
    ]
    riverside = gaps[0]
    assert (riverside.covered, riverside.pledged, riverside.items) == (Decimal(5), Decimal(3), 1)
    assert riverside.place_name == "Riverside" and riverside.distance_km < 1
    assert gaps[1].place_name == "Amer" and 5 < gaps[1].distance_km < 15
    everything = {u for g in await _gaps(a, now=later) for u in g.uris}
    assert far.uri not in everything and met.uri not in everything
    assert expiring.uri not in everything and small_town.uri in everything
    assert expiring.uri in {u for g in await _gaps(a) for u in g.uris}  # not expired yet
    assert {u for g in await _gaps(a, radius=300) for u in g.uris} >= {far.uri}

    [abundance] = await _gaps(a, kind="offer")
    assert abundance.missing == Decimal(40) and abundance.group_name == "Riverside"

    # The API: JSON and CSV with the HXL hashtag row; bad input is a 400 naming the field.
    base = f"{a.base_url}/api/aid/v1"
    async with aiohttp.ClientSession() as http:
        params = {"near": "26.91,75.79", "within_km": "150", "category": "medicine"}
        async with http.get(f"{base}/gaps", params=params) as response:
            assert response.status == 200
            items = (await response.json())["items"]
        assert [i["missing"] for i in items] == ["19", "5"]  # "Soon" has not expired yet
        async with http.get(f"{base}/gaps", params={**params, "format": "csv"}) as response:
            assert response.status == 200 and response.content_type == "text/csv"
            rows = list(csv.reader(io.StringIO(await response.text())))
        assert rows[1][:2] == ["#org+name", "#org+id"] and rows[2][0] == "Riverside"
        async with http.get(f"{base}/gaps", params={"near": "26.91", "within_km": "5"}) as response:
            assert response.status == 400 and (await response.json())["field"] == "near"

    # The CLI, as an organiser runs it.
    done = _cli(a, "gaps", "--near", "26.91,75.79", "--radius-km", "150", "--json")
    assert done.returncode == 0, done.stderr
    assert {g["group_name"] for g in json.loads(done.stdout)} == {"Riverside", "Hilltown"}
    done = _cli(a, "export", "needs", "--near", "26.91,75.79", "--radius-km", "150")
    assert done.returncode == 0, done.stderr
    exported = list(csv.DictReader(io.StringIO(done.stdout)))
    assert exported[0]["uri"] == "#meta+id"
    assert {r["uri"] for r in exported[1:]} >= {insulin.uri, small_town.uri}
    done = _cli(a, "gaps", "--near", "26.91", "--radius-km", "5")
    assert done.returncode == 1 and done.stderr.startswith("error: --near must be LAT,LON")
    assert len(done.stderr.strip().splitlines()) == 1
