"""Pledges from the web: a visitor pledges on a need page; organisers confirm, deliver, decline.

A visitor's pledge is `proposed` until an organiser confirms it; only confirmed and delivered
pledges reduce what is still needed (aid/pledge_actions.py). The need page shows both: the met
part of the bar, and the promised part next to it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from fedi_aid.aid.api_input import ApiInputError, parse_quantity
from fedi_aid.aid.pledge_actions import PledgeError, change_state, pledge_locally
from fedi_aid.aid.pledges import VERBS
from fedi_aid.db.aid_items import OPEN_STATUSES, find_item_by_uri
from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import AidItemRow
from fedi_aid.db.pledges import list_pledges
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui.guard import UiError, require_group
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.render import flash, render

NAME_MAX = 200
MESSAGE_MAX = 1000


async def item_extras(request: web.Request, row: AidItemRow) -> dict[str, Any]:
    """The promised (proposed) total and whether the page offers a pledge form."""
    async with request.app[CONTEXT_KEY].sessions() as db:
        proposed = await list_pledges(db, row.group_id, state="proposed", item_id=row.id)
    promised = sum((p.quantity or Decimal(0) for p in proposed), Decimal(0))
    return {
        "promised": min(promised, row.remaining),
        "pledge_open": row.local and row.kind == "need" and row.status in OPEN_STATUSES,
        "pledge_values": {"name": "", "quantity": "", "message": ""},
        "pledge_error": None,
    }


async def pledge(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    ctx = request.app[CONTEXT_KEY]
    uri = ctx.settings.url(f"/needs/{request.match_info['token']}")
    async with ctx.sessions() as db:
        row = await find_item_by_uri(db, uri)
    if row is None or not row.local or row.visibility not in ("public", "unlisted"):
        raise UiError(404, _("No such need or offer."))
    if row.status not in OPEN_STATUSES:
        raise UiError(409, _("This need is no longer open."))
    name = form.get("name", "").strip()
    message = form.get("message", "").strip()
    try:
        if not name:
            raise ApiInputError(None, _("Tell the group your name or how to reach you."))
        if len(name) > NAME_MAX or len(message) > MESSAGE_MAX:
            raise ApiInputError(None, _("The name or the message is too long."))
        quantity = parse_quantity(form.get("quantity", "").strip(), _("Quantity"), positive=True)
        async with ctx.sessions.begin() as db:
            stored = await db.get(AidItemRow, row.id)
            assert stored is not None
            made = await pledge_locally(db, ctx, stored, name, quantity)
            made.text = message
        ctx.wake_workers()
    except (ApiInputError, PledgeError) as exc:
        context = {"row": row, **await item_extras(request, row)}
        context.update(pledge_values=form, pledge_error=exc.message)
        return await render(request, "item.html", context, status=exc.status)
    await flash(request, _("Thank you! The group will confirm your pledge."))
    raise web.HTTPSeeOther(row.uri)


async def pledges_page(request: web.Request) -> web.Response:
    _user, group = await require_group(request)
    async with request.app[CONTEXT_KEY].sessions() as db:
        pledges = list(await list_pledges(db, group.id, limit=200))
    return await render(
        request,
        "admin/pledges.html",
        {"group": group, "tab": "pledges", "pledges": pledges, "verbs": VERBS},
    )


async def pledge_action(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    _user, group = await require_group(request)
    ctx = request.app[CONTEXT_KEY]
    verb = form.get("action", "")
    if verb not in VERBS:
        raise UiError(400, _("Unknown action."))
    try:
        pledge_id = int(request.match_info["id"])
        async with ctx.sessions.begin() as db:
            await change_state(db, ctx, pledge_id, VERBS[verb], group_id=group.id)
        ctx.wake_workers()
    except (ValueError, NotFound):
        raise UiError(404, _("This group has no such pledge.")) from None
    except PledgeError as exc:
        await flash(request, _("Could not do that: {reason}").format(reason=exc.message), "error")
    else:
        await flash(request, _("Pledge updated."))
    raise web.HTTPSeeOther(f"/admin/{group.username}/pledges")
