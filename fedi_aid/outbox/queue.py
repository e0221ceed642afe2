"""Write an outgoing activity and one delivery row per distinct inbox, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.vocab import PUBLIC
from fedi_aid.clock import utcnow
from fedi_aid.db.models import Actor, Delivery, OutgoingActivity


def serialize(activity: dict[str, Any]) -> str:
    return json.dumps(activity, ensure_ascii=False, separators=(",", ":"))


def inbox_of(actor: Actor) -> str | None:
    """Where to deliver to a remote actor: its shared inbox when it has one."""
    return actor.shared_inbox or actor.inbox


async def queue_activity(
    session: AsyncSession,
    sender: Actor,
    activity: dict[str, Any],
    inboxes: Iterable[str],
    *,
    now: datetime | None = None,
) -> OutgoingActivity:
    now = now or utcnow()
    audience = set(_as_list(activity.get("to"))) | set(_as_list(activity.get("cc")))
    outgoing = OutgoingActivity(
        uri=activity["id"],
        actor_id=sender.id,
        type=activity["type"],
        public=PUBLIC in audience,
        body=serialize(activity),
        created_at=now,
    )
    session.add(outgoing)
    await session.flush()
    rows = [
        {
            "activity_id": outgoing.id,
            "inbox": inbox,
            "domain": (urlsplit(inbox).netloc or "").lower(),
            "state": "pending",
            "tries": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for inbox in sorted(set(i for i in inboxes if i))
    ]
    if rows:
        # One multi-row INSERT (executemany) instead of a unit-of-work object per inbox: a
        # need sent to 2,000 followers is queued in milliseconds, not a second of write lock.
        await session.execute(insert(Delivery), rows)
    return outgoing


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
