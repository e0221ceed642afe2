"""Store a remote need/offer we trust (from its author, or fetched from its origin)."""

from __future__ import annotations

from fedi_aid.aid.model import AidItem
from fedi_aid.aid.rows import apply_item
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.inbox.handlers.base import HandlerContext


async def store_remote_item(
    h: HandlerContext, item: AidItem, author: Actor, hop_count: int
) -> AidItemRow | None:
    """Insert once; if we already hold it, refresh it from this (trusted) copy. None: not ours."""
    row = await find_item_by_uri(h.session, item.uri)
    if row is None:
        row = AidItemRow(
            uri=item.uri, local=False, group_id=author.id, received_at=h.now, hop_count=hop_count
        )
        apply_item(row, item)
        h.session.add(row)
        await h.session.flush()
        return row
    if row.local or row.group_id != author.id:
        return None
    apply_item(row, item)
    return row
