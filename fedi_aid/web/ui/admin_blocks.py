"""Organiser pages for blocks: a group blocks a domain or an actor; admins also instance-wide."""

from __future__ import annotations

from aiohttp import web

from fedi_aid.db.moderation import list_blocks, list_domain_policies
from fedi_aid.moderation import (
    ModerationError,
    block_actor,
    block_domain,
    unblock_actor,
    unblock_domain,
)
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui.guard import UiError, require_group
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.render import flash, render

TARGET_MAX = 2048
REASON_MAX = 500


async def blocks_page(request: web.Request) -> web.Response:
    user, group = await require_group(request)
    async with request.app[CONTEXT_KEY].sessions() as db:
        blocks = await list_blocks(db)
        domains = list(await list_domain_policies(db)) if user.is_admin else []
    mine = [block for block, name in blocks if name == group.username]
    instance = [block for block, name in blocks if name is None] if user.is_admin else []
    context = {
        "group": group,
        "tab": "blocks",
        "blocks": mine,
        "instance_blocks": instance,
        "domains": [d for d in domains if d.blocked],
        "is_admin": user.is_admin,
    }
    return await render(request, "admin/blocks.html", context)


async def block_action(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    user, group = await require_group(request)
    ctx = request.app[CONTEXT_KEY]
    action, kind = form.get("action", ""), form.get("kind", "")
    target = form.get("target", "").strip()[:TARGET_MAX]
    reason = form.get("reason", "").strip()[:REASON_MAX]
    instance_wide = form.get("scope") == "instance"
    if instance_wide and not user.is_admin:
        raise UiError(403, _("Only an administrator blocks for the whole instance."))
    if action not in ("block", "unblock") or kind not in ("domain", "actor") or not target:
        raise UiError(400, _("Give a domain (spam.example) or an account (name@host)."))
    scope = None if instance_wide else group.username
    try:
        if action == "block" and kind == "domain":
            await block_domain(ctx, target, group=scope, reason=reason)
        elif action == "block":
            await block_actor(ctx, target, group=scope, reason=reason)
        elif kind == "domain":
            await unblock_domain(ctx, target, group=scope)
        else:
            await unblock_actor(ctx, target, group=scope)
        ctx.wake_workers()
    except ModerationError as exc:
        await flash(request, _("Could not do that: {reason}").format(reason=str(exc)), "error")
    else:
        done = _("Blocked {target}.") if action == "block" else _("Unblocked {target}.")
        await flash(request, done.format(target=target))
    raise web.HTTPSeeOther(f"/admin/{group.username}/blocks")
