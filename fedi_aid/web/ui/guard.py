"""Who may see an organiser page: a signed-in user who organises the group in the URL."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from fedi_aid.accounts import may_act_for, organised_groups
from fedi_aid.db.actors import find_local_actor, list_local_actors
from fedi_aid.db.models import Actor
from fedi_aid.db.models_accounts import User
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.render import current_user


class UiError(Exception):
    """Answered with an HTML error page: status and a message for the reader."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def require_user(request: web.Request) -> User:
    user = await current_user(request)
    if user is None:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/')}")
    return user


async def require_group(request: web.Request) -> tuple[User, Actor]:
    """The signed-in user and the local group named in the URL, which they must organise."""
    user = await require_user(request)
    name = request.match_info["group"]
    async with request.app[CONTEXT_KEY].sessions() as db:
        group = await find_local_actor(db, name)
        if group is None or group.type != "Group":
            raise UiError(404, _("There is no group with that name here."))
        if not await may_act_for(db, user, group):
            raise UiError(403, _("You do not organise this group."))
    return user, group


async def my_groups(request: web.Request, user: User) -> list[Actor]:
    async with request.app[CONTEXT_KEY].sessions() as db:
        if user.is_admin:
            return list(await list_local_actors(db, "Group"))
        return await organised_groups(db, user)
