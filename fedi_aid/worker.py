"""The background loop: process the inbox and send deliveries until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fedi_aid.aid.publish import expire_due_items
from fedi_aid.context import Context
from fedi_aid.db.deliveries import release_all_claims
from fedi_aid.db.inbox_items import release_inbox_claims
from fedi_aid.delivery.sign_process import SigningProcess
from fedi_aid.delivery.worker import run_once as deliver_once
from fedi_aid.inbox.process import process_inbox_once

log = logging.getLogger(__name__)


EXPIRY_EVERY_SECONDS = 30.0
DELIVERY_BATCH = 500  # deliveries claimed per step: fewer pauses between batches in a fan-out


async def work_once(ctx: Context, signer: SigningProcess | None = None) -> int:
    handled = await process_inbox_once(ctx)
    sent = await deliver_once(ctx, limit=DELIVERY_BATCH, signer=signer)
    return handled + sent


async def expire_now_and_then(ctx: Context, last_run: list[float]) -> None:
    """The periodic expiry job, at most every EXPIRY_EVERY_SECONDS."""
    now = asyncio.get_running_loop().time()
    if now - last_run[0] >= EXPIRY_EVERY_SECONDS:
        last_run[0] = now
        await expire_due_items(ctx)


async def release_stale_claims(ctx: Context) -> None:
    """With SQLite there is one process: whatever is claimed was claimed by a dead one."""
    if ctx.settings.is_sqlite:
        async with ctx.sessions.begin() as session:
            await release_all_claims(session)
            await release_inbox_claims(session)


async def run_worker(ctx: Context, stop: asyncio.Event) -> None:
    await release_stale_claims(ctx)
    log.info("worker started")
    # Started on the first large fan-out, stopped with the worker (even when cancelled).
    signer = SigningProcess(enabled=ctx.settings.delivery_signing_process)
    try:
        await _loop(ctx, stop, signer)
    finally:
        await signer.close()
    log.info("worker stopped")


async def _loop(ctx: Context, stop: asyncio.Event, signer: SigningProcess) -> None:
    last_expiry = [float("-inf")]
    while not stop.is_set():
        ctx.work_available.clear()
        try:
            await expire_now_and_then(ctx, last_expiry)
            busy = await work_once(ctx, signer)
        except Exception:  # noqa: BLE001 - keep the loop alive; the rows stay due
            log.exception("worker step failed; retrying")
            busy = 0
        if busy:
            continue
        await signer.stop_if_idle()
        with contextlib.suppress(TimeoutError):
            waiters = [
                asyncio.create_task(stop.wait()),
                asyncio.create_task(ctx.work_available.wait()),
            ]
            _, pending = await asyncio.wait(
                waiters,
                timeout=ctx.settings.worker_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in pending:
                task.cancel()
