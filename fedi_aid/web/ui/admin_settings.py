"""Organiser pages for the relay policy and the group's API tokens."""

from __future__ import annotations

from aiohttp import web

from fedi_aid.aid.categories import UnknownCategory, resolve_category
from fedi_aid.aid.model import URGENCIES
from fedi_aid.aid.relay_policy import RelayPolicy
from fedi_aid.clock import utcnow
from fedi_aid.db.errors import NotFound
from fedi_aid.db.relays import get_policy, save_policy
from fedi_aid.db.tokens import LABEL_MAX, create_token, list_tokens, revoke_token
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui import i18n
from fedi_aid.web.ui.guard import UiError, require_group
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.render import flash, render


async def relay_page(request: web.Request) -> web.Response:
    _user, group = await require_group(request)
    async with request.app[CONTEXT_KEY].sessions() as db:
        policy = await get_policy(db, group)
    return await _relay(request, group, policy)


async def _relay(
    request: web.Request, group: object, policy: RelayPolicy, error: str | None = None
) -> web.Response:
    context = {
        "group": group,
        "tab": "relay",
        "policy": policy,
        "categories": i18n.category_choices(),
        "urgencies": URGENCIES,
        "error": error,
    }
    return await render(request, "admin/relay.html", context, status=400 if error else 200)


async def save_relay(request: web.Request, _form: dict[str, str]) -> web.StreamResponse:
    _user, group = await require_group(request)
    form = await request.post()  # several values per name: the MultiDict itself (CSRF checked)
    try:
        categories = tuple(resolve_category(str(c)) for c in form.getall("categories", []))
        raw_distance = str(form.get("max_distance_km", "")).strip().replace(",", ".")
        try:
            distance = float(raw_distance) if raw_distance else None
        except ValueError:
            raise ValueError(_("The distance must be a number of kilometres.")) from None
        policy = RelayPolicy(
            enabled=form.get("enabled") == "on",
            kinds=tuple(k for k in ("need", "offer") if str(k) in form.getall("kinds", [])),
            categories=categories,
            min_urgency=str(form.get("min_urgency", "high")),
            max_distance_km=distance,
        )
    except (ValueError, UnknownCategory) as exc:
        async with request.app[CONTEXT_KEY].sessions() as db:
            current = await get_policy(db, group)
        return await _relay(request, group, current, error=str(exc))
    async with request.app[CONTEXT_KEY].sessions.begin() as db:
        await save_policy(db, await db.merge(group), policy, utcnow())
    await flash(request, _("Relay policy saved."))
    raise web.HTTPSeeOther(f"/admin/{group.username}/relay")


async def tokens_page(request: web.Request, new_token: str | None = None) -> web.Response:
    _user, group = await require_group(request)
    async with request.app[CONTEXT_KEY].sessions() as db:
        tokens = list(await list_tokens(db, group))
    context = {
        "group": group,
        "tab": "tokens",
        "tokens": tokens,
        "new_token": new_token,
        "label_max": LABEL_MAX,
    }
    return await render(request, "admin/tokens.html", context)


async def create_token_action(request: web.Request, form: dict[str, str]) -> web.Response:
    _user, group = await require_group(request)
    label = form.get("label", "").strip()
    if len(label) > LABEL_MAX:
        raise UiError(400, _("The label is too long."))
    async with request.app[CONTEXT_KEY].sessions.begin() as db:
        plaintext = await create_token(db, await db.merge(group), label, utcnow())
    # Shown in this answer only: not stored, not put in the session, not redirected.
    response = await tokens_page(request, new_token=plaintext)
    response.headers["Cache-Control"] = "no-store"
    return response


async def revoke_token_action(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    _user, group = await require_group(request)
    try:
        token_id = int(request.match_info["id"])
        async with request.app[CONTEXT_KEY].sessions.begin() as db:
            await revoke_token(db, await db.merge(group), token_id)
    except (ValueError, NotFound):
        raise UiError(404, _("This group has no such token.")) from None
    await flash(request, _("Token revoked."))
    raise web.HTTPSeeOther(f"/admin/{group.username}/tokens")
