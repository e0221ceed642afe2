"""Organiser pages for follows: whom the group follows, who follows it, requests to approve."""

from __future__ import annotations

from aiohttp import web

from fedi_aid.db.follows import list_followers, list_following
from fedi_aid.follows import FollowError, approve, follow, unfollow
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui.guard import require_group
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.render import flash, render

HANDLE_MAX = 300


async def follows_page(request: web.Request) -> web.Response:
    _user, group = await require_group(request)
    async with request.app[CONTEXT_KEY].sessions() as db:
        following = list(await list_following(db, group))
        followers = list(await list_followers(db, group))
        pending = list(await list_followers(db, group, state="pending"))
    return await render(
        request,
        "admin/follows.html",
        {
            "group": group,
            "tab": "follows",
            "following": following,
            "followers": followers,
            "pending": pending,
        },
    )


async def follow_action(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    """follow / unfollow / approve / reject, named by the button that sent the form."""
    _user, group = await require_group(request)
    ctx = request.app[CONTEXT_KEY]
    action = form.get("action", "")
    target = form.get("handle", "").strip()[:HANDLE_MAX]
    if not target:
        await flash(request, _("Give a handle like name@example.org or an actor URL."), "error")
        raise web.HTTPSeeOther(f"/admin/{group.username}/follows")
    name = group.username or ""
    try:
        if action == "follow":
            await follow(ctx, name, target)
            message = _("Follow request sent to {who}.")
        elif action == "unfollow":
            await unfollow(ctx, name, target)
            message = _("No longer following {who}.")
        elif action in ("approve", "reject"):
            await approve(ctx, name, target, reject=action == "reject")
            message = _("Accepted {who}.") if action == "approve" else _("Rejected {who}.")
        else:
            message = ""
            await flash(request, _("Unknown action."), "error")
        if message:
            ctx.wake_workers()
            await flash(request, message.format(who=target))
    except FollowError as exc:
        await flash(request, _("Could not do that: {reason}").format(reason=str(exc)), "error")
    raise web.HTTPSeeOther(f"/admin/{group.username}/follows")
