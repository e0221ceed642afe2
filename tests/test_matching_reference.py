"""The indexed matching query gives exactly what scoring every stored item by hand gives.

A few hundred random needs and offers (radii of every grid level, points on cell edges, near the
antimeridian and a pole, without a point; every status, visibility and expiry), each matched
with and without a distance limit and compared, match by match, with a brute-force reference.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from fedi_aid.aid.geo import cell_id
from fedi_aid.aid.matching import Candidate, Match, grid_level, score_pair
from fedi_aid.db.matching import candidate_of, find_matches
from fedi_aid.db.models import Actor, AidItemRow

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CATEGORIES = [
    "https://fedi-aid.org/ns/categories/medicine",
    "https://fedi-aid.org/ns/categories/medicine/insulin",
    "https://fedi-aid.org/ns/categories/water",
    "https://fedi-aid.org/ns/categories/food",
    "http://www.wikidata.org/entity/Q11419",
]
RADII = [None, 0.0, 3.0, 25.0, 25.5, 60.0, 100.0, 101.0, 250.0, 400.0]


def _point(rng: random.Random) -> tuple[float | None, float | None]:
    roll = rng.random()
    if roll < 0.05:
        return None, None
    if roll < 0.12:  # on cell edges (multiples of 0.25 degree)
        return rng.choice([26.25, 26.5, 27.0]), rng.choice([75.5, 75.75, 76.0])
    if roll < 0.2:  # across the antimeridian
        return round(rng.uniform(-17.5, -16.5), 2), rng.choice([179.9, 180.0, -179.9, -180.0])
    if roll < 0.25:  # by the north pole
        return round(rng.uniform(89.5, 90.0), 2), round(rng.uniform(-180, 180), 2)
    return round(rng.uniform(26.0, 28.0), 2), round(rng.uniform(75.0, 77.5), 2)


def _item(rng: random.Random, n: int, group_ids: list[int]) -> AidItemRow:
    lat, lon = _point(rng)
    quantity = Decimal(rng.randint(1, 50))
    urgency = rng.randint(0, 3)
    roll = rng.random()
    expires = None if roll < 0.5 else NOW + timedelta(days=rng.choice([-2, 3]))
    return AidItemRow(
        uri=f"https://ref.example/items/{n}",
        kind=rng.choice(["need", "offer"]),
        local=False,
        group_id=rng.choice(group_ids),
        title=f"item {n}",
        category=rng.choice(CATEGORIES),
        quantity=quantity,
        remaining=quantity if rng.random() < 0.85 else Decimal(0),
        unit="one",
        urgency=("low", "normal", "high", "critical")[urgency],
        urgency_rank=urgency,
        latitude=lat,
        longitude=lon,
        radius_km=rng.choice(RADII),
        expires_at=expires,
        visibility=rng.choice(["public", "public", "unlisted", "followers"]),
        status=rng.choice(["open", "open", "partly_met", "met"]),
        published=NOW,
        updated=NOW,
        received_at=NOW,
    )


def _reference(
    source: Candidate, everything: list[Candidate], limit_km: float | None, limit: int
) -> list[Match]:
    """Score every stored item; with a point, only items with one are measured (as in SQL)."""
    pool = [c for c in everything if source.point is None or c.point is not None]
    scored = [m for c in pool if (m := score_pair(source, c, NOW, limit_km)) is not None]
    expiry = {c.id: c.expires_at for c in pool}
    far = datetime.max.replace(tzinfo=UTC)
    scored.sort(key=lambda m: (-m.score, expiry[m.id] or far, m.id))
    return scored[:limit]


async def test_find_matches_equals_brute_force(make_instance) -> None:
    instance = await make_instance(start=False)
    rng = random.Random(20261125)
    async with instance.ctx.sessions.begin() as session:
        await session.execute(
            insert(Actor.__table__),
            [
                {
                    "uri": f"https://ref.example/groups/g{i}",
                    "type": "Group",
                    "local": False,
                    "username": f"g{i}",
                    "domain": "ref.example",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(6)
            ],
        )
        group_ids = list((await session.execute(select(Actor.id))).scalars())
        items = [_item(rng, n, group_ids) for n in range(400)]
        session.add_all(items)
        await session.flush()
        # Moved and re-scoped items: the database recomputes their cell.
        for row in items[:40]:
            row.latitude, row.longitude = _point(rng)
            row.radius_km = rng.choice(RADII)

    async with instance.ctx.sessions() as session:
        table = AidItemRow.__table__
        cells = (
            await session.execute(
                select(table.c.latitude, table.c.longitude, table.c.radius_km, table.c.cell)
            )
        ).all()
        for lat, lon, radius, cell in cells:
            expected = None if lat is None else cell_id(lat, lon, grid_level(radius))
            assert cell == expected, (lat, lon, radius)

        rows = (await session.execute(select(AidItemRow))).scalars().unique().all()
        everything = [candidate_of(row) for row in rows]
        checked = found = 0
        for row in rows[::4]:
            source = candidate_of(row)
            for limit_km, limit in ((None, 500), (None, 3), (15.0, 500), (120.0, 500), (700.0, 8)):
                got = await find_matches(session, row, limit_km=limit_km, limit=limit, now=NOW)
                assert [m for m, _ in got] == _reference(source, everything, limit_km, limit)
                assert all(m.id == other.id for m, other in got)
                checked += 1
                found += len(got)
        assert checked == 500 and found > 1000  # the comparison is not vacuous


def test_cells_agree_at_edges() -> None:
    """Points exactly on a cell edge belong to the cell above/right of it, at every level."""
    assert cell_id(26.25, 75.5, 0) == (0 * 1000 + 465) * 2000 + 1022
    assert cell_id(-90.0, -180.0, 2) == (2 * 1000 + 0) * 2000 + 0
    assert cell_id(90.0, 180.0, 0) == (0 * 1000 + 720) * 2000 + 1440
    assert grid_level(None) == grid_level(0.0) == grid_level(25.0) == 0
    assert grid_level(25.5) == grid_level(100.0) == 1
    assert grid_level(100.5) == grid_level(math.nan) == 2
