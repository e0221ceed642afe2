"""A group's open public needs and offers as OrderedCollections (`openNeeds`, `openOffers`).

Other instances' discovery reads `totalItems`; the newest items come along for a preview.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from fedi_aid.activitypub.to_as import aid_item_to_as_note
from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.aid.rows import row_to_item
from fedi_aid.db.actors import find_local_actor
from fedi_aid.db.aid_items import OPEN_STATUSES
from fedi_aid.db.models import AidItemRow
from fedi_aid.discovery.counts import count_open_items
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.responses import activity_response

PREVIEW = 20


async def open_items_view(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    plural = request.match_info["kind"]
    kind = plural[:-1]
    async with ctx.sessions() as session:
        group = await find_local_actor(session, request.match_info["name"])
        if group is None or group.type != "Group":
            raise web.HTTPNotFound(text=f"no group named {request.match_info['name']!r} here")
        total = await count_open_items(session, group.id, kind)
        rows = (
            (
                await session.execute(
                    select(AidItemRow)
                    .where(
                        AidItemRow.group_id == group.id,
                        AidItemRow.kind == kind,
                        AidItemRow.status.in_(OPEN_STATUSES),
                        AidItemRow.visibility.in_(("public", "unlisted")),
                    )
                    .order_by(AidItemRow.id.desc())
                    .limit(PREVIEW)
                )
            )
            .scalars()
            .unique()
            .all()
        )
    notes = []
    for row in rows:
        note = aid_item_to_as_note(row_to_item(row, group))
        note.pop("@context", None)
        notes.append(note)
    return activity_response(
        {
            "@context": CONTEXT,
            "id": f"{group.uri}/collections/{plural}",
            "type": "OrderedCollection",
            "totalItems": total,
            "orderedItems": notes,
        }
    )


def setup(app: web.Application) -> None:
    from fedi_aid.web import api_discovery

    app.router.add_get(r"/users/{name}/collections/{kind:needs|offers}", open_items_view)
    api_discovery.setup(app)
