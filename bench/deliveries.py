"""Outbound deliveries per second: one activity to 2,000 follower inboxes on 20 instances.

The sender is real fedi-aid, in this process (pinned to one core): an SQLite database with a
group, 2,000 remote follower actors, each with its own inbox (no shared inbox, so 2,000
deliveries), spread over 20 receiving instances; one Create(Note) is queued with
`outbox.queue.queue_activity` and `delivery.worker.run_once` is called the way the worker loop
calls it (batches of `worker.DELIVERY_BATCH`, with the worker's signing process) until nothing
is pending. The receivers are bare aiohttp handlers answering 202, in another process on the
other core.

The worker's signing process (`delivery.sign_process`, on by default with more than one CPU)
runs pinned to the receivers' core: the sender is one core for its event loop plus a share of
the other core, which it splits with the receivers. The event loop signs the rest itself
whenever its senders would wait. Fan-out can therefore exceed what one core signs, and the
ratio below is against a one-core signing rate; `--no-signing-process` measures the in-process
path alone (everything on one core; it writes the same results file). As in a running worker,
the signing process has the group's key loaded before the clock starts.

Baseline, measured in the same run on the same core: RSA-2048 signatures per second with
`cryptography` (PKCS#1 v1.5, SHA-256) over a typical draft-cavage signing string, which is what
bounds fan-out. Also shown for information: the same with httpsig (the library the signer
used before) and with our `sign_request` (headers and all).

    python -m bench.deliveries [--smoke] [--no-signing-process]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import func, insert, select

from bench.common import (
    Figure,
    Mode,
    bare_server,
    cpu_plan,
    free_port,
    pinned_here,
    report,
    workdir,
)

GOAL_RATIO = 0.70
RECEIVERS = 20


def sizes(mode: Mode) -> int:
    """Follower inboxes for a mode."""
    return 200 if mode.smoke else 2000


# --------------------------------------------------------------------------- baselines


def rate(work: Callable[[], Any], seconds: float) -> float:
    """Calls per second of `work`, run for about `seconds` (after one untimed call)."""
    work()
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(20):
            work()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def signing_rates(private_pem: str, key_id: str, seconds: float) -> dict[str, float]:
    import httpsig

    from fedi_aid.federation.keys import KeyRef, load_private_key
    from fedi_aid.federation.signatures import digest_header, sign_request

    body = b'{"type":"Create"}' * 90  # ~1.5 kB, the size of a need
    digest = digest_header(body)
    date = "Tue, 02 Jan 2024 03:04:05 GMT"
    signing_string = (
        f"(request-target): post /users/f0001/inbox\nhost: 127.0.0.1:8080\n"
        f"date: {date}\ndigest: {digest}"
    ).encode()
    key = load_private_key(private_pem)
    signer = httpsig.HeaderSigner(
        key_id, private_pem, algorithm="rsa-sha256", headers=["(request-target)", "host", "date"]
    )
    ref = KeyRef(key_id, private_pem)
    url = "http://127.0.0.1:8080/users/f0001/inbox"
    return {
        "cryptography": rate(
            lambda: key.sign(signing_string, padding.PKCS1v15(), hashes.SHA256()), seconds
        ),
        "httpsig": rate(
            lambda: signer.sign(
                {"host": "127.0.0.1:8080", "date": date},
                host="127.0.0.1:8080",
                method="POST",
                path="/users/f0001/inbox",
            ),
            seconds,
        ),
        "sign_request": rate(
            lambda: sign_request("POST", url, key=ref, body=body, digest=digest), seconds
        ),
    }


# --------------------------------------------------------------------------- the sender


def need_note(group_uri: str, serial: int) -> dict[str, Any]:
    """A need as a Create(Note), about the size real ones have."""
    from fedi_aid.activitypub.vocab import CONTEXT, PUBLIC

    note = f"{group_uri}/needs/{serial}"
    published = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "@context": CONTEXT,
        "id": f"{note}/activity",
        "type": "Create",
        "actor": group_uri,
        "published": published,
        "to": [PUBLIC],
        "cc": [f"{group_uri}/followers"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": group_uri,
            "published": published,
            "to": [PUBLIC],
            "cc": [f"{group_uri}/followers"],
            "content": "<p>We need 20 insulin pens in Riverside by Friday. "
            "Can you help? #MutualAid #Insulin</p>",
            "purpose": "request",
            "publishes": {
                "type": "Intent",
                "action": "transfer",
                "resourceConformsTo": "https://fedi-aid.org/categories/medical/insulin",
                "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "20"},
            },
            "location": {"type": "Place", "name": "Riverside", "latitude": 51.5, "longitude": -0.1},
            "endTime": "2030-01-01T00:00:00Z",
            "tag": [
                {"type": "Hashtag", "name": "#MutualAid", "href": f"{group_uri}/tags/mutualaid"}
            ],
        },
    }


async def prepare_sender(tmp: Path, ports: list[int], followers: int) -> Any:
    """An in-process instance with a group and `followers` remote followers; one queued need."""
    from fedi_aid.clock import utcnow
    from fedi_aid.config import load_settings
    from fedi_aid.context import Context
    from fedi_aid.db.migrate import migrate
    from fedi_aid.db.models import Actor, Follow
    from fedi_aid.local_actors import create_local_actor, load_instance_key
    from fedi_aid.outbox.queue import queue_activity

    port = free_port()
    settings = load_settings(
        environ={},
        base_url=f"http://127.0.0.1:{port}",
        data_dir=str(tmp / "sender"),
        development=True,
    )
    ctx = Context.create(settings)
    await migrate(ctx.engine, settings)
    await ctx.start()
    await load_instance_key(ctx)
    now = utcnow()
    async with ctx.sessions.begin() as session:
        group = await create_local_actor(session, ctx, "Group", "riverside")
        remote = []
        for i in range(followers):
            host = f"127.0.0.1:{ports[i % len(ports)]}"
            uri = f"http://{host}/users/f{i:04d}"
            remote.append(
                {
                    "uri": uri,
                    "type": "Person",
                    "local": False,
                    "username": f"f{i:04d}",
                    "domain": host,
                    "display_name": f"Follower {i}",
                    "summary": "",
                    "inbox": f"{uri}/inbox",
                    "shared_inbox": None,
                    "locked": False,
                    "key_id": f"{uri}#main-key",
                    "created_at": now,
                    "updated_at": now,
                    "fetched_at": now,
                }
            )
        await session.execute(insert(Actor), remote)
        ids = (await session.execute(select(Actor.id).where(Actor.local.is_(False)))).scalars()
        await session.execute(
            insert(Follow),
            [
                {
                    "uri": f"http://follow.invalid/{actor_id}",
                    "follower_id": actor_id,
                    "followee_id": group.id,
                    "state": "accepted",
                    "created_at": now,
                    "updated_at": now,
                }
                for actor_id in ids
            ],
        )
        inboxes = [row["inbox"] for row in remote]
        await queue_activity(session, group, need_note(group.uri, 1), inboxes, now=now)
    return ctx, group


async def deliver_all(
    ctx: Any, expected: int, signer: Any = None
) -> tuple[float, dict[str, int], int]:
    """Step the worker until nothing is pending: (seconds, states, run_once calls)."""
    from fedi_aid.db.deliveries import count_deliveries_by_state
    from fedi_aid.delivery.worker import run_once
    from fedi_aid.worker import DELIVERY_BATCH

    calls = 0
    started = time.perf_counter()
    deadline = started + 300
    while time.perf_counter() < deadline:
        calls += 1
        if await run_once(ctx, limit=DELIVERY_BATCH, signer=signer) == 0:
            break
    elapsed = time.perf_counter() - started
    async with ctx.sessions() as session:
        states = await count_deliveries_by_state(session)
    if states.get("sent", 0) != expected:
        raise RuntimeError(f"deliveries not all sent: {states}")
    return elapsed, states, calls


async def run(mode: Mode, *, signing_process: bool = True) -> list[Figure]:
    from fedi_aid.db.models import Delivery
    from fedi_aid.delivery.sign_process import SigningProcess

    server_cpus, load_cpus = cpu_plan()
    # Started before this process pins itself (so it sees every CPU and is enabled), then
    # pinned to the receivers' core: see the module docstring.
    signer = SigningProcess(enabled=signing_process)
    helper = await signer.start()
    if helper and load_cpus and signer.pid is not None:
        os.sched_setaffinity(signer.pid, load_cpus)
    followers = sizes(mode)
    ports = [free_port() for _ in range(RECEIVERS)]
    with workdir("deliveries") as tmp:
        receivers = bare_server(
            "deliveries-receivers",
            ports,
            posts=["/users/{name}/inbox"],
            cpus=load_cpus,
            workdir=tmp,
        )
        with receivers, pinned_here(server_cpus):
            ctx, group = await prepare_sender(tmp, ports, followers)
            try:
                if helper:
                    # A running worker's signing process has its actors' keys loaded already.
                    await signer.sign(group.private_key_pem, [b"warm-up"])
                seconds = 0.5 if mode.smoke else 2.0
                before = signing_rates(group.private_key_pem, group.key_id, seconds)
                async with ctx.sessions() as session:
                    queued = (
                        await session.execute(select(func.count()).select_from(Delivery))
                    ).scalar_one()
                if queued != followers:
                    raise RuntimeError(f"{queued} deliveries queued for {followers} followers")
                elapsed, _states, calls = await deliver_all(ctx, followers, signer)
                # Measured again after the fan-out: on a shared machine the CPU's speed drifts,
                # so the baseline is the mean of the two, both on the sender's core.
                after = signing_rates(group.private_key_pem, group.key_id, seconds)
            finally:
                await ctx.close()
                await signer.close()
    baseline = {name: (before[name] + after[name]) / 2 for name in before}
    spread = abs(before["cryptography"] - after["cryptography"]) / baseline["cryptography"]
    per_second = followers / elapsed
    return [
        Figure(
            name=f"deliveries of one need to {followers:,} inboxes on {RECEIVERS} instances",
            unit="/s",
            value=per_second,
            baseline=baseline["cryptography"],
            baseline_name="RSA-2048 signs",
            ratio_min=GOAL_RATIO,
            note=(
                f"{elapsed:.2f} s, {calls} run_once calls, "
                f"{'with' if helper else 'without'} the signing process; the baseline moved "
                f"{spread:.0%} between before and after"
            ),
        ),
        Figure(
            name="  RSA-2048 signatures, httpsig",
            unit="/s",
            value=baseline["httpsig"],
            baseline=baseline["cryptography"],
            baseline_name="cryptography",
            note="information: the library sign_request used before",
        ),
        Figure(
            name="  sign_request (whole header set)",
            unit="/s",
            value=baseline["sign_request"],
            baseline=baseline["cryptography"],
            baseline_name="cryptography",
            note="information: the production signer, per request",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="200 inboxes instead of 2,000")
    parser.add_argument(
        "--no-signing-process", action="store_true", help="sign everything in this process"
    )
    args = parser.parse_args()
    mode = Mode.quick() if args.smoke else Mode.full()
    figures = asyncio.run(run(mode, signing_process=not args.no_signing_process))
    report("deliveries", figures, mode)


if __name__ == "__main__":
    main()
