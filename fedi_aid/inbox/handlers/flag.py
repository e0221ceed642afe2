"""Flag: another instance reports one of our actors or objects. Stored for the admin."""

from __future__ import annotations

from typing import Any

from fedi_aid.activitypub.normalize import id_of
from fedi_aid.db.moderation import store_report
from fedi_aid.inbox.handlers.base import HandlerContext


async def handle_flag(h: HandlerContext, activity: dict[str, Any]) -> None:
    objects = activity.get("object")
    listed = objects if isinstance(objects, list) else [objects]
    targets = [uri for uri in (id_of(o) for o in listed) if isinstance(uri, str)]
    base = h.ctx.settings.base_url.rstrip("/") + "/"
    if not any(uri.startswith(base) for uri in targets):
        return  # a report about someone else's users is not ours to handle
    content = activity.get("content")
    await store_report(
        h.session,
        uri=activity["id"],
        direction="incoming",
        reporter_uri=h.sender.uri,
        targets=targets,
        comment=content if isinstance(content, str) else "",
        domain=h.sender.domain,
        resolved=False,
        created_at=h.now,
    )
