"""Two web and two worker processes on one PostgreSQL, 1,000 pending deliveries to a receiving
instance: each activity arrives once per inbox, and killing a worker mid-run loses nothing."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import sys
from collections import Counter
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from fedi_aid.clock import utcnow
from fedi_aid.db.models import Delivery
from fedi_aid.local_actors import load_instance_key
from fedi_aid.outbox.queue import queue_activity
from tests import sigtools
from tests.harness import free_port

pytestmark = pytest.mark.slow
AP = "application/activity+json"
GROUPS, ACTIVITIES_PER_GROUP, INBOXES = 5, 50, 4  # 250 activities x 4 inboxes = 1,000


class Receiver:
    """The receiving instance: verifies each signature (keys fetched from the sender's web
    processes in turn, as a load balancer would send them) and records what arrived."""

    def __init__(self, web_ports: list[int]) -> None:
        self.port = free_port()
        self.ports = itertools.cycle(web_ports)
        self.keys: dict[str, str] = {}
        self.fetched_from: Counter[int] = Counter()
        self.arrivals: Counter[tuple[str, str]] = Counter()
        self.rejected: list[str] = []
        self.runner: web.AppRunner | None = None

    def inbox(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/users/r{n}/inbox"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/users/{name}/inbox", self._inbox)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _key(self, key_id: str) -> str:
        if key_id not in self.keys:
            port = next(self.ports)
            url = key_id.split("#")[0].replace(key_id.split("/")[2], f"127.0.0.1:{port}", 1)
            async with aiohttp.ClientSession() as http:
                async with http.get(url, headers={"Accept": AP}) as response:
                    doc = await response.json(content_type=None)
            self.fetched_from[port] += 1
            self.keys[key_id] = doc["publicKey"]["publicKeyPem"]
        return self.keys[key_id]

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        try:
            key_id = dict(sigtools._PARAM.findall(headers["Signature"]))["keyId"]
            url = f"http://{request.host}{request.path_qs}"
            sigtools.cavage_verify("POST", url, headers, body, await self._key(key_id))
        except Exception as exc:  # noqa: BLE001 - a bad signature is a 401, as on any server
            self.rejected.append(f"{exc.__class__.__name__}: {exc}")
            return web.Response(status=401)
        self.arrivals[(json.loads(body)["id"], request.path)] += 1
        await asyncio.sleep(0.02)  # a real server takes a moment: a batch is in flight a while
        return web.Response(status=202)


def _env(settings: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env.update(
        FEDI_AID_BASE_URL=settings.base_url,
        FEDI_AID_DATA_DIR=settings.data_dir,
        FEDI_AID_DATABASE_URL=settings.database_url,
        FEDI_AID_DATABASE_SCHEMA=settings.database_schema,
        FEDI_AID_DEVELOPMENT="true",
        FEDI_AID_WORKER_POLL_SECONDS="0.2",
        FEDI_AID_JOB_LEASE_SECONDS="3",  # a killed worker's claims are taken over after 3 s
        FEDI_AID_LOG_LEVEL="WARNING",
    )
    return env


async def _spawn(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fedi_aid",
        *args,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _ready(port: int) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the web process on {port} did not become ready")


async def _queue(sender: Any, receiver: Receiver) -> set[tuple[str, str]]:
    expected: set[tuple[str, str]] = set()
    inboxes = [receiver.inbox(n) for n in range(INBOXES)]
    now = utcnow()
    async with sender.ctx.sessions.begin() as session:
        for g in range(GROUPS):
            group = await sender.actor(f"g{g}")
            group = await session.merge(group)
            for a in range(ACTIVITIES_PER_GROUP):
                uri = f"{group.uri}/activities/{a}"
                note = {"id": f"{uri}/note", "type": "Note", "content": f"need {a}"}
                activity = {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": uri,
                    "type": "Create",
                    "actor": group.uri,
                    "object": {**note, "attributedTo": group.uri},
                }
                await queue_activity(session, group, activity, inboxes, now=now)
                expected |= {(uri, inbox.split(str(receiver.port), 1)[1]) for inbox in inboxes}
    return expected


async def _states(sender: Any) -> dict[str, int]:
    async with sender.ctx.sessions() as session:
        rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return {state: n for state, n in rows}


async def test_two_web_two_workers_one_postgres(make_instance, backend) -> None:
    if backend != "postgres":
        pytest.skip("several processes share one database only on PostgreSQL (SQLite: one)")
    sender = await make_instance(start=False)
    await sender.ctx.start()
    await load_instance_key(sender.ctx)
    for g in range(GROUPS):
        await sender.create_group(f"g{g}")
    env = _env(sender.settings)
    web_ports = [sender.settings.port, free_port()]
    receiver = Receiver(web_ports)
    await receiver.start()
    expected = await _queue(sender, receiver)
    assert len(expected) == 1000 and await _states(sender) == {"pending": 1000}

    processes = [await _spawn(env, "serve", "--no-worker", "--port", str(p)) for p in web_ports]
    try:
        for port in web_ports:
            await _ready(port)
        workers = [await _spawn(env, "worker") for _ in range(2)]
        processes += workers
        for _ in range(6000):  # under load, starting takes a while
            if sum(receiver.arrivals.values()) >= 150:
                break
            await asyncio.sleep(0.01)
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
        async with sender.ctx.sessions() as session:
            held = set(
                (
                    await session.execute(
                        select(Delivery.id).where(
                            Delivery.state == "pending",
                            Delivery.locked_by == f"{socket.gethostname()}:{victim.pid}",
                        )
                    )
                ).scalars()
            )
        for _ in range(600):
            if await _states(sender) == {"sent": 1000}:
                break
            await asyncio.sleep(0.1)
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
        await receiver.stop()

    assert receiver.rejected == []
    assert await _states(sender) == {"sent": 1000}
    # Nothing lost: every activity reached every inbox.
    assert set(receiver.arrivals) == expected
    # Nothing sent twice, except what the killed worker held when it died (at-least-once:
    # the receiver dedupes by activity id, so each is stored exactly once).
    repeated = {key for key, n in receiver.arrivals.items() if n > 1}
    assert len(repeated) <= len(held)
    assert all(n <= 2 for n in receiver.arrivals.values())
    assert held, "the worker was killed before it claimed anything: the kill proved nothing"
    # Both web processes served the sender's keys.
    assert set(receiver.fetched_from) == set(web_ports)
