"""What a handler gets: one transaction, the verified sender, the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.context import Context
from fedi_aid.db.models import Actor


@dataclass
class HandlerContext:
    session: AsyncSession
    ctx: Context
    sender: Actor
    recipient: Actor | None
    now: datetime
    # What a prefetch step got over the network before the transaction began.
    fetched: Any = None
