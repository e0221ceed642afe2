"""Signed inbox POSTs accepted per second: verified, validated, stored durably, answered 202.

Set-up: `fedi-aid serve --no-worker` (SQLite, one process, pinned to one core) and a static
peer server in this process that serves the actor documents of many remote actors (200 in the
full run). Every actor sends one warm-up Create, so the instance fetches and caches each key
once; then the peer server is stopped, so a key refetch during the measurement would show up
as a 401. N distinct Create(Note) requests (each its own activity id, so each is stored, not
deduplicated) are pre-signed draft-cavage style, written to a file as raw HTTP, and replayed by
wrk's Lua `request()` hook (bench/wrk/replay.lua), 50 connections, each request exactly once.

Baseline: a bare aiohttp handler that reads the body and answers 202, fed the same requests.
The server's RSS is measured idle (before any traffic) and sampled under this load.

    python -m bench.inbox_post [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import sqlite3
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from bench.common import (
    CACHE_DIR,
    WRK_DIR,
    FediAidServer,
    Figure,
    Mode,
    bare_server,
    cpu_plan,
    free_port,
    report,
    run_wrk,
    workdir,
)
from bench.memory import RssSampler, memory_figures

GOAL_PER_SECOND = 1000
GOAL_RATIO = 0.25
AP = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def sizes(mode: Mode) -> tuple[int, int]:
    """(remote actors, pre-signed requests) for a mode."""
    return (20, 1500) if mode.smoke else (200, 20000)


# --------------------------------------------------------------------------- remote actors


def actor_keys(count: int) -> list[tuple[str, str]]:
    """`count` RSA-2048 key pairs, kept in bench/results/cache between runs (they take time)."""
    path = CACHE_DIR / "actor-keys.json"
    keys: list[tuple[str, str]] = []
    if path.exists():
        keys = [tuple(pair) for pair in json.loads(path.read_text())]  # type: ignore[misc]
    if len(keys) < count:
        missing = count - len(keys)
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            keys += list(pool.map(_generate, range(missing), chunksize=8))
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(keys))
    return keys[:count]


def _generate(_: int) -> tuple[str, str]:
    from fedi_aid.federation.keys import generate_key_pair

    return generate_key_pair()


def actor_name(index: int) -> str:
    return f"a{index:04d}"


def actor_document(base: str, name: str, public_pem: str) -> dict[str, Any]:
    """A Mastodon-shaped Person (the shape of tests/peers.py, written out here)."""
    uri = f"{base}/users/{name}"
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            {"manuallyApprovesFollowers": "as:manuallyApprovesFollowers"},
        ],
        "id": uri,
        "type": "Person",
        "following": f"{uri}/following",
        "followers": f"{uri}/followers",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "preferredUsername": name,
        "name": name.upper(),
        "summary": "<p>bench actor</p>",
        "url": f"{base}/@{name}",
        "manuallyApprovesFollowers": False,
        "published": "2024-01-01T00:00:00Z",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem},
        "endpoints": {"sharedInbox": f"{base}/inbox"},
    }


async def start_peer(port: int, keys: list[tuple[str, str]]) -> web.AppRunner:
    """Static actor documents for the remote actors, on 127.0.0.1:port."""
    base = f"http://127.0.0.1:{port}"
    documents = {
        actor_name(i): json.dumps(actor_document(base, actor_name(i), public)).encode()
        for i, (_private, public) in enumerate(keys)
    }

    async def actor(request: web.Request) -> web.Response:
        body = documents.get(request.match_info["name"])
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body, content_type=AP)

    app = web.Application()
    app.router.add_get("/users/{name}", actor)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


# --------------------------------------------------------------------------- pre-signed requests


def create_note(peer_base: str, name: str, serial: str, group_uri: str) -> bytes:
    actor = f"{peer_base}/users/{name}"
    note = f"{actor}/statuses/{serial}"
    published = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity",
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": [PUBLIC],
        "cc": [f"{actor}/followers", group_uri],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": actor,
            "published": published,
            "to": [PUBLIC],
            "cc": [f"{actor}/followers", group_uri],
            "content": f"<p>I can bring {serial[-2:]} blankets to the community centre on "
            f'Friday. <a href="{peer_base}/tags/mutualaid" rel="tag">#mutualaid</a></p>',
            "tag": [
                {"type": "Hashtag", "href": f"{peer_base}/tags/mutualaid", "name": "#mutualaid"}
            ],
        },
    }
    return json.dumps(activity).encode()


def sender_address(index: int) -> str:
    """A documentation-range address per actor, sent as X-Forwarded-For.

    In production a proxy (nginx) passes each peer's address on; here every request comes
    from 127.0.0.1, a trusted proxy by default, so each actor gets an address of its own and
    the per-address inbox limit applies per actor, as it would with real peers.
    """
    net = ("198.51.100", "203.0.113")[index // 250 % 2]
    return f"{net}.{index % 250 + 1}"


def signed_request(
    host: str,
    path: str,
    key_id: str,
    private_key: Any,
    body: bytes,
    date: str,
    forwarded_for: str = "",
) -> bytes:
    """A complete raw HTTP/1.1 POST, signed the way Mastodon signs (draft-cavage, rsa-sha256).

    Written here on `cryptography` directly: the bench plays the remote sender and shares no
    code with the signer under test.
    """
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    signing_string = (
        f"(request-target): post {path}\nhost: {host}\ndate: {date}\ndigest: {digest}"
    ).encode()
    signature = base64.b64encode(
        private_key.sign(signing_string, padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    header = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="(request-target) host date digest",signature="{signature}"'
    )
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Date: {date}\r\n"
        f"Digest: {digest}\r\n"
        f"Signature: {header}\r\n"
        f"Content-Type: {AP}\r\n"
        + (f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else "")
        + f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


def sign_slice(
    job: tuple[str, str, str, str, list[tuple[int, str]], list[str], str],
) -> list[bytes]:
    """Sign requests for some actors (one process of the pool): [(actor index, pem)], serials."""
    host, path, peer_base, group_uri, actors, serials, prefix = job
    date = format_datetime(datetime.now(UTC), usegmt=True)
    out = []
    for index, pem in actors:
        # Our own freshly generated keys: skip the (slow) validation on load.
        key = serialization.load_pem_private_key(
            pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
        name = actor_name(index)
        key_id = f"{peer_base}/users/{name}#main-key"
        for serial in serials:
            body = create_note(peer_base, name, f"{prefix}{serial}", group_uri)
            out.append(signed_request(host, path, key_id, key, body, date, sender_address(index)))
    return out


async def presign(
    host: str,
    peer_base: str,
    group_uri: str,
    keys: list[tuple[str, str]],
    per_actor: int,
    prefix: str,
) -> list[bytes]:
    """`per_actor` requests for each actor, interleaved so consecutive ones differ in actor."""
    workers = max(1, os.cpu_count() or 1)
    indexed = list(enumerate(private for private, _public in keys))
    serials = [f"{n:06d}" for n in range(per_actor)]
    jobs = [
        (host, "/inbox", peer_base, group_uri, indexed[w::workers], serials, prefix)
        for w in range(workers)
    ]
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        parts = await asyncio.gather(*(loop.run_in_executor(pool, sign_slice, j) for j in jobs))
    # parts[w] holds its actors' requests actor by actor; interleave across actors.
    by_actor: list[list[bytes]] = []
    for part in parts:
        by_actor += [part[i : i + per_actor] for i in range(0, len(part), per_actor)]
    return [requests[n] for n in range(per_actor) for requests in by_actor]


def write_requests(path: Path, requests: list[bytes]) -> None:
    with path.open("wb") as out:
        for raw in requests:
            out.write(f"{len(raw)}\n".encode())
            out.write(raw)


async def send_raw(url: str, raw: bytes) -> tuple[int, str]:
    """POST one pre-built request through aiohttp: (status, the start of the answer)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if ": " in line)
    headers.pop("Content-Length", None)
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=headers) as response,
    ):
        return response.status, (await response.text())[:300]


def stored_count(database: Path, prefix: str) -> int:
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT count(*) FROM inbox_items WHERE activity_uri LIKE ?", (f"%/{prefix}%",)
        ).fetchone()
    return int(row[0])


# --------------------------------------------------------------------------- the bench


async def run(mode: Mode) -> list[Figure]:
    server_cpus, load_cpus = cpu_plan()
    actor_count, total = sizes(mode)
    per_actor = max(1, total // actor_count)
    keys = actor_keys(actor_count)
    with workdir("inbox_post") as tmp:
        fedi = FediAidServer("inbox_post-fedi", tmp, cpus=server_cpus, worker=False)
        with fedi:
            await asyncio.sleep(1.0)
            idle_rss = fedi.rss()
            group_uri = f"{fedi.base}/users/riverside"
            peer_port = free_port()
            peer_base = f"http://127.0.0.1:{peer_port}"
            started = time.monotonic()
            warmup = await presign(fedi.host, peer_base, group_uri, keys, 1, "w")
            probes = await presign(fedi.host, peer_base, group_uri, keys, 1, "p")
            measured = await presign(fedi.host, peer_base, group_uri, keys, per_actor, "m")
            signing_seconds = time.monotonic() - started
            requests_file = tmp / "inbox-requests.bin"
            write_requests(requests_file, measured)

            # Warm-up: every actor once, so each key is fetched and cached before we measure.
            peer = await start_peer(peer_port, keys)
            try:
                semaphore = asyncio.Semaphore(8)

                async def warm(raw: bytes) -> tuple[int, str]:
                    async with semaphore:
                        return await send_raw(f"{fedi.base}/inbox", raw)

                statuses = await asyncio.gather(*(warm(raw) for raw in warmup))
            finally:
                await peer.cleanup()  # from now on a key refetch would fail (401)
            if {status for status, _text in statuses} != {202}:
                raise RuntimeError(f"warm-up POSTs answered {sorted(set(statuses))[:3]}")

            with RssSampler(fedi.pid) as sampler:
                ours = await run_wrk(
                    f"{fedi.base}/inbox",
                    duration=max(2 * mode.duration, 3.0),
                    connections=mode.connections,
                    script=WRK_DIR / "replay.lua",
                    script_env={"BENCH_REQUESTS": str(requests_file), "BENCH_THREADS": "1"},
                    cpus=load_cpus,
                    stop_marker="BENCH-EXHAUSTED",
                )
            stored = stored_count(fedi.database, "m")
            if ours.failed or ours.requests == 0:
                # Show why: one more signed request, sent the same way as the warm-up.
                probe = await send_raw(f"{fedi.base}/inbox", probes[0])
                raise RuntimeError(
                    f"inbox POSTs failed: {ours.requests} requests, {ours.errors}, statuses "
                    f"{ours.statuses}, first error {ours.first_error!r}; a probe request now "
                    f"gets {probe}"
                )
        if stored < ours.ok_requests:
            raise RuntimeError(f"{ours.ok_requests} answered 202 but only {stored} stored")

        port = free_port()
        with bare_server(
            "inbox_post-bare", [port], posts=["/inbox"], cpus=server_cpus, workdir=tmp
        ):
            bare = await run_wrk(
                f"http://127.0.0.1:{port}/inbox",
                duration=mode.duration,
                connections=mode.connections,
                script=WRK_DIR / "replay.lua",
                script_env={
                    "BENCH_REQUESTS": str(requests_file),
                    "BENCH_THREADS": "1",
                    "BENCH_WRAP": "1",
                },
                cpus=load_cpus,
            )
        if bare.failed:
            raise RuntimeError(f"bare POST server failed: {bare.errors}")

    body_bytes = sum(len(raw.partition(b"\r\n\r\n")[2]) for raw in measured) // len(measured)
    load = (
        f"{ours.ok_requests:,} signed Create(Note) from {actor_count} actors, "
        f"{mode.connections} conns"
    )
    return [
        Figure(
            name="signed inbox POSTs accepted (1 core)",
            unit="req/s",
            value=ours.ok_rate,
            baseline=bare.ok_rate,
            baseline_name="bare aiohttp POST",
            value_min=GOAL_PER_SECOND,
            ratio_min=GOAL_RATIO,
            note=(
                f"{load}; {body_bytes} B bodies; p50 {ours.latency_ms['p50']:.1f} ms, "
                f"p99 {ours.latency_ms['p99']:.1f} ms; pre-signing took {signing_seconds:.1f} s"
            ),
        ),
        *memory_figures(idle_rss, sampler.peak, load),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a second or two of load")
    args = parser.parse_args()
    mode = Mode.quick() if args.smoke else Mode.full()
    report("inbox_post", asyncio.run(run(mode)), mode)


if __name__ == "__main__":
    main()
