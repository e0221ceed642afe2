"""Process stored incoming activities: one transaction per item, outbound rows written inside it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.inbox_items import claim_due_inbox_items
from fedi_aid.db.models import Actor, InboxItem
from fedi_aid.delivery.states import backoff
from fedi_aid.inbox.handlers import PREFETCH, find_handler
from fedi_aid.inbox.handlers.base import HandlerContext

log = logging.getLogger(__name__)
MAX_TRIES = 5


async def process_inbox_once(ctx: Context, now: datetime | None = None, limit: int = 100) -> int:
    """Handle one batch of stored activities. Returns how many were handled."""
    now = now or utcnow()
    async with ctx.sessions.begin() as session:
        lease = timedelta(seconds=ctx.settings.job_lease_seconds)
        ids = await claim_due_inbox_items(session, now, limit, lease)
    for item_id in ids:
        try:
            await _process_item(ctx, item_id, now)
        except Exception as exc:  # noqa: BLE001 - one bad item must not stop the queue
            log.exception("inbox item %s failed", item_id)
            await _record_failure(ctx, item_id, now, exc)
    return len(ids)


async def _process_item(ctx: Context, item_id: int, now: datetime) -> None:
    async with ctx.sessions() as session:
        body = (
            await session.execute(select(InboxItem.body).where(InboxItem.id == item_id))
        ).scalar_one()
    prefetch = PREFETCH.get(str(body.get("type")))
    fetched = await prefetch(ctx, body) if prefetch is not None else None
    async with ctx.sessions.begin() as session:
        item = (
            await session.execute(select(InboxItem).where(InboxItem.id == item_id))
        ).scalar_one()
        sender = await find_actor_by_uri(session, item.actor_uri)
        handler = find_handler(item.body)
        if handler is not None and sender is not None:
            recipient = await session.get(Actor, item.recipient_id) if item.recipient_id else None
            context = HandlerContext(session, ctx, sender, recipient, now, fetched)
            await handler(context, item.body)
        item.state = "done"
        item.processed_at = now
        item.locked_until = None


async def _record_failure(ctx: Context, item_id: int, now: datetime, exc: Exception) -> None:
    async with ctx.sessions.begin() as session:
        item = await session.get(InboxItem, item_id)
        if item is None:
            return
        item.tries += 1
        item.last_error = f"{exc.__class__.__name__}: {exc}"[:1000]
        item.locked_until = None
        if item.tries >= MAX_TRIES:
            item.state = "failed"
        else:
            item.next_attempt_at = now + backoff(item.tries)
