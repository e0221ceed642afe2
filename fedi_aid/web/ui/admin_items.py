"""Organiser pages for needs and offers: list, post, edit, withdraw."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedi_aid.aid.api_input import ApiInputError
from fedi_aid.aid.model import URGENCIES, VISIBILITIES
from fedi_aid.aid.publish import AidError, post_item, update_item, withdraw_item
from fedi_aid.clock import utcnow
from fedi_aid.db.aid_items import ItemFilter, list_items
from fedi_aid.db.matching import find_matches
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui import i18n
from fedi_aid.web.ui.guard import UiError, my_groups, require_group, require_user
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.item_forms import form_to_changes, form_to_draft, item_form_values
from fedi_aid.web.ui.render import flash, render


async def index(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    groups = await my_groups(request, user)
    if len(groups) == 1:
        raise web.HTTPSeeOther(f"/admin/{groups[0].username}")
    return await render(request, "admin/index.html", {"groups": groups})


async def group_items(request: web.Request) -> web.Response:
    _user, group = await require_group(request)
    async with request.app[CONTEXT_KEY].sessions() as db:
        filters = ItemFilter(group_uri=group.uri, status="all", public_only=False, local=True)
        rows = await list_items(db, filters, limit=200)
    return await render(
        request,
        "admin/items.html",
        {
            "group": group,
            "tab": "items",
            "needs": [r for r in rows if r.kind == "need"],
            "offers": [r for r in rows if r.kind == "offer"],
        },
    )


def _form_context(group: Actor, kind: str, values: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "group": group,
        "tab": "items",
        "kind": kind,
        "values": values,
        "categories": i18n.category_choices(),
        "urgencies": URGENCIES,
        "visibilities": VISIBILITIES[:3],  # direct needs name actors: CLI and API only
        "row": None,
        "error": None,
        **extra,
    }


def _kind(request: web.Request) -> str:
    kind = request.match_info["kind"]
    return "need" if kind == "needs" else "offer"


async def new_item_form(request: web.Request) -> web.Response:
    _user, group = await require_group(request)
    kind = _kind(request)
    values = {"urgency": "normal", "visibility": "public", "radius_km": ""}
    if group.home_place_name:
        values["place_name"] = group.home_place_name
    return await render(request, "admin/item_form.html", _form_context(group, kind, values))


async def create_item(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    _user, group = await require_group(request)
    kind = _kind(request)
    ctx = request.app[CONTEXT_KEY]
    try:
        draft = form_to_draft(kind, form, utcnow())
        async with ctx.sessions.begin() as db:
            row = await post_item(db, ctx, await db.merge(group), draft)
            title = row.title
        ctx.wake_workers()
    except (ApiInputError, AidError) as exc:
        context = _form_context(group, kind, form, error=exc.message)
        return await render(request, "admin/item_form.html", context, status=exc.status)
    message = (
        _("Posted the need “{title}”.") if kind == "need" else _("Posted the offer “{title}”.")
    )
    await flash(request, message.format(title=title))
    raise web.HTTPSeeOther(f"/admin/{group.username}")


async def _own_item(request: web.Request, group: Actor) -> AidItemRow:
    try:
        item_id = int(request.match_info["id"])
    except ValueError:
        raise UiError(404, _("No such need or offer.")) from None
    async with request.app[CONTEXT_KEY].sessions() as db:
        row = await db.get(AidItemRow, item_id)
    if row is None or not row.local or row.group_id != group.id:
        raise UiError(404, _("This group has no such need or offer."))
    return row


async def edit_item_form(request: web.Request) -> web.Response:
    _user, group = await require_group(request)
    row = await _own_item(request, group)
    context = _form_context(group, row.kind, item_form_values(row), row=row)
    return await render(request, "admin/item_form.html", context)


async def save_item(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    _user, group = await require_group(request)
    row = await _own_item(request, group)
    ctx = request.app[CONTEXT_KEY]
    try:
        changes = form_to_changes(row, form, utcnow())
        if form.get("status") == "met":
            changes["status"] = "met"
        if changes:
            async with ctx.sessions.begin() as db:
                stored = await db.get(AidItemRow, row.id)
                assert stored is not None
                await update_item(db, ctx, stored, changes)
            ctx.wake_workers()
    except (ApiInputError, AidError) as exc:
        context = _form_context(group, row.kind, form, row=row, error=exc.message)
        return await render(request, "admin/item_form.html", context, status=exc.status)
    await flash(request, _("Saved.") if changes else _("Nothing changed."))
    raise web.HTTPSeeOther(f"/admin/{group.username}")


async def withdraw(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    _user, group = await require_group(request)
    row = await _own_item(request, group)
    ctx = request.app[CONTEXT_KEY]
    try:
        async with ctx.sessions.begin() as db:
            stored = await db.get(AidItemRow, row.id)
            assert stored is not None
            await withdraw_item(db, ctx, stored)
        ctx.wake_workers()
    except AidError as exc:
        raise UiError(exc.status, exc.message) from None
    await flash(request, _("Withdrew “{title}”.").format(title=row.title))
    raise web.HTTPSeeOther(f"/admin/{group.username}")


async def matches_page(request: web.Request) -> web.Response:
    """Offers that fit one of our needs (or needs that fit our offer), best first."""
    _user, group = await require_group(request)
    row = await _own_item(request, group)
    async with request.app[CONTEXT_KEY].sessions() as db:
        found = await find_matches(db, row, limit=20)
    context = {"group": group, "tab": "items", "row": row, "matches": found}
    return await render(request, "admin/matches.html", context)
