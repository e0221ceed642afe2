"""Propagation over a mesh of real instances: does a need reach every eligible instance, and
how many deliveries does each follow edge it used cost?

    python -m bench.propagation            # 50 instances, needs posted from 5 of them
    python -m bench.propagation --smoke    # 12 instances, 2 needs
    python -m bench.run --only propagation

All instances run in this process on loopback ports, each with its own SQLite database, and
federate over real HTTP with real signatures. The mesh is a ring (i follows i+1) with chords
(every third i follows i+7) and some mutual follows; homes lie on a circle of about 100 km, and
every group keeps the default relay policy (urgent needs within 100 km). "Eligible" is worked out
independently of the server code, by a breadth-first walk of the follow graph that applies the
same rules: an instance stores the need when a group it follows sends it; a group relays when
its home is within 100 km of the need and the hop budget allows one more relay.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import deque
from pathlib import Path

from sqlalchemy import func, select

from bench.common import Figure, Mode, report
from fedi_aid.aid.geo import haversine_km
from fedi_aid.db.models import Delivery, OutgoingActivity, Relay
from tests.harness import Instance, instance_settings, settle_waves

MAX_KM = 100.0
BUDGET = 5  # critical needs


def mesh_edges(n: int) -> list[tuple[int, int]]:
    """(follower, followed) pairs."""
    edges = {(i, (i + 1) % n) for i in range(n)}
    edges |= {(i, (i + 7) % n) for i in range(0, n, 3)}
    edges |= {((i + 1) % n, i) for i in range(0, n, 10)}
    return sorted(edges)


def homes(n: int) -> list[tuple[float, float]]:
    return [
        (23.0 + 0.9 * math.cos(2 * math.pi * i / n), 78.0 + 1.0 * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]


def eligible(
    origin: int, edges: list[tuple[int, int]], where: list[tuple[float, float]]
) -> set[int]:
    followers: dict[int, list[int]] = {}
    for follower, followed in edges:
        followers.setdefault(followed, []).append(follower)
    reached: dict[int, int] = {}
    queue = deque((f, 0) for f in followers.get(origin, []))
    while queue:
        node, hops = queue.popleft()
        if node == origin or node in reached:
            continue
        reached[node] = hops
        if hops + 1 <= BUDGET and haversine_km(where[node], where[origin]) <= MAX_KM:
            queue.extend((f, hops + 1) for f in followers.get(node, []))
    return set(reached)


async def _count_deliveries(instances: list[Instance]) -> int:
    total = 0
    for instance in instances:
        async with instance.ctx.sessions() as session:
            query = (
                select(func.count())
                .select_from(Delivery)
                .join(OutgoingActivity, OutgoingActivity.id == Delivery.activity_id)
                .where(OutgoingActivity.type.in_(("Create", "Announce")))
            )
            total += (await session.execute(query)).scalar_one()
    return total


async def _relayed(instance: Instance, uri: str) -> bool:
    async with instance.ctx.sessions() as session:
        query = select(func.count()).select_from(Relay).where(Relay.object_uri == uri)
        return bool((await session.execute(query)).scalar_one())


async def run(mode: Mode) -> list[Figure]:
    n, origins = (12, [0, 6]) if mode.smoke else (50, [0, 11, 22, 33, 44])
    edges, where = mesh_edges(n), homes(n)
    with tempfile.TemporaryDirectory(prefix="fedi-aid-propagation-") as tmp:
        instances = []
        for i in range(n):
            settings = instance_settings(
                f"sqlite+aiosqlite:///{Path(tmp) / f'i{i}.sqlite3'}", "", str(Path(tmp) / f"d{i}")
            )
            instances.append(await Instance(settings).start())
        try:
            started = time.monotonic()
            for i, instance in enumerate(instances):
                await instance.create_group(f"g{i}")
                await instance.set_home(f"g{i}", f"Town {i}", *where[i])
            for follower, followed in edges:
                await instances[follower].follow(
                    f"g{follower}", instances[followed].handle(f"g{followed}")
                )
            await settle_waves(*instances)
            print(
                f"   mesh of {n} instances, {len(edges)} follows: {time.monotonic() - started:.1f} s"
            )

            reached_all = True
            seconds: list[float] = []
            deliveries = used_edges = 0
            for origin in origins:
                before = await _count_deliveries(instances)
                lat, lon = where[origin]
                need = await instances[origin].post(
                    f"g{origin}", urgency="critical", latitude=lat, longitude=lon, place_name="here"
                )
                t0 = time.monotonic()
                await settle_waves(*instances)
                seconds.append(time.monotonic() - t0)
                holders = set()
                relayers = 0
                for i, instance in enumerate(instances):
                    row = await instance.item(need.uri)
                    if row is not None and not row.local:
                        holders.add(i)
                    if await _relayed(instance, need.uri):
                        relayers += 1  # its followers were sent the need: edges used
                        used_edges += sum(1 for _, followed in edges if followed == i)
                used_edges += sum(1 for _, followed in edges if followed == origin)
                deliveries += await _count_deliveries(instances) - before
                expected = eligible(origin, edges, where)
                reached_all &= holders == expected
                print(
                    f"   need from g{origin}: {len(holders)}/{len(expected)} eligible instances, "
                    f"{relayers} relays, {seconds[-1]:.2f} s"
                )
        finally:
            for instance in instances:
                await instance.stop()
                await instance.ctx.close()
    return [
        Figure(
            name=f"propagation: {n}-instance mesh, eligible reached",
            unit="",
            value=1.0 if reached_all else 0.0,
            value_min=1.0,
            goal_text="every eligible instance reached",
            note="1 = yes",
        ),
        Figure(
            name="propagation: deliveries per used follow edge",
            unit="",
            value=deliveries / used_edges if used_edges else None,
            value_max=1.1001,
            goal_text="<= 1.1",
        ),
        Figure(
            name="propagation: seconds until the wave dies out (mean)",
            unit="s",
            value=sum(seconds) / len(seconds),
            note="lockstep rounds, all instances in one process",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    mode = Mode.quick() if args.smoke else Mode.full()
    report("propagation", asyncio.run(run(mode)), mode)


if __name__ == "__main__":
    main()
