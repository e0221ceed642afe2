"""Matching at a million stored offers: p50/p95 of `find_matches` on SQLite and PostgreSQL.

    python -m bench.matching            # 1,000,000 offers per backend (a few minutes to load)
    python -m bench.matching --smoke    # 10,000 offers, seconds
    python -m bench.run --only matching

Offers are spread over India's bounding box in every category, as a federation holding a
million received offers would. Each query matches one need (its category's related categories,
the grid cells within each level's reach, the exact distance and the score in Python; see
db/matching.py). Next to it, in the same run and on the same table, a plain indexed query: up to
20 ids of offers in the same categories and the box of the maximum reach (what one index range
costs). The note gives the candidate rows the prefilter hands to Python per query. PostgreSQL
is skipped, with the reason, when it is not reachable (FEDI_AID_TEST_PG or
postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text

from bench.common import Figure, Mode, report
from fedi_aid.aid import categories
from fedi_aid.aid.geo import bounding_box
from fedi_aid.aid.matching import MAX_REACH_KM, related_categories
from fedi_aid.config import load_settings
from fedi_aid.db.engine import create_engine, create_session_factory
from fedi_aid.db.matching import candidate_of, find_matches, prefilter
from fedi_aid.db.migrate import migrate
from fedi_aid.db.models import Actor, AidItemRow

PG_URL = os.environ.get("FEDI_AID_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BOX = (8.0, 68.0, 35.0, 97.0)  # India: min lat, min lon, max lat, max lon
GOAL_P95_MS = 50.0
GROUPS = 1000
BATCH = 20_000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _item(
    rng: random.Random, kind: str, group_id: int, cats: list[str], now: datetime, n: int
) -> dict[str, Any]:
    quantity = Decimal(rng.randint(1, 100))
    urgency = rng.randint(0, 3)
    expires = now + timedelta(days=rng.randint(-5, 30)) if rng.random() < 0.5 else None
    return {
        "uri": f"https://bench{group_id % 97}.example/{kind}s/{n}",
        "kind": kind,
        "local": False,
        "group_id": group_id,
        "title": f"{kind} {n}",
        "description": "",
        "category": rng.choice(cats),
        "quantity": quantity,
        "remaining": quantity if rng.random() < 0.8 else Decimal(0),
        "unit": "one",
        "urgency": ("low", "normal", "high", "critical")[urgency],
        "urgency_rank": urgency,
        "place_name": "somewhere",
        "latitude": round(rng.uniform(BOX[0], BOX[2]), 2),
        "longitude": round(rng.uniform(BOX[1], BOX[3]), 2),
        "radius_km": rng.choice([None, 5.0, 25.0, 100.0]),
        "expires_at": expires,
        "visibility": "public" if rng.random() < 0.9 else "followers",
        "status": "open" if rng.random() < 0.85 else "met",
        "hop_budget": 2,
        "hop_count": 1,
        "published": now,
        "updated": now,
        "received_at": now,
    }


async def _load(sessions: Any, offers: int, needs: int, rng: random.Random) -> list[int]:
    now = datetime.now(UTC).replace(microsecond=0)
    cats = [c.uri for c in categories.all_categories()]
    async with sessions.begin() as session:
        actors = [
            {
                "uri": f"https://bench{i % 97}.example/groups/g{i}",
                "type": "Group",
                "local": i == 0,
                "username": f"g{i}",
                "domain": f"bench{i % 97}.example",
                "display_name": "",
                "summary": "",
                "locked": False,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(GROUPS)
        ]
        await session.execute(insert(Actor.__table__), actors)
        ids = list((await session.execute(select(Actor.id).order_by(Actor.id))).scalars())
    for start in range(0, offers, BATCH):
        rows = [
            _item(rng, "offer", rng.choice(ids[1:]), cats, now, n)
            for n in range(start, min(offers, start + BATCH))
        ]
        async with sessions.begin() as session:
            await session.execute(insert(AidItemRow.__table__), rows)
    need_rows = [_item(rng, "need", ids[0], cats, now, n) for n in range(needs)]
    for row in need_rows:
        row.update(status="open", visibility="public", remaining=row["quantity"], local=True)
    async with sessions.begin() as session:
        await session.execute(insert(AidItemRow.__table__), need_rows)
        query = select(AidItemRow.id).where(AidItemRow.kind == "need")
        return list((await session.execute(query)).scalars())


async def _plain(session: Any, need: AidItemRow) -> int:
    """The indexed query alone: offer ids in the related categories and the box."""
    box = bounding_box(need.latitude, need.longitude, MAX_REACH_KM)
    query = (
        select(AidItemRow.id)
        .where(
            AidItemRow.kind == "offer",
            AidItemRow.category.in_(related_categories(need.category)),
            AidItemRow.latitude.between(box.min_lat, box.max_lat),
            AidItemRow.longitude.between(box.min_lon, box.max_lon),
        )
        .limit(20)
    )
    return len((await session.execute(query)).all())


async def measure(
    name: str, database_url: str, schema: str, mode: Mode, offers: int
) -> list[Figure]:
    data_dir = tempfile.mkdtemp(prefix="bench-matching-")
    settings = load_settings(
        environ={},
        base_url="http://bench.localhost:8080",
        database_url=database_url or f"sqlite+aiosqlite:///{data_dir}/bench.sqlite3",
        database_schema=schema,
        data_dir=data_dir,
        development=True,
    )
    if schema:
        engine = create_engine(load_settings(environ={}, database_url=database_url))
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await engine.dispose()
    engine = create_engine(settings)
    try:
        await migrate(engine, settings)
        sessions = create_session_factory(engine)
        rng = random.Random(837)
        queries = 50 if mode.smoke else 200
        started = time.monotonic()
        need_ids = await _load(sessions, offers, queries, rng)
        loaded = time.monotonic() - started
        if schema:
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE aid_items"))
        else:
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        timings: dict[str, list[float]] = {"match": [], "plain": []}
        found = 0
        async with sessions() as session:
            needs = (
                (await session.execute(select(AidItemRow).where(AidItemRow.id.in_(need_ids))))
                .scalars()
                .unique()
                .all()
            )
            for need in [*needs[:5], *needs]:  # the first five warm the caches
                t0 = time.perf_counter()
                await _plain(session, need)
                t1 = time.perf_counter()
                found += len(await find_matches(session, need))
                t2 = time.perf_counter()
                timings["plain"].append((t1 - t0) * 1000)
                timings["match"].append((t2 - t1) * 1000)
            now = datetime.now(UTC)
            candidates = 0
            for need in needs:  # untimed
                candidates += len((await session.execute(prefilter(candidate_of(need), now))).all())
        plain, match = timings["plain"][5:], timings["match"][5:]
        label = f"matching {name}, {offers:,} offers"
        note = (
            f"loaded in {loaded:.0f} s; {found / max(1, len(needs) + 5):.1f} matches/query; "
            f"{candidates / max(1, len(needs)):.0f} candidate rows/query"
        )
        return [
            Figure(
                f"{label}: p95",
                "ms",
                _percentile(match, 0.95),
                baseline=_percentile(plain, 0.95),
                baseline_name="plain indexed query p95",
                value_max=GOAL_P95_MS,
                note=note,
            ),
            Figure(
                f"{label}: p50",
                "ms",
                statistics.median(match),
                baseline=statistics.median(plain),
                baseline_name="plain indexed query p50",
            ),
        ]
    finally:
        if schema:
            async with engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)  # a million rows of SQLite: 600 MB


async def _postgres_reason() -> str | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"), timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure: skip PostgreSQL with the reason
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"
    await conn.close()
    return None


async def run(mode: Mode) -> list[Figure]:
    offers = 10_000 if mode.smoke else 1_000_000
    figures = await measure("SQLite", "", "", mode, offers)
    reason = await _postgres_reason()
    if reason is None:
        schema = f"bench_matching_{secrets.token_hex(3)}"
        figures += await measure("PostgreSQL", PG_URL, schema, mode, offers)
    else:
        figures.append(Figure("matching PostgreSQL", "", None, note=f"skipped: {reason}"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="10,000 offers instead of 1,000,000")
    args = parser.parse_args()
    mode = Mode.quick() if args.smoke else Mode.full()
    report("matching", asyncio.run(run(mode)), mode)


if __name__ == "__main__":
    main()
