"""A batch that outlasts its lease (slow peers) keeps its claim: no second worker sends it too."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from fedi_aid.clock import utcnow
from fedi_aid.db.deliveries import claim_due_rows
from fedi_aid.db.models import Delivery
from fedi_aid.delivery.worker import run_once
from fedi_aid.outbox.queue import queue_activity
from tests.harness import free_port

STALL_SECONDS = 1.5


async def test_a_slow_batch_renews_its_lease(make_instance: Any) -> None:
    a = await make_instance(job_lease_seconds=0.6)
    group = await a.create_group("riverside")
    received: list[str] = []

    async def slow_inbox(request: web.Request) -> web.Response:
        await asyncio.sleep(STALL_SECONDS)
        received.append(request.path)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/users/{name}/inbox", slow_inbox)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        inboxes = [f"http://127.0.0.1:{port}/users/u{i}/inbox" for i in range(3)]
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{group.uri}/activities/slow",
            "type": "Create",
            "actor": group.uri,
            "object": {"id": f"{group.uri}/notes/slow", "type": "Note", "content": "hi"},
        }
        async with a.ctx.sessions.begin() as session:
            await queue_activity(session, group, activity, inboxes)

        batch = asyncio.create_task(run_once(a.ctx))
        await asyncio.sleep(1.0)  # past the first lease: another worker now tries to claim
        async with a.ctx.sessions.begin() as session:
            lease = timedelta(seconds=0.6)
            stolen = await claim_due_rows(session, utcnow(), "another-worker", 10, lease)
        assert stolen == []
        assert await batch == 3
    finally:
        await runner.cleanup()

    assert sorted(received) == sorted(i.split(f"{port}")[1] for i in inboxes)
    async with a.ctx.sessions() as session:
        states = (await session.execute(select(Delivery.state))).scalars().all()
    assert states == ["sent"] * 3
