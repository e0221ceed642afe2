"""Rendering pages: the shared page context, flash messages, errors, the signed-in user."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from markupsafe import Markup

from fedi_aid.activitypub.sanitize import sanitize_html
from fedi_aid.db.models import Actor
from fedi_aid.db.models_accounts import User
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui import i18n
from fedi_aid.web.ui.security import csrf_token

USER_ID = "uid"
USER_KEY = web.RequestKey("ui_user", object)  # the signed-in User (or None), once per request
FLASH = "flash"


async def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    session = await get_session(request)
    ctx = request.app[CONTEXT_KEY]
    user = await current_user(request)
    full = {
        "instance_name": ctx.settings.instance_name,
        "host": ctx.settings.host,
        "lang": i18n.current_language(),
        "languages": [(code, i18n.language_name(code)) for code in i18n.available_languages()],
        "csrf": csrf_token(session),
        "user": user,
        "flashes": session.pop(FLASH, []),
        "path": request.path_qs,
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, full, status=status)
    response.headers["Content-Language"] = i18n.current_language()
    response.headers["Cache-Control"] = "no-store" if user else "private, no-cache"
    return response


async def flash(request: web.Request, message: str, kind: str = "ok") -> None:
    session = await get_session(request)
    session[FLASH] = [*session.get(FLASH, []), [kind, message]]


async def error_page(request: web.Request, status: int, message: str) -> web.Response:
    return await render(
        request, "error.html", {"status": status, "message": message}, status=status
    )


async def current_user(request: web.Request) -> User | None:
    if USER_KEY in request:
        return request[USER_KEY]  # type: ignore[return-value]
    session = await get_session(request)
    user = None
    uid = session.get(USER_ID)
    if isinstance(uid, int):
        async with request.app[CONTEXT_KEY].sessions() as db:
            user = await db.get(User, uid)
        if user is None:
            session.invalidate()  # the account is gone
    request[USER_KEY] = user
    return user


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (another site, //host) becomes `default`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def remote_html(value: str | None) -> Markup:
    """HTML from other servers, sanitised again at display time."""
    return Markup(sanitize_html(value or ""))


def actor_name(actor: Actor | None) -> str:
    if actor is None:
        return ""
    return actor.display_name or actor.username or actor.uri


def handle(actor: Actor) -> str:
    return f"@{actor.username}@{actor.domain}" if actor.username else actor.uri
