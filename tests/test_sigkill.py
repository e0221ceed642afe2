"""Kill the server with SIGKILL while deliveries are pending: after restart all arrive, once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import pytest
from sqlalchemy import func, select

from fedi_aid.db.inbox_items import count_inbox_items
from fedi_aid.db.models import Delivery, Follow
from fedi_aid.follows import followers_of
from fedi_aid.local_actors import load_instance_key

pytestmark = pytest.mark.slow
GROUPS = [f"g{n}" for n in range(8)]


def _env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env.update(
        FEDI_AID_BASE_URL=settings.base_url,
        FEDI_AID_DATA_DIR=settings.data_dir,
        FEDI_AID_DATABASE_URL=settings.database_url,
        FEDI_AID_DATABASE_SCHEMA=settings.database_schema,
        FEDI_AID_DEVELOPMENT="true",
        FEDI_AID_WORKER_POLL_SECONDS="0.1",
        FEDI_AID_DELIVERY_BACKOFF_SECONDS="0.2",
        # PostgreSQL keeps a killed worker's claims until the lease ends (shared by many).
        FEDI_AID_JOB_LEASE_SECONDS="2",
    )
    return env


async def _serve(env: dict[str, str]) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fedi_aid", "serve", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    url = env["FEDI_AID_BASE_URL"] + "/.well-known/nodeinfo"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise AssertionError("the server did not come up")


async def _counts(sender) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with sender.ctx.sessions() as session:
        rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return {state: n for state, n in rows}


async def _accepted(sender) -> int:  # type: ignore[no-untyped-def]
    async with sender.ctx.sessions() as session:
        query = select(func.count()).select_from(Follow).where(Follow.state == "accepted")
        return (await session.execute(query)).scalar_one()


async def test_sigkill_with_pending_deliveries(make_instance) -> None:
    receiver = await make_instance()
    await receiver.create_group("hub")
    sender = await make_instance(start=False)
    await sender.ctx.start()
    await load_instance_key(sender.ctx)
    for name in GROUPS:
        await sender.create_group(name)
        await sender.follow(name, receiver.handle("hub"))  # queued, not yet sent
    assert await _counts(sender) == {"pending": len(GROUPS)}

    # The receiver goes down; the sender starts, fails its tries, and is killed mid-retry.
    await receiver.stop()
    env = _env(sender.settings)
    server = await _serve(env)
    try:
        for _ in range(100):
            async with sender.ctx.sessions() as session:
                tried = (await session.execute(select(func.min(Delivery.tries)))).scalar_one()
            if tried:
                break
            await asyncio.sleep(0.1)
        assert tried >= 1
        server.send_signal(signal.SIGKILL)
        await server.wait()
        assert await _counts(sender) == {"pending": len(GROUPS)}

        await receiver.start()
        server = await _serve(env)
        for _ in range(300):
            await receiver.step()
            if await _accepted(sender) == len(GROUPS):
                break
            await asyncio.sleep(0.1)
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(server.wait(), 15)
            except TimeoutError:
                server.kill()

    assert await _counts(sender) == {"sent": len(GROUPS)}
    assert await _accepted(sender) == len(GROUPS)
    assert len(await followers_of(receiver.ctx, "hub")) == len(GROUPS)
    async with receiver.ctx.sessions() as session:
        # One stored Follow per group: nothing lost, nothing stored twice.
        assert await count_inbox_items(session) == len(GROUPS)
